"""CSV import end to end: real files, the migrated database, the same entry point as the CLI."""

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ingest import CsvImportError, import_file
from models import (
    Account,
    AuditEntry,
    DealRegistration,
    DealSource,
    DealStatus,
    Partner,
    PartnerActivity,
    Person,
    deal_influencers,
)
from tests.files import write_csv
from tests.programs import EXAMPLE_PROGRAM as PROGRAM

PARTNERS_HEADER = "Partner ID,Partner Name,Partner Tier,Sales Region,Billing Country,Specializations,Partner Manager Slack ID,Slack Channel ID"  # noqa: E501
PARTNER_ROWS = (
    "P1,Northwind Traders,gold,EMEA,Germany,security;cloud,UMGR1,C0NORTH",
    "P2,Contoso Partners,silver,NA,United States,,UMGR2,C0CONTOSO",
    "P3,Fabrikam Systems,registered,APAC,Japan,data,,",
)


def counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            table.__tablename__: session.scalar(select(func.count()).select_from(table)) or 0
            for table in (Partner, Person, Account, DealRegistration, PartnerActivity)
        }


@pytest.fixture
def partners(engine: Engine, tmp_path: Path) -> Engine:
    import_file(
        "partners",
        write_csv(tmp_path / "partners.csv", PARTNERS_HEADER, *PARTNER_ROWS),
        engine,
        PROGRAM,
    )
    return engine


def test_partners_import_with_crm_headers(partners: Engine) -> None:
    with Session(partners) as session:
        north = session.scalars(select(Partner).where(Partner.external_id == "P1")).one()
    assert (north.name, north.tier, north.region, north.country) == (
        "Northwind Traders",
        "gold",
        "EMEA",
        "Germany",
    )
    assert north.specialties == ["security", "cloud"]
    assert north.manager_slack_id == "UMGR1"
    assert north.slack_channel_id == "C0NORTH"
    assert north.status == "active"


DEALS_HEADER = "Opportunity ID,Partner ID,Account Name,Website,Amount,Currency Code,Created Date,Registration Status,Close Date,Influence Partners"  # noqa: E501
DEAL_ROWS = (
    'D1,P1,"Acme Corp.",https://www.acme.com/about,"$12,500.00",USD,2026-01-05T09:30:00Z,Closed Won,2026-03-01,P2',  # noqa: E501
    "D2,P2,ACME Corporation,acme.com,8000,EUR,2026-02-01 10:00:00+01:00,Accepted,,",
    "D3,P3,Globex Intl,,1999.99,,2026-02-10,pending,,",
)


def test_deals_import_normalises_accounts_money_time_and_status(
    partners: Engine, tmp_path: Path
) -> None:
    result = import_file(
        "deals", write_csv(tmp_path / "deals.csv", DEALS_HEADER, *DEAL_ROWS), partners, PROGRAM
    )
    assert (result.rows, result.inserted, result.updated) == (3, 3, 0)
    with Session(partners) as session:
        deals = {d.external_id: d for d in session.scalars(select(DealRegistration))}
        accounts = session.scalars(select(Account).order_by(Account.id)).all()
        links = session.execute(select(deal_influencers)).all()
    won, approved, pending = deals["D1"], deals["D2"], deals["D3"]
    assert won.amount == Decimal("12500.00")
    assert won.status == DealStatus.WON
    assert won.closed_at == date(2026, 3, 1), "Close Date of a won deal is its close date"
    assert won.source == DealSource.SOURCED
    assert approved.registered_at.isoformat() == "2026-02-01T09:00:00+00:00"
    assert approved.currency == "EUR"
    assert approved.expires_at == date(2026, 5, 2), "approved: registered + 90 days"
    assert pending.currency == "USD", "program currency by default"
    assert won.account_id == approved.account_id, "same domain, same account"
    assert [a.domain for a in accounts] == ["acme.com", None]
    assert len(links) == 1
    assert links[0].deal_id == won.id


def test_reimport_changes_nothing_and_updates_in_place(partners: Engine, tmp_path: Path) -> None:
    deals_csv = write_csv(tmp_path / "deals.csv", DEALS_HEADER, *DEAL_ROWS)
    import_file("deals", deals_csv, partners, PROGRAM)
    with Session(partners) as session:
        stamps = dict(
            session.execute(select(DealRegistration.external_id, DealRegistration.updated_at)).all()
        )
    again = import_file("deals", deals_csv, partners, PROGRAM)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    changed = write_csv(
        tmp_path / "deals2.csv",
        DEALS_HEADER,
        DEAL_ROWS[0],
        DEAL_ROWS[1].replace(",8000,", ",9000,"),
        DEAL_ROWS[2],
    )
    result = import_file("deals", changed, partners, PROGRAM)
    assert (result.inserted, result.updated) == (0, 1)
    with Session(partners) as session:
        after = dict(
            session.execute(select(DealRegistration.external_id, DealRegistration.amount)).all()
        )
        untouched = session.scalar(
            select(DealRegistration.updated_at).where(DealRegistration.external_id == "D1")
        )
    assert after["D2"] == Decimal("9000.00")
    assert untouched == stamps["D1"]
    assert counts(partners)["deal_registrations"] == 3


def test_missing_required_column_is_one_line_naming_it(partners: Engine, tmp_path: Path) -> None:
    header = DEALS_HEADER.replace("Amount,", "")
    rows = [",".join(r.split(",")[:4] + r.split(",")[5:]) for r in DEAL_ROWS[1:]]
    with pytest.raises(CsvImportError) as rejected:
        import_file("deals", write_csv(tmp_path / "d.csv", header, *rows), partners, PROGRAM)
    assert rejected.value.lines == [
        "missing required column: amount (also accepted: Opportunity Amount, Deal Amount, Amount)"
    ]


def test_bad_rows_are_reported_row_by_row_and_nothing_is_written(
    partners: Engine, tmp_path: Path
) -> None:
    before = counts(partners)
    bad = write_csv(
        tmp_path / "deals.csv",
        DEALS_HEADER,
        DEAL_ROWS[0],
        "D4,P1,Initech,,-5,USD,2026-01-01,pending,,",
        "D5,P9,Initech,,100,USD,2026-01-01,pending,,",
        "D6,P1,Initech,,abc,USD,2026-13-45,pending,,",
        "D7,P1,Initech,,100,USD,2026-01-01,open,,",
        "D8,P1,Initech,,100,USD,2026-01-01,Closed Lost,,",
        "D9,P1,Initech,,100,CHF,2026-01-01,pending,,",
        "D10,P1,Initech,,100,USD,2026-01-01,pending,,,surplus",
        DEAL_ROWS[2],
    )
    with pytest.raises(CsvImportError) as rejected:
        import_file("deals", bad, partners, PROGRAM)
    report = rejected.value.lines
    assert report[0] == "deals.csv: 7 bad row(s); nothing was imported."
    assert report[1:] == [
        "line 3, amount: '-5' is negative",
        "line 4, partner_id: unknown partner 'P9' (import partners first)",
        "line 5, amount: 'abc' is not a number",
        "line 5, registered_at: '2026-13-45' is not a date (use YYYY-MM-DD)",
        "line 6, status: 'open' is not one of pending, approved, rejected, conflict, won, "
        "lost, expired",
        "line 7, closed_at: required for a lost deal (or Close Date)",
        "line 8, currency: no exchange rate for CHF in program.toml",
        "line 9, (row): 11 cells but 10 columns",
    ]
    assert counts(partners) == before, "the good rows of a bad file are not imported either"


def test_a_bad_row_after_many_batches_still_writes_nothing(
    partners: Engine, tmp_path: Path
) -> None:
    rows = [f"D{i},P1,Company {i},,{i}.00,USD,2026-01-01,pending,," for i in range(12_000)]
    rows.append("DX,P1,Late,,1,USD,not a date,pending,,")
    with pytest.raises(CsvImportError) as rejected:
        import_file(
            "deals", write_csv(tmp_path / "big.csv", DEALS_HEADER, *rows), partners, PROGRAM
        )
    assert rejected.value.lines[1].startswith("line 12002, registered_at:")
    assert counts(partners)["deal_registrations"] == 0
    assert counts(partners)["accounts"] == 0


def test_people_and_activities(partners: Engine, tmp_path: Path) -> None:
    people = write_csv(
        tmp_path / "people.csv",
        "slack_user_id,role,partner_id,name,region,slack_team_id",
        "UMGR1,manager,,Maria Manager,EMEA,",
        "ULEAD1,leadership,,Lee Leader,,",
        "UP1A,partner,P1,Nora North,,T0NORTH",
    )
    assert import_file("people", people, partners, PROGRAM).inserted == 3
    activities = write_csv(
        tmp_path / "activities.csv",
        "Partner ID,Activity Date,Activity Type,Score,Description",
        "P1,2026-01-10,certification,1,Security Architect",
        "P1,2026-01-10,certification,1,Cloud Engineer",
        "P1,2026-01-31,satisfaction,8.5,",
        'P2,2026-02-01,mdf_spend,"2,000",Q1 campaign',
    )
    assert import_file("activities", activities, partners, PROGRAM).inserted == 4
    assert import_file("activities", activities, partners, PROGRAM).inserted == 0
    with Session(partners) as session:
        contact = session.scalars(select(Person).where(Person.slack_user_id == "UP1A")).one()
        north = session.scalars(select(Partner).where(Partner.external_id == "P1")).one()
        audit = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert contact.partner_id == north.id
    assert contact.slack_team_id == "T0NORTH"
    assert [(a.entity, a.detail["inserted"]) for a in audit] == [
        ("partners", 3),
        ("people", 3),
        ("activities", 4),
        ("activities", 0),
    ]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("UX1,partner,,Pat,", "line 2, partner_id: required for a partner contact"),
        ("UX1,manager,P1,Pat,", "line 2, partner_id: only partner contacts belong to a partner"),
        ("ux1,manager,,Pat,", "line 2, slack_user_id: 'ux1' is not a Slack ID starting with U/W"),
        ("UX1,boss,,Pat,", "line 2, role: 'boss' is not one of manager, leadership, partner"),
    ],
)
def test_people_rules(partners: Engine, tmp_path: Path, row: str, problem: str) -> None:
    people = write_csv(tmp_path / "people.csv", "slack_user_id,role,partner_id,name,region", row)
    with pytest.raises(CsvImportError) as rejected:
        import_file("people", people, partners, PROGRAM)
    assert rejected.value.lines[1:] == [problem]


def test_partner_rules(engine: Engine, tmp_path: Path) -> None:
    bad = write_csv(
        tmp_path / "partners.csv",
        "partner_id,name,tier,region,slack_channel_id,signed_at",
        "P1,One,gold,NA,C0SAME,2024-02-01",
        "P2,Two,diamond,NA,,2024-02-30",
        "P3,Three,gold,NA,C0SAME,",
    )
    with pytest.raises(CsvImportError) as rejected:
        import_file("partners", bad, engine, PROGRAM)
    assert rejected.value.lines == [
        "partners.csv: 2 bad row(s); nothing was imported.",
        "line 3, tier: 'diamond' is not a tier of this program (registered, silver, gold, "
        "platinum)",
        "line 3, signed_at: '2024-02-30' is not a date (use YYYY-MM-DD)",
        "line 4, slack_channel_id: C0SAME is already P1's channel",
    ]


def test_semicolon_delimited_excel_export_with_bom(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "partners.csv"
    path.write_bytes(
        "\ufeffPartner ID;Name;Tier;Region\r\nP1;Société Générale;gold;EMEA\r\n".encode()
    )
    import_file("partners", path, engine, PROGRAM)
    with Session(engine) as session:
        assert session.scalar(select(Partner.name)) == "Société Générale"


cells = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20)


@pytest.mark.slow
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(amount=cells, registered=cells, status=cells, name=cells)
def test_any_cell_text_is_imported_or_reported_never_crashes(
    partners: Engine, tmp_path: Path, amount: str, registered: str, status: str, name: str
) -> None:
    path = tmp_path / "fuzz.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["deal_id", "partner_id", "account_name", "amount", "registered_at", "status"]
        )
        writer.writerow(["F1", "P1", name, amount, registered, status])
    before = counts(partners)["deal_registrations"]
    report: list[str] = []
    try:
        result = import_file("deals", path, partners, PROGRAM)
    except CsvImportError as error:
        report = error.lines
    if report:
        assert counts(partners)["deal_registrations"] == before, "a rejected file writes nothing"
    else:
        assert result.rows == 1
        assert counts(partners)["deal_registrations"] == max(before, 1)


def test_a_latin1_export_is_refused_with_a_hint(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "partners.csv"
    path.write_bytes(
        "partner_id,name,tier,region\nP1,Société Générale,gold,EMEA\n".encode("latin-1")
    )
    with pytest.raises(CsvImportError) as rejected:
        import_file("partners", path, engine, PROGRAM)
    assert rejected.value.lines == ["partners.csv: not UTF-8 text (save the CSV as UTF-8)"]
    assert counts(engine)["partners"] == 0
