"""CSV import of partners, deals, activities and people: streamed, checked row by row,
written whole or not at all."""

from ingest.reader import CsvImportError
from ingest.run import ImportResult, import_file

__all__ = ["CsvImportError", "ImportResult", "import_file"]
