"""The daily registrations job, asserted on what the fake Slack received: expiry, reminders to
the partner's channel and its manager, nudges to the approval route; each once."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from slack_sdk import WebClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from config.program import Program
from jobs.registrations import RegistrationsReport, daily_registrations
from jobs.worker import run_once
from messages.delivery import Pacer, deliver_pending
from models import Account, DealRegistration, DealStatus, JobRun, Partner
from tests.programs import EXAMPLE_PROGRAM as PROGRAM  # EMEA → UMGREMEA01, else desk
from tests.slack.fake_slack import FakeSlack

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
TODAY = NOW.date()


def add_partner(session: Session, number: int, region: str, **extra: object) -> Partner:
    partner = Partner(
        external_id=f"P{number}", name=f"Partner {number}", tier="gold", region=region, **extra
    )
    session.add(partner)
    session.flush()
    return partner


def add_deal(
    session: Session,
    partner: Partner,
    external_id: str,
    status: DealStatus,
    *,
    expires_at: date | None = None,
    registered_at: datetime = NOW - timedelta(days=30),
) -> None:
    account = Account(
        account_key=f"n:{external_id}", name=f"Customer {external_id}", normalized_name="x"
    )
    session.add(account)
    session.flush()
    session.add(
        DealRegistration(
            external_id=external_id,
            partner_id=partner.id,
            account_id=account.id,
            amount=Decimal(48000),
            currency="USD",
            status=status,
            expires_at=expires_at,
            registered_at=registered_at,
        )
    )


def received(fake: FakeSlack) -> dict[str, list[str]]:
    """Text of every message the fake received, by conversation."""
    return {channel: [m["text"] for m in messages] for channel, messages in fake.messages.items()}


def deliver(session_factory: sessionmaker[Session], client: WebClient) -> None:
    report = deliver_pending(session_factory, client, pacer=Pacer(0.0))
    assert report.failed == report.retrying == 0


def test_daily_registrations(
    engine: Engine, fake_slack: FakeSlack, client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as session:
        emea = add_partner(
            session, 1, "EMEA", slack_channel_id="C0SHARED1", manager_slack_id="U0MGR1"
        )
        amer = add_partner(session, 2, "AMER")  # no channel, no manager
        add_deal(session, emea, "R-14", DealStatus.APPROVED, expires_at=TODAY + timedelta(14))
        add_deal(session, emea, "R-2", DealStatus.APPROVED, expires_at=TODAY + timedelta(2))
        add_deal(session, emea, "R-20", DealStatus.APPROVED, expires_at=TODAY + timedelta(20))
        add_deal(session, emea, "R-OLD", DealStatus.APPROVED, expires_at=TODAY - timedelta(1))
        add_deal(session, amer, "R-AMER", DealStatus.APPROVED, expires_at=TODAY + timedelta(3))
        late = NOW - timedelta(hours=72)
        add_deal(session, emea, "R-WAIT-EMEA", DealStatus.PENDING, registered_at=late)
        add_deal(session, amer, "R-WAIT-AMER", DealStatus.PENDING, registered_at=late)
        add_deal(session, amer, "R-NEW", DealStatus.PENDING, registered_at=NOW - timedelta(hours=5))

    report = daily_registrations(session_factory, PROGRAM, NOW)
    deliver(session_factory, client)

    assert report == RegistrationsReport(expired=1, reminders=4, nudges=2)
    with session_factory() as session:
        old = session.scalar(
            select(DealRegistration).where(DealRegistration.external_id == "R-OLD")
        )
        assert old is not None
        assert old.status is DealStatus.EXPIRED
    assert received(fake_slack) == {
        "C0SHARED1": [
            "⏳ Your registration *R-2* · Customer R-2 · USD 48,000 is protected until "
            "2026-11-25: that ends in 2 days. Close it, or ask your partner manager to extend it.",
            "⏳ Your registration *R-14* · Customer R-14 · USD 48,000 is protected until "
            "2026-12-07: that ends in 14 days. Close it, or ask your partner manager to extend it.",
        ],
        "D0MGR1": [
            "⏳ Partner 1's registration *R-2* · Customer R-2 · USD 48,000 stops being "
            "protected in 2 days (2026-11-25).",
            "⏳ Partner 1's registration *R-14* · Customer R-14 · USD 48,000 stops being "
            "protected in 14 days (2026-12-07).",
        ],
        "DMGREMEA01": ["Waiting for approval: R-WAIT-EMEA"],  # the EMEA rule's approver
        "C0DEALDESK": ["Waiting for approval: R-WAIT-AMER"],  # the default route
    }
    nudge = fake_slack.messages["C0DEALDESK"][0]["blocks"]
    assert nudge[0]["text"]["text"] == (
        "🕓 *R-WAIT-AMER* · Customer R-WAIT-AMER from Partner 2 has waited 3 days for a "
        "decision (the program's target is 48 hours)."
    )
    buttons = next(b for b in nudge if b["type"] == "actions")["elements"]
    deals = [b["value"].split(" ")[0] for b in buttons]  # each with the claims it shows
    assert deals == ["R-WAIT-AMER", "R-WAIT-AMER"]  # approve, reject
    manager = fake_slack.messages["D0MGR1"][0]["blocks"]
    extend = [(e["text"]["text"], e["value"]) for e in manager[1]["elements"]]
    assert extend == [  # the example program extends by at most 90 days at a time
        ("Extend 30 days", "R-2 2026-11-25 30"),
        ("Extend 60 days", "R-2 2026-11-25 60"),
        ("Extend 90 days", "R-2 2026-11-25 90"),
    ]
    assert manager[2]["elements"][0]["text"] == (
        "Or type `/deal extend R-2 DAYS` (up to 90 days at a time)."
    )
    assert sorted(r.body["users"] for r in fake_slack.calls("conversations.open")) == [
        "U0MGR1",
        "U0MGR1",
        "UMGREMEA01",
    ]

    # Again the same day: nothing new. The next day: the 14-day reminder is not repeated;
    # the waiting registrations are nudged again (one nudge a day).
    assert daily_registrations(session_factory, PROGRAM, NOW + timedelta(hours=3)) == (
        RegistrationsReport(expired=0, reminders=0, nudges=0)
    )
    tomorrow = daily_registrations(session_factory, PROGRAM, NOW + timedelta(days=1))
    assert tomorrow == RegistrationsReport(expired=0, reminders=0, nudges=2)
    # Eleven days on: R-14 has 3 days left (its 3-day reminder), R-20 has 9 (its 14-day one,
    # late but not lost); R-AMER's partner has nowhere to be told.
    later = daily_registrations(session_factory, PROGRAM, NOW + timedelta(days=11))
    assert (later.expired, later.reminders) == (2, 4)
    deliver(session_factory, client)
    shared = received(fake_slack)["C0SHARED1"]
    assert len(shared) == 4
    assert "*R-14*" in shared[2]
    assert "ends in 3 days" in shared[2]
    assert "*R-20*" in shared[3]
    assert "ends in 9 days" in shared[3]


def test_a_job_runs_once_per_period(engine: Engine, session_factory: sessionmaker[Session]) -> None:
    runs: list[str] = []
    assert run_once(session_factory, "weekly", "2026-11-23T09:00", lambda: runs.append("a"))
    assert not run_once(session_factory, "weekly", "2026-11-23T09:00", lambda: runs.append("b"))
    assert run_once(session_factory, "weekly", "2026-11-30T09:00", lambda: runs.append("c"))
    assert runs == ["a", "c"]
    with session_factory() as session:
        finished = session.scalars(select(JobRun.finished_at).order_by(JobRun.id)).all()
    assert len(finished) == 2
    assert all(finished)


def test_the_program_time_zone_decides_the_day(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    tokyo = Program.model_validate({"program": {"timezone": "Asia/Tokyo"}})
    with session_factory.begin() as session:
        partner = add_partner(session, 1, "APAC", slack_channel_id="C0SHARED1")
        # 23:30 UTC on the 23rd is the 24th in Tokyo: protection ending on the 23rd is over
        add_deal(session, partner, "R-1", DealStatus.APPROVED, expires_at=TODAY)
    late_evening = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    assert daily_registrations(session_factory, tokyo, late_evening).expired == 1
