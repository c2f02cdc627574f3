"""Small CSV files for tests, written from their text so a test shows exactly what it imports."""

from pathlib import Path


def write_csv(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path
