"""``/digest`` through signed requests (issue 19): leadership get last week's digest and staff
a partner's last quarter's review in their direct messages, once per period; a partner contact
gets their own review as the answer, and nothing of another partner."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from insights.digests import last_complete
from insights.scorecard_store import compute_and_store
from models import DealStatus, Person, PersonRole
from tests.programs import EXAMPLE_PROGRAM as PROGRAM
from tests.seeding import add_deal
from tests.slack.deal_steps import posted_to, shown
from tests.slack.fake_slack import HOME_TEAM, FakeSlack
from tests.slack.running_app import RunningApp
from tests.slack.two_partners import A_CONTACT, A_TEAM, B_NAME, MANAGER, add_two_partners

BOSS = "U0BOSS"


@pytest.fixture
def asked(
    slack_app: RunningApp, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> Iterator[RunningApp]:
    """Two partners with a year of wins, scored for the last quarter; a leadership person."""
    ids = add_two_partners(session_factory, fake_slack)
    now = datetime.now(UTC)
    with session_factory.begin() as session:
        for partner, prefix in ((ids.a, "A-WON"), (ids.b, "ZORBLAX-WON")):
            for month in range(1, 12):
                registered = now - timedelta(days=30 * month + 20)
                closed = (registered + timedelta(days=15)).date().isoformat()
                add_deal(session, partner, f"{prefix}-{month}", 40_000, DealStatus.WON,
                         registered, closed)  # fmt: skip
        session.add(Person(slack_user_id=BOSS, role=PersonRole.LEADERSHIP))
        quarter = last_complete("quarter", PROGRAM.today())
        compute_and_store(session, PROGRAM, quarter.end + timedelta(days=1))
    fake_slack.add_user(BOSS, HOME_TEAM)
    return slack_app


def ask(app: RunningApp, text: str, user: str, team: str = HOME_TEAM) -> str:
    http, url = app.slash("/digest", text, user_id=user, team_id=team)
    return shown(app.answer(http, url, timeout=20))


def test_leadership_get_last_weeks_digest_in_their_direct_messages_once(
    asked: RunningApp, fake_slack: FakeSlack
) -> None:
    week = last_complete("week", PROGRAM.today())
    assert "is in your direct messages with me" in ask(asked, "", BOSS)
    (digest,) = posted_to(fake_slack, BOSS)
    assert week.label in shown(digest)
    assert "sent you" in ask(asked, "", BOSS)  # asked again: where it is, not a second one
    assert len(fake_slack.calls("chat.postMessage")) == 1
    assert "for leadership" in ask(asked, "", MANAGER)


def test_staff_get_a_partners_full_review_and_contacts_only_their_own(
    asked: RunningApp, fake_slack: FakeSlack
) -> None:
    quarter = last_complete("quarter", PROGRAM.today())
    assert f"{B_NAME}'s {quarter.label} business review" in ask(asked, "qbr zorblax", MANAGER)
    (review,) = posted_to(fake_slack, MANAGER)
    assert f"{B_NAME} · {quarter.label} business review" in shown(review)
    assert "sent you" in ask(asked, "qbr zorblax", MANAGER)
    assert len(posted_to(fake_slack, MANAGER)) == 1

    own = ask(asked, "", A_CONTACT, A_TEAM)
    assert f"Acme Resellers · {quarter.label} business review" in own
    refused = ask(asked, "qbr zorblax", A_CONTACT, A_TEAM)
    assert refused == ask(asked, "qbr P-ZORBLAX-77", A_CONTACT, A_TEAM)
    assert "your own partner's business review" in refused
    assert "Zorblax" not in refused
    assert "Acme Resellers" in ask(asked, "qbr acme", A_CONTACT, A_TEAM)
    assert "qbr PARTNER" in ask(asked, "frobnicate", A_CONTACT, A_TEAM)
