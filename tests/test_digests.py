"""Digest content on a small hand-made program whose every number is worked out below, the
digest jobs' idempotency and ``partnerbot digest``.

The week is 2026-W47 (Mon 16 – Sun 22 November 2026); the week before is W46 (9–15 Nov) and
a year before is the week of Mon 17 Nov 2025. The quarter is 2026-Q4. Partners:

- Alpha (silver, target 40,000, channel C0ALPHA)
- Beta (gold, target 100,000, channel C0BETA)
- Gone (terminated, no channel): counts in the program's totals, never in a list

Rates: 1 EUR = 1.10 USD.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from ingest import import_file
from insights.digests import (
    Compared,
    last_complete,
    parse_period,
    qbr_digests,
    quarter_of,
    week_of,
    weekly_digest,
)
from insights.scorecard_store import compute_and_store
from jobs.digests import qbr_digest_job, weekly_digest_job
from messages.outbox import enqueue
from models import (
    DealRegistration,
    DealStatus,
    OutboxMessage,
    OutboxStatus,
    Partner,
    PartnerScorecard,
)
from models.db import make_session_factory
from partnerbot.cli import cli
from partnerbot.cli.context import Context
from synth import ProgramSpec, generate_program
from tests.digest_data import PROGRAM, QUARTER, WEEK, add_risk, seed
from tests.programs import EXAMPLE_PROGRAM


def add_tier_reviews(session: Session, ids: dict[str, int]) -> None:
    """October's scorecards propose Alpha up and Beta down; November's (not over by the end
    of W47) would say otherwise."""
    for partner, month, tier, recommended in (
        ("Alpha", date(2026, 10, 1), "silver", "gold"),
        ("Beta", date(2026, 10, 1), "gold", "silver"),
        ("Alpha", date(2026, 11, 1), "silver", "registered"),
    ):
        session.add(
            PartnerScorecard(
                partner_id=ids[partner],
                month=month,
                score=50.0,
                tier=tier,
                recommended_tier=recommended,
                card={},
            )
        )
    session.commit()


@pytest.fixture
def ids(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return seed(session)


def test_periods() -> None:
    assert WEEK.start == date(2026, 11, 16)
    assert WEEK.end == date(2026, 11, 22)
    assert WEEK.previous.label == "2026-W46"
    assert WEEK.year_before.start == date(2025, 11, 17)
    assert QUARTER.start == date(2026, 10, 1)
    assert QUARTER.end == date(2026, 12, 31)
    assert QUARTER.previous.label == "2026-Q3"
    assert QUARTER.year_before.label == "2025-Q4"
    assert parse_period("2027-q1").previous == QUARTER
    # Monday 23 November: last week; 1 January 2027: the quarter just ended
    assert last_complete("week", date(2026, 11, 23)) == WEEK
    assert last_complete("week", date(2026, 11, 22)).label == "2026-W46"
    assert last_complete("quarter", date(2027, 1, 1)) == QUARTER
    assert week_of(date(2027, 1, 1)).label == "2026-W53"  # ISO years
    assert quarter_of(date(2026, 3, 31)).label == "2026-Q1"
    for bad in ("2026-W54", "2026-Q5", "2026", "last week"):
        with pytest.raises(ValueError, match="2026-W47"):
            parse_period(bad)


def test_weekly_digest(engine: Engine, ids: dict[str, int]) -> None:
    with Session(engine) as session:
        add_risk(session, ids)
        add_tier_reviews(session, ids)
        digest = weekly_digest(session, PROGRAM, WEEK)
    # D1 10,000 + D2 1,000 EUR + D8 (terminated Gone still counts) 50,000; W46: D3; 2025: D4
    assert digest.revenue == Compared(61_100, 5_000, 20_000)
    assert digest.sourced == Compared(60_000, 5_000, 20_000)
    assert digest.influenced == Compared(1_100, 0, 0)
    assert digest.deals_won == Compared(3, 1, 1)
    # end of W47: D5 + D6; end of W46: D1, D2, D7, D8 (closed later); a year ago: nothing
    assert digest.pipeline == Compared(10_000, 65_100, 0)
    r = digest.registrations
    assert (r.received, r.amount, r.conflicts, r.open_conflicts, r.pending) == (
        Compared(2, 0, 0), 10_000, 1, 1, 1
    )  # fmt: skip
    # 26 Oct–22 Nov against 28 Sep–25 Oct: Alpha 11,100 from 0; Beta 5,000 (D3) from 30,000
    assert [(m.name, m.now, m.before) for m in digest.movers_up] == [("Alpha", 11_100, 0)]
    assert [(m.name, m.now, m.before) for m in digest.movers_down] == [("Beta", 5_000, 30_000)]
    assert digest.risk_as_of == date(2026, 11, 22)
    [alpha] = digest.at_risk
    assert (alpha.name, alpha.risk, alpha.new) == ("Alpha", 0.8, True)
    assert alpha.reasons == ["Won revenue fell 60% below its usual", "No marketing"]
    assert digest.tier_month == date(2026, 10, 1)
    changes = [(c.name, c.direction, c.needs_approval) for c in digest.tier_changes]
    assert changes == [("Alpha", "up", False), ("Beta", "down", True)]
    assert digest.undelivered == []


def test_weekly_digest_before_any_scoring(engine: Engine, ids: dict[str, int]) -> None:
    with Session(engine) as session:
        digest = weekly_digest(session, PROGRAM, WEEK)
    assert (digest.risk_as_of, digest.at_risk) == (None, [])
    assert (digest.tier_month, digest.tier_changes) == (None, [])


def test_qbr_digests(engine: Engine, ids: dict[str, int]) -> None:
    with Session(engine) as session, session.begin():
        compute_and_store(session, PROGRAM, date(2027, 1, 1))  # December's scorecards
        digests = {d.name: d for d in qbr_digests(session, PROGRAM, QUARTER)}
    assert sorted(digests) == ["Alpha", "Beta"]  # active partners only
    alpha, beta = digests["Alpha"], digests["Beta"]
    assert alpha.channel == "C0ALPHA"
    assert alpha.sourced == Compared(10_000, 0, 0)
    assert alpha.influenced == Compared(1_100, 0, 0)  # its own influenced win D2
    assert (alpha.target, alpha.attainment) == (40_000, 0.25)
    assert [(w.account, w.amount) for w in alpha.wins] == [
        ("Customer D1", 10_000),
        ("Customer D2", 1_100),
    ]
    assert (alpha.deals_won, alpha.win_rate, alpha.registrations) == (2, 1.0, 3)
    assert alpha.pipeline == Compared(7_000, 0, 0)
    assert (alpha.certifications, alpha.new_certifications) == (2, 1)
    assert alpha.scorecard is not None
    assert alpha.scorecard.month == date(2026, 12, 1)
    assert beta.sourced == Compared(35_000, 0, 20_000)
    assert beta.win_rate == pytest.approx(2 / 3)
    # end of Q3: D3 and D9 were open (registered in September, won in Q4)
    assert beta.pipeline == Compared(3_000, 35_000, 0)

    with Session(engine) as session:
        [gone] = qbr_digests(session, PROGRAM, QUARTER, [ids["Gone"]])
    assert (gone.name, gone.channel, gone.scorecard is not None) == ("Gone", None, True)


def outbox(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return dict(session.execute(select(OutboxMessage.key, OutboxMessage.channel)).all())


def test_jobs_queue_each_digest_once(engine: Engine, ids: dict[str, int]) -> None:
    factory = make_session_factory(engine)
    monday = datetime(2026, 11, 23, 9, tzinfo=UTC)
    first = weekly_digest_job(factory, PROGRAM, monday)
    assert (first.period, first.queued, first.already) == ("2026-W47", 1, 0)
    again = weekly_digest_job(factory, PROGRAM, monday.replace(hour=10))
    assert (again.queued, again.already) == (0, 1)

    new_year = datetime(2027, 1, 1, 9, tzinfo=UTC)
    report = qbr_digest_job(factory, PROGRAM, new_year)
    assert (report.period, report.queued, report.already, report.no_channel) == (
        "2026-Q4", 2, 0, 0
    )  # fmt: skip
    assert outbox(engine) == {
        "weekly:2026-W47": "C0LEAD",
        f"qbr:2026-Q4:{ids['Alpha']}": "C0ALPHA",
        f"qbr:2026-Q4:{ids['Beta']}": "C0BETA",
    }
    with Session(engine) as session:
        session.execute(update(Partner).where(Partner.name == "Beta").values(slack_channel_id=None))
        session.commit()
    report = qbr_digest_job(factory, PROGRAM, new_year)
    assert (report.queued, report.already, report.no_channel) == (0, 1, 1)
    assert len(outbox(engine)) == 3


def test_failed_deliveries_reach_the_weekly_digest(engine: Engine, ids: dict[str, int]) -> None:
    with Session(engine) as session:
        for key in ("a", "b"):
            enqueue(session, key=key, kind="qbr_digest", channel="C0X", text="t", blocks=[])
        session.execute(
            update(OutboxMessage).values(status=OutboxStatus.FAILED, last_error="not_in_channel")
        )
        session.commit()
        [failed] = weekly_digest(session, PROGRAM, WEEK).undelivered
    assert (failed.kind, failed.error, failed.messages) == ("qbr_digest", "not_in_channel", 2)


def test_cli_renders_and_queues(engine: Engine, ids: dict[str, int], tmp_path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    rules = tmp_path / "program.toml"
    rules.write_text(
        '[channels]\nleadership_digest = "C0LEAD"\n[currencies]\nEUR = 1.10\n', encoding="utf-8"
    )
    env = {"DATABASE_URL": url, "PARTNERBOT_PROGRAM": str(rules), "COLUMNS": "120"}
    runner = CliRunner()
    after_the_quarter = Context(now=datetime(2027, 1, 2, 12, tzinfo=UTC))
    dry = runner.invoke(cli, ["digest", "weekly", "--week", "2026-W47", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "week 2026-W47" in dry.output
    assert "USD 61,100" in dry.output
    assert outbox(engine) == {}

    qbr = runner.invoke(
        cli,
        ["digest", "qbr", "--partner", "alpha", "--quarter", "2026-Q4"],
        env=env,
        obj=after_the_quarter,
    )
    assert qbr.exit_code == 0, qbr.output
    assert "Alpha · 2026-Q4 business review" in qbr.output
    assert "1 QBR(s) queued for delivery" in qbr.output
    assert outbox(engine) == {f"qbr:2026-Q4:{ids['Alpha']}": "C0ALPHA"}

    wrong = runner.invoke(cli, ["digest", "weekly", "--week", "2026-Q4", "--dry-run"], env=env)
    assert wrong.exit_code == 2
    assert "is not a week" in wrong.output
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_the_conflict_count_of_a_generated_program_is_the_databases(
    engine: Engine, tmp_path: Path
) -> None:
    """Counted straight from the tables: registrations in status conflict, and the active ones
    of accounts more than one partner holds an active claim on."""
    spec = ProgramSpec(partners=60, months=12, seed=5, end=date(2026, 11, 1))
    generated = generate_program(spec, tmp_path)
    for kind in ("partners", "deals"):
        import_file(kind, generated.paths[kind], engine, EXAMPLE_PROGRAM)
    with Session(engine) as session:
        rows = session.execute(
            select(
                DealRegistration.account_id, DealRegistration.partner_id, DealRegistration.status
            )
        ).all()
        week = week_of(spec.end - timedelta(days=1))
        digest = weekly_digest(session, EXAMPLE_PROGRAM, week)
    active = {DealStatus.PENDING, DealStatus.APPROVED, DealStatus.CONFLICT}
    claimants: dict[int, set[int]] = defaultdict(set)
    for account, partner, status in rows:
        if status in active:
            claimants[account].add(partner)
    in_conflict = [
        status is DealStatus.CONFLICT or (status in active and len(claimants[account]) > 1)
        for account, _, status in rows
    ]
    assert digest.registrations.open_conflicts == sum(in_conflict) > 0
