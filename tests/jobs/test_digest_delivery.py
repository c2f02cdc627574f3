"""The digest jobs delivered through the fake Slack: the leadership digest in the leadership
channel with its sections, and each partner's QBR in that partner's channel only, naming no
other partner."""

from datetime import UTC, date, datetime

from slack_sdk import WebClient
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from jobs.digests import partner_qbr, qbr_digest_job, weekly_digest_job
from jobs.outbox import Pacer, deliver_pending
from models import OutboxMessage
from tests.slack.fake_slack import FakeSlack
from tests.test_digests import PROGRAM, add_risk, seed


def test_digests_reach_the_right_channels(
    engine: Engine,
    session_factory: sessionmaker[Session],
    fake_slack: FakeSlack,
    client: WebClient,
) -> None:
    with Session(engine) as session:
        ids = seed(session)
        add_risk(session, ids)
    weekly_digest_job(session_factory, PROGRAM, datetime(2026, 11, 23, 9, tzinfo=UTC))
    qbr_digest_job(session_factory, PROGRAM, datetime(2027, 1, 1, 9, tzinfo=UTC))
    report = deliver_pending(session_factory, client, pacer=Pacer(0.0))
    assert (report.sent, report.failed) == (3, 0)

    by_channel: dict[str, list[str]] = {}
    by_text = {m["channel"]: m["text"] for m in fake_slack.all_messages()}
    for message in fake_slack.all_messages():
        words = message["text"] + str(message["blocks"])
        by_channel.setdefault(message["channel"], []).append(words)
    assert sorted(by_channel) == ["C0ALPHA", "C0BETA", "C0LEAD"]
    (weekly,) = by_channel["C0LEAD"]
    for section in ("week 2026-W47", "Registrations:", "Top movers", "At risk", "Tier changes"):
        assert section in weekly
    assert "Alpha" in weekly
    assert "Beta" in weekly
    for mine, other in (("C0ALPHA", "Beta"), ("C0BETA", "Alpha")):
        (qbr,) = by_channel[mine]
        assert "2026-Q4 business review" in qbr
        assert other not in qbr
        assert "Gone" not in qbr

    # The /scorecard QBR button shows the review as posted (read back), or computes it.
    with Session(engine) as session:
        posted = partner_qbr(session, PROGRAM, date(2027, 1, 1), ids["Alpha"])
        assert posted is not None
        assert posted.text == by_text["C0ALPHA"]
        session.execute(delete(OutboxMessage))
        computed = partner_qbr(session, PROGRAM, date(2027, 1, 1), ids["Alpha"])
    assert computed is not None
    assert computed.as_post() == posted.as_post()
