"""The digest jobs delivered through the fake Slack: the leadership digest in the leadership
channel with its sections, and each partner's QBR in that partner's channel only, naming no
other partner — each with its chart, uploaded privately and shown by file id."""

from datetime import UTC, date, datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from insights.scorecard_store import compute_and_store
from jobs.digests import qbr_digest_job, weekly_digest_job
from messages.delivery import Pacer, deliver_pending
from messages.digests import partner_qbr
from models import OutboxMessage
from tests.digest_data import PROGRAM, add_risk, seed
from tests.images import png_size
from tests.slack.fake_slack import FakeSlack


def images(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [block for block in message["blocks"] if block["type"] == "image"]


def test_digests_reach_the_right_channels(
    engine: Engine,
    session_factory: sessionmaker[Session],
    fake_slack: FakeSlack,
    client: WebClient,
) -> None:
    with Session(engine) as session:
        ids = seed(session)
        add_risk(session, ids)
        compute_and_store(session, PROGRAM, date(2027, 1, 1))  # December's: the QBRs' charts
        session.commit()
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

    # Each digest shows its own chart: a PNG uploaded privately (shared by the message alone)
    uploaded = fake_slack.uploaded_files()
    assert len(uploaded) == 3
    assert all("channel_id" not in call for call in uploaded.values())
    assert all(png_size(upload.raw) == (900, 420) for upload in fake_slack.calls("upload"))
    shown = {m["channel"]: images(m) for m in fake_slack.all_messages()}
    assert sorted(image["slack_file"]["id"] for found in shown.values() for image in found) == (
        sorted(uploaded)
    )
    assert all(len(found) == 1 for found in shown.values())
    assert "13 weeks" in shown["C0LEAD"][0]["title"]["text"]
    assert shown["C0ALPHA"][0]["title"]["text"].startswith("Alpha: revenue and pipeline")

    # The /scorecard QBR button shows the review as posted (read back, with its chart), or
    # computes it (without: the card it is asked from shows the same chart).
    with Session(engine) as session:
        posted = partner_qbr(session, PROGRAM, date(2027, 1, 1), ids["Alpha"])
        assert posted is not None
        assert posted.text == by_text["C0ALPHA"]
        session.execute(delete(OutboxMessage))
        computed = partner_qbr(session, PROGRAM, date(2027, 1, 1), ids["Alpha"])
    assert computed is not None
    posted_blocks = posted.as_post()["blocks"]
    assert isinstance(posted_blocks, list)
    assert images({"blocks": posted_blocks}) == shown["C0ALPHA"]
    without_chart = [b for b in posted_blocks if b["type"] != "image"]
    assert computed.as_post() == {"text": posted.text, "blocks": without_chart}


def test_a_chart_slack_refuses_for_good_is_left_out_not_the_message(
    engine: Engine,
    session_factory: sessionmaker[Session],
    fake_slack: FakeSlack,
    client: WebClient,
) -> None:
    with Session(engine) as session:
        seed(session)
    fake_slack.method_errors["files.getUploadURLExternal"] = "missing_scope"
    weekly_digest_job(session_factory, PROGRAM, datetime(2026, 11, 23, 9, tzinfo=UTC))
    report = deliver_pending(session_factory, client, pacer=Pacer(0.0))
    assert (report.sent, report.failed) == (1, 0)
    (weekly,) = fake_slack.all_messages()
    assert "week 2026-W47" in weekly["text"]
    assert images(weekly) == []
    assert fake_slack.uploaded_files() == {}
