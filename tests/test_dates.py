"""Dates and periods that have not happened: ``score``, ``deals expire`` and ``digest`` refuse
them, and the month a scoring as of a day stores is the last one complete at that day's end.

Every command runs with an explicit clock (``Context(now=…)``), never the real date. The
program is :mod:`tests.test_digests`' (data from 1 September 2025 to 21 November 2026).
"""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from insights.digests import parse_period
from jobs.digests import qbr_digest_job, rendered_qbrs
from jobs.scoring import nightly_scoring
from models import DealRegistration, DealStatus, OutboxMessage, PartnerScorecard, RiskRun
from models.db import make_session_factory
from partnerbot.cli import cli
from partnerbot.cli.context import Context
from tests.seeding import add_deal
from tests.test_digests import PROGRAM, seed

TODAY = datetime(2026, 12, 2, 12, tzinfo=UTC)
NEW_YEAR = datetime(2027, 1, 2, 12, tzinfo=UTC)


@pytest.fixture
def ids(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return seed(session)


@pytest.fixture
def env(engine: Engine, tmp_path: Path) -> dict[str, str]:
    rules = tmp_path / "program.toml"
    rules.write_text(
        '[channels]\nleadership_digest = "C0LEAD"\n[currencies]\nEUR = 1.10\n', encoding="utf-8"
    )
    url = engine.url.render_as_string(hide_password=False)
    return {"DATABASE_URL": url, "PARTNERBOT_PROGRAM": str(rules), "COLUMNS": "200"}


def run(env: dict[str, str], now: datetime, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, obj=Context(now=now))


def count(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def scored_months(engine: Engine) -> set[date]:
    with Session(engine) as session:
        return set(session.scalars(select(PartnerScorecard.month).distinct()))


def refused(result: Result, line: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.output.strip() == line


def test_score_refuses_a_day_not_ended(engine: Engine, ids: dict, env: dict) -> None:
    refused(
        run(env, TODAY, "score", "--as-of", "2030-01-01"),
        "--as-of 2030-01-01 has not ended (today is 2026-12-02): nothing scored.",
    )
    assert run(env, TODAY, "score", "--as-of", "2026-12-02").exit_code == 2
    assert (count(engine, PartnerScorecard), count(engine, RiskRun)) == (0, 0)
    last_day_of_november = datetime(2026, 11, 30, 12, tzinfo=UTC)
    done = run(env, last_day_of_november, "score")  # as of yesterday: November is not over
    assert "for October 2026" in done.output
    assert scored_months(engine) == {date(2026, 10, 1)}


def test_score_refuses_a_month_before_the_data(engine: Engine, ids: dict, env: dict) -> None:
    refused(
        run(env, TODAY, "score", "--as-of", "2010-01-01"),
        "--as-of 2010-01-01 would score December 2009, before the data starts (2025-09-01): "
        "give a day from 2025-09-30 on; nothing scored.",
    )
    assert run(env, TODAY, "score", "--as-of", "2025-09-29").exit_code == 2  # August
    assert (count(engine, PartnerScorecard), count(engine, RiskRun)) == (0, 0)
    first = run(env, TODAY, "score", "--as-of", "2025-09-30")
    assert first.exit_code == 0, first.output
    assert scored_months(engine) == {date(2025, 9, 1)}


def test_score_as_of_a_month_end_scores_that_month(engine: Engine, ids: dict, env: dict) -> None:
    done = run(env, TODAY, "score", "--as-of", "2026-11-30")
    assert done.exit_code == 0, done.output
    assert "Scored 3 partners for November 2026" in done.output
    assert scored_months(engine) == {date(2026, 11, 1)}
    done = run(env, TODAY, "score", "--as-of", "2026-11-29")
    assert "for October 2026" in done.output
    assert scored_months(engine) == {date(2026, 10, 1), date(2026, 11, 1)}


def test_nightly_scoring_scores_the_month_that_just_ended(engine: Engine, ids: dict) -> None:
    factory = make_session_factory(engine)
    nightly_scoring(factory, PROGRAM, datetime(2026, 11, 30, 2, tzinfo=UTC))
    assert scored_months(engine) == {date(2026, 10, 1)}  # November is not over
    nightly_scoring(factory, PROGRAM, datetime(2026, 12, 1, 2, tzinfo=UTC))
    assert scored_months(engine) == {date(2026, 10, 1), date(2026, 11, 1)}


def approved(engine: Engine, partner_id: int, *ends: str) -> None:
    with Session(engine) as session:
        for number, end in enumerate(ends):
            add_deal(session, partner_id, f"P{number}", 1_000, DealStatus.APPROVED,
                     datetime(2026, 6, 1, tzinfo=UTC), expires=end)  # fmt: skip
        session.commit()


def still_approved(engine: Engine) -> int:
    with Session(engine) as session:
        return (
            session.scalar(
                select(func.count()).where(DealRegistration.status == DealStatus.APPROVED)
            )
            or 0
        )


def test_deals_expire_refuses_a_day_after_today(engine: Engine, ids: dict, env: dict) -> None:
    approved(engine, ids["Alpha"], "2026-11-01", "2027-03-01")
    refused(
        run(env, TODAY, "deals", "expire", "--today", "2027-06-01"),
        "--today 2027-06-01 is in the future (today is 2026-12-02): nothing expired.",
    )
    assert still_approved(engine) == 2


def test_deals_expire_dry_run_shows_what_would_expire(engine: Engine, ids: dict, env: dict) -> None:
    ends = [f"2026-{month:02d}-15" for month in range(1, 13)]  # December's is still protected
    approved(engine, ids["Beta"], *ends)
    dry = run(env, TODAY, "deals", "expire", "--dry-run")
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    assert lines[0] == (
        "11 registration(s) would expire (protection ended before 2026-12-02); nothing changed."
    )
    assert lines[1].split() == ["P0", "Beta", "protected", "until", "2026-01-15"]
    assert len(lines) == 12
    assert lines[-1].strip() == "… and 1 more"
    assert still_approved(engine) == 12
    done = run(env, TODAY, "deals", "expire")
    assert "11 registration(s) expired" in done.output
    assert still_approved(engine) == 1


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("qbr", "--quarter", "2026-Q4"),
            "2026-Q4 has not ended (its last day is 2026-12-31): it can only be previewed with "
            "--dry-run; nothing queued.",
        ),
        (
            ("weekly", "--week", "2026-W49"),
            "2026-W49 has not ended (its last day is 2026-12-06): it can only be previewed with "
            "--dry-run; nothing queued.",
        ),
    ],
)
def test_a_period_not_over_is_only_previewed(
    engine: Engine, ids: dict, env: dict, args: tuple[str, ...], line: str
) -> None:
    refused(run(env, TODAY, "digest", *args), line)
    preview = run(env, TODAY, "digest", *args, "--dry-run")
    assert preview.exit_code == 0, preview.output
    assert count(engine, OutboxMessage) == 0
    week = run(env, TODAY, "digest", "weekly", "--week", "2026-W48")  # ended on Sunday
    assert "queued for delivery" in week.output


def test_the_first_qbr_carries_its_score(engine: Engine, ids: dict, env: dict) -> None:
    preview = run(env, NEW_YEAR, "digest", "qbr", "--partner", "alpha", "--dry-run")
    assert "not scored yet" not in preview.output
    assert "/100 (December)" in preview.output
    assert count(engine, PartnerScorecard) == 0  # a dry run stores nothing
    queued = run(env, NEW_YEAR, "digest", "qbr", "--partner", "alpha")
    assert "1 QBR(s) queued" in queued.output
    assert "/100 (December)" in queued.output
    assert scored_months(engine) == {date(2026, 12, 1)}


def test_the_qbr_job_scores_the_quarter_first(engine: Engine, ids: dict) -> None:
    report = qbr_digest_job(make_session_factory(engine), PROGRAM, NEW_YEAR)
    assert report.queued == 2
    with Session(engine) as session:
        texts = session.scalars(select(OutboxMessage.text)).all()
    assert all("/100 (December)" in text for text in texts)
    assert scored_months(engine) == {date(2026, 12, 1)}


def test_a_quarter_before_the_data_is_not_scored(engine: Engine, ids: dict) -> None:
    with Session(engine) as session:
        [alpha] = rendered_qbrs(
            session, PROGRAM, parse_period("2025-Q2"), [ids["Alpha"]], TODAY.date()
        )
        assert "not scored yet" in alpha.messages[0].text
        assert session.scalar(select(func.count()).select_from(PartnerScorecard)) == 0
