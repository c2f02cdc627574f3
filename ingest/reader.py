"""Streaming CSV reader: maps headers to a format's columns and parses cells, one batch of rows
at a time, so memory stays flat however long the file is."""

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.cells import Conventions
from ingest.formats import Column, CsvFormat, header_key

Row = dict[str, Any]
MAX_REPORTED = 200
"""Bad rows listed in a report; the rest are counted."""


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.reason}"


@dataclass
class Problems:
    """Bad rows found so far: the first ``MAX_REPORTED`` kept, all counted."""

    errors: list[RowError] = field(default_factory=list)
    bad_lines: int = 0
    last_bad_line: int = 0

    def add(self, line: int, column: str, reason: str) -> None:
        if line != self.last_bad_line:
            self.bad_lines += 1
            self.last_bad_line = line
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(RowError(line, column, reason))

    def __bool__(self) -> bool:
        return self.bad_lines > 0


class CsvImportError(Exception):
    """The file cannot be imported; nothing was written. ``lines`` is the report."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class ParsedRow:
    line: int
    values: Row


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in ",;\t|"}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def map_headers(fmt: CsvFormat, headers: list[str]) -> list[tuple[int, Column]]:
    """Which file column feeds which format column; rejects missing or doubled columns."""
    problems: list[str] = []
    mapping: list[tuple[int, Column]] = []
    seen: dict[str, str] = {}
    for index, header in enumerate(headers):
        column = fmt.by_header.get(header_key(header))
        if column is None:
            continue
        if column.name in seen:
            problems.append(f"columns {seen[column.name]!r} and {header!r} both mean {column.name}")
            continue
        seen[column.name] = header
        mapping.append((index, column))
    for column in fmt.required:
        if column.name not in seen:
            also = f" (also accepted: {', '.join(column.aliases)})" if column.aliases else ""
            problems.append(f"missing required column: {column.name}{also}")
    if problems:
        raise CsvImportError(problems)
    return mapping


class CsvRows:
    """An open CSV file of one format: ``columns`` names the format columns the file has;
    iterating yields parsed rows, sending bad cells to ``problems`` and skipping their row."""

    def __init__(
        self,
        fmt: CsvFormat,
        path: Path,
        problems: Problems,
        on_progress: Callable[[int], None] | None = None,
        conventions: Conventions | None = None,
    ) -> None:
        self._raw = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._text = io.TextIOWrapper(self._raw, encoding="utf-8-sig", newline="")
        self._problems = problems
        self._on_progress = on_progress
        try:
            first = self._text.readline()
        except UnicodeDecodeError:
            self.close()
            raise CsvImportError([f"{path.name}: not UTF-8 text (save the CSV as UTF-8)"]) from None
        if not first.strip():
            self.close()
            raise CsvImportError([f"{path.name}: the file is empty"])
        self._delimiter = _delimiter(first)
        headers = next(csv.reader([first], delimiter=self._delimiter))
        self._width = len(headers)
        try:
            mapping = map_headers(fmt, headers)
        except CsvImportError:
            self.close()
            raise
        self.conventions = (conventions or Conventions()).for_delimiter(self._delimiter)
        self._parsers = [
            (index, column, self.conventions.parser(column.parse)) for index, column in mapping
        ]
        self.columns = {column.name for _, column in mapping}

    def close(self) -> None:
        self._text.close()

    def __enter__(self) -> "CsvRows":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[ParsedRow]:
        reader = csv.reader(self._text, delimiter=self._delimiter)
        problems, parsers, width = self._problems, self._parsers, self._width
        try:
            for record in reader:
                line = reader.line_num + 1
                if line % 5000 == 0 and self._on_progress is not None:
                    self._on_progress(self._raw.tell())
                if not any(record):
                    continue
                if len(record) > width and any(record[width:]):
                    problems.add(line, "(row)", f"{len(record)} cells but {width} columns")
                    continue
                values: Row = {}
                for index, column, parse in parsers:
                    cell = record[index].strip() if index < len(record) else ""
                    if not cell:
                        if column.required:
                            problems.add(line, column.name, "required, but empty")
                        continue
                    try:
                        values[column.name] = parse(cell)
                    except ValueError as error:
                        problems.add(line, column.name, str(error))
                if problems.last_bad_line != line:
                    yield ParsedRow(line, values)
        except UnicodeDecodeError:
            problems.add(reader.line_num + 2, "(row)", "not UTF-8 text (save the CSV as UTF-8)")
        except csv.Error as error:
            problems.add(reader.line_num + 1, "(row)", f"unreadable CSV: {error}")
        if self._on_progress is not None:
            self._on_progress(self._raw.tell())
