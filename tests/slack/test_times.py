"""Times as each reader expects them (issue 19): every moment the bot shows reaches Slack as
``<!date^…>``, which Slack shows in the reader's own time zone, with the UTC time as fallback."""

import re
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import DealRegistration
from tests.slack.deal_steps import register_inline, shown
from tests.slack.fake_slack import FakeSlack
from tests.slack.running_app import RunningApp
from tests.slack.two_partners import A_CONTACT, A_TEAM, MANAGER, add_two_partners

MOMENT = re.compile(r"<!date\^(\d+)\^\{date_short_pretty\} \{time\}\|([^<>|]*)>")


def moments(text: str) -> list[datetime]:
    """The moments of ``text``, each checked against its fallback."""
    found = []
    for stamp, fallback in MOMENT.findall(text):
        moment = datetime.fromtimestamp(int(stamp), UTC)
        assert fallback == f"{moment:%Y-%m-%d %H:%M} UTC"
        found.append(moment)
    return found


def test_a_registrations_times_are_shown_in_the_readers_time_zone(
    slack_app: RunningApp, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    add_two_partners(session_factory, fake_slack)
    register_inline(slack_app, "Initech initech.com 1000", A_CONTACT, A_TEAM)
    http, url = slack_app.slash("/deal", "approve R-000001", user_id=MANAGER)
    slack_app.answer(http, url)
    http, url = slack_app.slash("/deal", "status R-000001", user_id=MANAGER)
    status = shown(slack_app.answer(http, url))
    with session_factory() as session:
        deal = session.scalars(select(DealRegistration)).one()
        stored = [deal.registered_at, deal.decided_at]
    expected = [
        (t if t.tzinfo else t.replace(tzinfo=UTC)).replace(second=0, microsecond=0)
        for t in stored
        if t is not None
    ]
    assert len(expected) == 2
    assert [m.replace(second=0) for m in moments(status)][:2] == expected
    assert "UTC" not in MOMENT.sub("", status)  # no time written out raw
