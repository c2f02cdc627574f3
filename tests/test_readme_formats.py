"""The README's CSV format tables are the importer's formats: same columns, required flags and
header aliases."""

import re
from pathlib import Path

import pytest

from ingest.formats import ACTIVITIES, DEALS, PEOPLE, CsvFormat, partners_format

README = Path(__file__).parents[1] / "README.md"
FORMATS = {
    "partners": partners_format([]),
    "deals": DEALS,
    "activities": ACTIVITIES,
    "people": PEOPLE,
}


def documented(kind: str) -> dict[str, tuple[bool, set[str]]]:
    text = README.read_text(encoding="utf-8")
    section = text.split(f"\n### {kind}\n", 1)[1].split("\n#", 1)[0]
    columns = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`(\w+)`", cells[0]) if len(cells) >= 4 else None
        if match:
            aliases = {a.strip() for a in cells[3].split(",") if a.strip()}
            columns[match.group(1)] = (cells[2] == "yes", aliases)
    return columns


@pytest.mark.parametrize("kind", list(FORMATS))
def test_readme_table_matches_the_format(kind: str) -> None:
    fmt: CsvFormat = FORMATS[kind]
    expected = {c.name: (c.required, set(c.aliases)) for c in fmt.columns}
    table = documented(kind)
    assert {name: required for name, (required, _) in table.items()} == {
        name: required for name, (required, _) in expected.items()
    }
    for name, (_, aliases) in expected.items():
        assert table[name][1] == aliases, name
