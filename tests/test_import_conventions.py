"""What an import must never do silently: read a decimal comma as a thousands separator, read
03/04/2026 as one day when the file meant the other, let a later row with the same key replace
an earlier one, store an event dated after today, or read a text such as "NA" back as missing."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from ingest import CsvImportError, import_file
from ingest.cells import MONEY, Conventions
from insights.scorecard_metrics import load_frames
from models import DealRegistration, Partner
from tests.files import write_csv
from tests.programs import EXAMPLE_PROGRAM as PROGRAM

DEALS = "deal_id{d}partner_id{d}account_name{d}amount{d}registered_at{d}status"


def deals_file(path: Path, delimiter: str, *rows: tuple[str, ...]) -> Path:
    return write_csv(path, DEALS.format(d=delimiter), *(delimiter.join(row) for row in rows))


@pytest.fixture
def partner(engine: Engine, tmp_path: Path) -> Engine:
    partners = write_csv(tmp_path / "partners.csv", "partner_id,name,tier,region", "P1,A,gold,NA")
    import_file("partners", partners, engine, PROGRAM)
    return engine


def amounts(engine: Engine) -> dict[str, Decimal]:
    with Session(engine) as session:
        rows = session.execute(select(DealRegistration.external_id, DealRegistration.amount))
        return dict(rows.all())


def rejected(*args: object, **kwargs: object) -> list[str]:
    with pytest.raises(CsvImportError) as error:
        import_file(*args, **kwargs)  # type: ignore[arg-type]
    return error.value.lines


def test_a_semicolon_export_reads_decimal_commas(partner: Engine, tmp_path: Path) -> None:
    european = deals_file(
        tmp_path / "deals.csv",
        ";",
        ("D1", "P1", "Acme", "5700,00", "2026-01-05", "pending"),
        ("D2", "P1", "Globex", "1,23", "2026-01-05", "pending"),
        ("D3", "P1", "Initech", "5700,5", "2026-01-05", "pending"),
        ("D4", "P1", "Umbrella", "1.234,50", "2026-01-05", "pending"),
        ("D5", "P1", "Hooli", "€ 12 500", "2026-01-05", "pending"),
    )
    import_file("deals", european, partner, PROGRAM)
    assert amounts(partner) == {
        "D1": Decimal("5700.00"),
        "D2": Decimal("1.23"),
        "D3": Decimal("5700.50"),
        "D4": Decimal("1234.50"),
        "D5": Decimal("12500.00"),
    }


def test_decimal_commas_in_a_comma_file_are_refused_and_keep_the_stored_amount(
    partner: Engine, tmp_path: Path
) -> None:
    good = deals_file(
        tmp_path / "deals.csv", ",", ("D1", "P1", "Acme", "5700.00", "2026-01-05", "pending")
    )
    import_file("deals", good, partner, PROGRAM)
    bad = write_csv(
        tmp_path / "again.csv",
        DEALS.format(d=","),
        'D1,P1,Acme,"5700,00",2026-01-05,pending',
        'D2,P1,Globex,"1.234,50",2026-01-05,pending',
        "D3,P1,Initech,€1.234,2026-01-05,pending",
    )
    assert rejected("deals", bad, partner, PROGRAM) == [
        "again.csv: 3 bad row(s); nothing was imported.",
        "line 2, amount: '5700,00' is written with a decimal comma, but this file is read with "
        "a decimal point: import it with --decimal comma",
        "line 3, amount: '1.234,50' is written with a decimal comma, but this file is read "
        "with a decimal point: import it with --decimal comma",
        "line 4, amount: '€1.234' has 3 decimals (this file is read with a decimal point); if "
        "'.' groups thousands here, import it with --decimal comma",
    ]
    assert amounts(partner) == {"D1": Decimal("5700.00")}
    import_file("deals", bad, partner, PROGRAM, conventions=Conventions(decimal=","))
    assert amounts(partner) == {
        "D1": Decimal("5700.00"),
        "D2": Decimal("1234.50"),
        "D3": Decimal("1234.00"),
    }


def test_a_semicolon_file_with_decimal_points_says_how_to_import_it(
    partner: Engine, tmp_path: Path
) -> None:
    points = deals_file(
        tmp_path / "deals.csv", ";", ("D1", "P1", "Acme", "5700.50", "2026-01-05", "pending")
    )
    assert rejected("deals", points, partner, PROGRAM)[1] == (
        "line 2, amount: '5700.50' is written with a decimal point, but this file is read with "
        "a decimal comma: import it with --decimal point"
    )
    import_file("deals", points, partner, PROGRAM, conventions=Conventions(decimal="."))
    assert amounts(partner) == {"D1": Decimal("5700.50")}


@pytest.mark.parametrize(
    ("order", "expected"), [("dmy", date(2026, 4, 3)), ("mdy", date(2026, 3, 4))]
)
def test_day_month_dates_only_with_a_stated_order(
    partner: Engine, tmp_path: Path, order: str, expected: date
) -> None:
    ambiguous = deals_file(
        tmp_path / "deals.csv", ",", ("D1", "P1", "Acme", "100", "03/04/2026", "pending")
    )
    assert rejected("deals", ambiguous, partner, PROGRAM)[1] == (
        "line 2, registered_at: '03/04/2026' is ambiguous (day or month first?): write "
        "YYYY-MM-DD, or import the file with --date-format dmy or mdy"
    )
    import_file("deals", ambiguous, partner, PROGRAM, conventions=Conventions(dates=order))  # type: ignore[arg-type]
    with Session(partner) as session:
        stored = session.scalar(select(DealRegistration.registered_at))
    assert stored is not None
    assert stored.date() == expected


def test_a_key_given_twice_with_other_values_names_both_lines(
    partner: Engine, tmp_path: Path
) -> None:
    rows = [(f"D{i}", "P1", f"Company {i}", "100", "2026-01-05", "pending") for i in range(5)]
    twice = deals_file(
        tmp_path / "deals.csv",
        ",",
        *rows,
        ("D1", "P1", "Company 1", "900", "2026-01-05", "pending"),
    )
    assert rejected("deals", twice, partner, PROGRAM) == [
        "deals.csv: 1 bad row(s); nothing was imported.",
        "line 7, (row): same deal_id as line 3, with other values (give each once)",
    ]
    assert amounts(partner) == {}
    repeated = deals_file(tmp_path / "repeat.csv", ",", *rows, rows[1])
    result = import_file("deals", repeated, partner, PROGRAM)
    assert (result.rows, result.repeated, result.inserted) == (5, 1, 5)


def test_events_after_today_are_refused(partner: Engine, tmp_path: Path) -> None:
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    future = write_csv(
        tmp_path / "deals.csv",
        "deal_id,partner_id,account_name,amount,registered_at,status,closed_at,expires_at",
        f"D1,P1,Acme,100,{tomorrow:%Y-%m-%dT%H:%M:%SZ},pending,,",
        f"D2,P1,Globex,100,2026-01-05,won,{tomorrow:%Y-%m-%d},",
        f"D3,P1,Initech,100,2026-01-05,approved,,{tomorrow + timedelta(days=90):%Y-%m-%d}",
    )
    report = rejected("deals", future, partner, PROGRAM)
    assert report[0] == "deals.csv: 2 bad row(s); nothing was imported."
    assert report[1].startswith("line 2, registered_at: ")
    assert report[1].endswith("is in the future")
    assert report[2].startswith("line 3, closed_at: ")
    assert "is after today" in report[2]


@pytest.mark.parametrize("region", ["NA", "N/A", "None", "null", "nan", ""])
def test_text_that_looks_missing_comes_back_as_stored(partner: Engine, region: str) -> None:
    with Session(partner) as session, session.begin():
        session.execute(update(Partner).values(region=region, name=region or "-"))
    with Session(partner) as session:
        frames = load_frames(session, PROGRAM)
    assert frames.partners["region"].tolist() == [region]


amounts_2dp = st.decimals(min_value=0, max_value=Decimal("1e15"), places=2)


@given(amount=amounts_2dp, mark=st.sampled_from([".", ","]), grouped=st.booleans())
def test_any_amount_written_in_a_files_convention_reads_back_exactly(
    amount: Decimal, mark: str, grouped: bool
) -> None:
    written = f"{amount:,.2f}" if grouped else f"{amount:.2f}"
    if mark == ",":
        written = written.translate(str.maketrans(",.", ".,"))
    parse = MONEY.build(Conventions(decimal=mark))  # type: ignore[arg-type]
    assert parse(written) == amount
