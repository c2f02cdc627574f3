"""The README's first command, as a user runs it: ``partnerbot demo`` in a fresh folder."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from config.program import Program
from deals.registration import RegistrationRequest, register
from models import DealRegistration, DealStatus, Partner
from tests.cli import run_cli

pytestmark = pytest.mark.slow  # each test runs partnerbot commands in new processes


def test_demo_generates_imports_and_summarises(engine: Engine, tmp_path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    first = run_cli("demo", "--partners", "40", "--months", "12", database_url=url, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "partners: 40 rows — 40 new, 0 updated, 0 unchanged" in out
    for section in (
        "Partners by tier and region",
        "Won revenue by quarter",
        "Top partners, won revenue in the last 12 months",
        "Recent registrations",
    ):
        assert section in out
    with Session(engine) as session:
        partners = session.scalar(select(func.count()).select_from(Partner))
        deals = session.scalar(select(func.count()).select_from(DealRegistration))
    assert partners == 40
    assert deals
    assert f"40 partners, {deals:,} registrations" in out
    assert "the registration check, on accounts partners hold today" in out
    today = date.today()  # the quarter still running is revenue so far, and says so
    assert f"{today.year} Q{(today.month - 1) // 3 + 1} to {today:%b} {today.day}" in out
    assert out.count(" active (") == 4  # two held accounts, each as stored and as retyped
    assert "Scored 40 partners for" in out
    assert out.count("score ") >= 3  # the three best partners' scorecards
    assert (tmp_path / "partnerbot-demo" / "truth.csv").exists()

    again = run_cli("demo", "--partners", "40", "--months", "12", database_url=url, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "partners: 40 rows — 0 new, 0 updated, 40 unchanged" in again.stdout
    assert f"deals: {deals:,} rows — 0 new, 0 updated, {deals:,} unchanged" in again.stdout


def test_import_of_a_bad_file_prints_the_report_and_exits_1(engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "partners.csv"
    bad.write_text("partner_id,name,tier\nP1,One,gold\n")
    url = engine.url.render_as_string(hide_password=False)
    done = run_cli("import", "partners", str(bad), database_url=url, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "missing required column: region (also accepted: Sales Region, Territory, Partner Region)"
    )
    assert "Traceback" not in done.stderr


def test_summary_of_an_empty_program_says_what_to_do(engine: Engine, tmp_path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    done = run_cli("summary", database_url=url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "No partners yet: import yours with `partnerbot import partners FILE`" in done.stdout


def test_deals_check_and_expire(engine: Engine, tmp_path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with Session(engine) as session:
        partner = Partner(external_id="P1", name="Acme Resellers", tier="gold", region="EMEA")
        session.add(partner)
        session.flush()
        register(
            session,
            RegistrationRequest(partner.id, "Initech GmbH", "initech.de", Decimal(5000), "EUR"),
            Program(),
        )
        session.execute(update(DealRegistration).values(status=DealStatus.APPROVED))
        session.execute(update(DealRegistration).values(expires_at=date(2026, 1, 31)))
        session.commit()

    held = run_cli(
        "deals", "check", "INITECH", "--domain", "www.initech.de/x", database_url=url, cwd=tmp_path
    )
    assert held.returncode == 0, held.stderr
    assert "INITECH (www.initech.de/x): 1 active" in held.stdout
    assert "R-000001" in held.stdout
    assert "Acme Resellers" in held.stdout
    free = run_cli("deals", "check", "Initrode", database_url=url, cwd=tmp_path)
    assert "Initrode: no active registration of this company" in free.stdout

    early = run_cli("deals", "expire", "--today", "2026-01-31", database_url=url, cwd=tmp_path)
    assert "0 registration(s) expired" in early.stdout
    due = run_cli("deals", "expire", "--today", "2026-02-01", database_url=url, cwd=tmp_path)
    assert "1 registration(s) expired (protection ended before 2026-02-01)." in due.stdout
    with Session(engine) as session:
        assert session.scalar(select(DealRegistration.status)) == DealStatus.EXPIRED
