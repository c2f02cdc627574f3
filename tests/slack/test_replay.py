"""A request takes effect once: the same signed body posted again (a replay) and Slack's own
retry of it (re-signed, ``X-Slack-Retry-Num``) are acknowledged empty and change nothing."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import AuditEntry, DealRegistration, DealStatus
from tests.seeding import add_deal
from tests.slack.fake_slack import HOME_TEAM, FakeSlack
from tests.slack.running_app import RunningApp, running_app
from tests.slack.signing import SlackRequest, signed, slash_command_body
from tests.slack.two_partners import MANAGER, add_two_partners

DEAL = "R-000042"


def approved_deal(session_factory: sessionmaker[Session], fake: FakeSlack) -> date:
    """An approved registration of partner A (routed to the deal desk, so any manager decides);
    its expiry."""
    ids = add_two_partners(session_factory, fake)
    expires = date.today() + timedelta(days=20)
    with session_factory.begin() as session:
        add_deal(
            session,
            ids.a,
            DEAL,
            48_000,
            DealStatus.APPROVED,
            datetime.now(UTC) - timedelta(days=70),
            expires=expires.isoformat(),
        )
    return expires


def extensions(session_factory: sessionmaker[Session]) -> tuple[int, date | None]:
    """How many extensions were audited, and the registration's expiry now."""
    with session_factory() as session:
        audited = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "extend")
        )
        expires = session.scalar(
            select(DealRegistration.expires_at).where(DealRegistration.external_id == DEAL)
        )
    return audited or 0, expires


def extend_body(fake: FakeSlack) -> str:
    return slash_command_body(
        "/deal",
        f"extend {DEAL} 30",
        user_id=MANAGER,
        team_id=HOME_TEAM,
        response_url=fake.response_url(),
    )


def test_a_replayed_or_retried_command_is_applied_once(
    slack_app: RunningApp, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    expires = approved_deal(session_factory, fake_slack)
    body = extend_body(fake_slack)
    request = signed(body)
    answers = [slack_app.post_events(request) for _ in range(5)]
    resigned = signed(body, age_seconds=2)  # Slack signs its retry afresh
    retry = SlackRequest(
        body.encode(),
        {**resigned.headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    answers.append(slack_app.post_events(retry))
    assert [a.status for a in answers] == [200] * 6
    assert all(a.body == b"" for a in answers[1:])  # acknowledged, nothing said
    later = signed(extend_body(fake_slack))  # another request: applied
    assert slack_app.post_events(later).status == 200
    slack_app.stop()  # every listener has finished
    assert extensions(session_factory) == (2, expires + timedelta(days=60))
    notices = [r for r in fake_slack.requests if r.name == "chat.postMessage"]
    assert len(notices) == 2  # the partner was told of each extension once


def test_a_replay_is_refused_by_another_process_sharing_the_database(
    slack_app: RunningApp,
    fake_slack: FakeSlack,
    session_factory: sessionmaker[Session],
    database_url: str,
) -> None:
    """Web processes (here: two servers) remember requests in the database they share."""
    expires = approved_deal(session_factory, fake_slack)
    request = signed(extend_body(fake_slack))
    with running_app(fake_slack, database_url, session_factory) as other:
        assert slack_app.post_events(request).status == 200
        assert other.post_events(request).body == b""
    slack_app.stop()
    assert extensions(session_factory) == (1, expires + timedelta(days=30))
