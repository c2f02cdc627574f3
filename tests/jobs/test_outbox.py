"""The outbox delivers every queued message exactly once — through rate limits, server errors
and answers lost after Slack posted — at about one message a second per channel, channels in
parallel; what Slack refuses for good is recorded and shown by ``partnerbot doctor``."""

import itertools
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Container
from datetime import timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker

from messages.blocks import CHART_PLACEHOLDER, Chart
from messages.delivery import DeliveryReport, deliver_pending
from messages.outbox import enqueue, utcnow
from models import OutboxMessage, OutboxStatus
from tests.cli import doctor
from tests.jobs.deliveries import FAST, deliver_all, outbox, posted_keys
from tests.slack.fake_slack import FakeSlack, direct_message


def chart_of(key: str) -> Chart:
    return Chart(
        title=f"chart of {key}",
        currency="EUR",
        labels=("Oct", "Nov"),
        sourced=(1.0, 2.0),
        influenced=(0.0, 1.0),
        pipeline=(5.0, 4.0),
        filename=f"{key}.png",
        alt_text=key,
    )


def queue(
    session_factory: sessionmaker[Session],
    *messages: tuple[str, str],
    charted: Container[str] = (),
) -> None:
    """Queue (key, channel) pairs, each a one-line message; those ``charted`` with a chart."""
    with session_factory.begin() as session:
        for key, channel in messages:
            blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": key}}]
            chart = None
            if key in charted:
                chart = chart_of(key)
                blocks.append({"type": "image", "slack_file": {"id": CHART_PLACEHOLDER}})
            enqueue(
                session, key=key, kind="test", channel=channel, text=key, blocks=blocks, chart=chart
            )


def test_enqueue_is_idempotent(engine: Engine, session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        assert enqueue(session, key="k1", kind="test", channel="C0A", text="hi", blocks=[])
        assert not enqueue(session, key="k1", kind="test", channel="C0B", text="again", blocks=[])
    with session_factory.begin() as session:
        assert not enqueue(session, key="k1", kind="test", channel="C0B", text="later", blocks=[])
    messages = outbox(session_factory)
    assert list(messages) == ["k1"]
    assert (messages["k1"].channel, messages["k1"].text) == ("C0A", "hi")


@pytest.mark.slow
def test_a_flaky_slack_gets_every_message_exactly_once(
    engine: Engine, fake_slack: FakeSlack, client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    channels = ["C0A", "C0B", "C0C", "U0MANAGER"]
    keys = [f"m{i:02d}" for i in range(40)]
    charted = set(keys[::3])  # charts are uploaded through the same flaky Slack
    messages = ((key, channels[i % 4]) for i, key in enumerate(keys))
    queue(session_factory, *messages, charted=charted)
    fake_slack.flaky(0.3, seed=7)

    report = deliver_all(session_factory, client, **FAST)

    assert sorted(posted_keys(fake_slack)) == keys  # each exactly once
    statuses = Counter(r.status for r in fake_slack.requests)
    assert statuses[429] > 5, statuses
    assert statuses[500] > 5, statuses
    failed_uploads = {r.name for r in fake_slack.requests if r.status != 200}
    assert "files.getUploadURLExternal" in failed_uploads, failed_uploads
    uploaded = fake_slack.uploaded_files()
    for posted in fake_slack.all_messages():
        key = posted["metadata"]["event_payload"]["key"]
        shown = [b["slack_file"]["id"] for b in posted["blocks"] if b["type"] == "image"]
        assert len(shown) == (key in charted), posted
        assert set(shown) <= set(uploaded)
    assert report.found > 0, "some 500s came after Slack had posted: found, not re-sent"
    assert report.sent + report.found == 40
    assert report.failed == 0
    messages = outbox(session_factory)
    assert {m.posted_channel for m in messages.values()} == {"C0A", "C0B", "C0C", "D0MANAGER"}
    assert all(m.ts and m.sent_at and m.attempt_started_at is None for m in messages.values())


def test_about_one_message_a_second_per_channel_channels_in_parallel(
    engine: Engine, fake_slack: FakeSlack, client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    queue(session_factory, *((f"{c}-{i}", c) for c in ("C0A", "C0B", "C0C") for i in range(3)))
    started = time.monotonic()
    report = deliver_pending(session_factory, client)
    elapsed = time.monotonic() - started

    assert report.sent == 9
    assert 1.8 < elapsed < 4, "three channels side by side, three messages a second apart each"
    for channel in ("C0A", "C0B", "C0C"):
        times = [
            r.received_at
            for r in fake_slack.calls("chat.postMessage")
            if r.body["channel"] == channel
        ]
        assert all(b - a > 0.9 for a, b in itertools.pairwise(times)), times


def test_a_rate_limit_holds_back_its_channel_only(
    engine: Engine, fake_slack: FakeSlack, client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    queue(session_factory, ("a1", "C0A"), ("a2", "C0A"))
    fake_slack.fail("chat.postMessage", status=429, retry_after=30)
    assert deliver_pending(session_factory, client, **FAST) == DeliveryReport(retrying=1)
    held = outbox(session_factory)
    assert all(m.not_before > utcnow() + timedelta(seconds=25) for m in held.values())
    assert held["a1"].last_error == "rate limited: retry after 0:00:30"
    assert held["a1"].attempt_started_at is None, "a 429 means nothing was posted"

    queue(session_factory, ("b1", "C0B"))
    assert deliver_pending(session_factory, client, **FAST) == DeliveryReport(sent=1)
    assert posted_keys(fake_slack) == ["b1"]


def test_an_interrupted_post_is_found_in_slack_not_posted_again(
    engine: Engine, fake_slack: FakeSlack, client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    queue(session_factory, ("posted", "C0A"), ("lost", "C0A"))
    # A sender died after posting "posted" (and before recording it) and before posting "lost".
    client.chat_postMessage(
        channel="C0A",
        text="posted",
        metadata={"event_type": "partnerbot_outbox", "event_payload": {"key": "posted"}},
    )
    a_minute_ago = utcnow() - timedelta(minutes=1)
    with session_factory.begin() as session:
        session.execute(
            update(OutboxMessage).values(
                attempt_started_at=a_minute_ago, posted_channel="C0A", attempts=1
            )
        )
    fake_slack.clear()

    report = deliver_pending(session_factory, client, **FAST)

    assert report == DeliveryReport(sent=1, found=1)
    assert [r.name for r in fake_slack.requests] == [
        "conversations.history",
        "conversations.history",
        "chat.postMessage",
    ]
    assert fake_slack.calls("conversations.history")[0].body["include_all_metadata"] == "1"
    assert posted_keys(fake_slack) == ["posted", "lost"]


@pytest.mark.slow
def test_a_permanent_error_is_recorded_and_doctor_shows_it(
    engine: Engine,
    fake_slack: FakeSlack,
    client: WebClient,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    fake_slack.post_errors["C0GONE"] = "not_in_channel"
    queue(session_factory, ("reminder:R-1", "C0GONE"), ("fine", "C0A"))

    assert deliver_pending(session_factory, client, **FAST) == DeliveryReport(sent=1, failed=1)
    failed = outbox(session_factory)["reminder:R-1"]
    assert (failed.status, failed.last_error, failed.attempts) == (
        OutboxStatus.FAILED,
        "not_in_channel",
        1,
    )

    url = engine.url.render_as_string(hide_password=False)
    sick = doctor(fake_slack, url, tmp_path)
    assert sick.returncode == 1
    assert "message reminder:R-1" in sick.stdout
    assert "test to C0GONE not delivered: not_in_channel" in sick.stdout
    assert "invite the bot: /invite @partnerbot in C0GONE" in sick.stdout
    assert "partnerbot outbox retry" in sick.stdout

    del fake_slack.post_errors["C0GONE"]  # the bot was invited
    retried = subprocess.run(
        [sys.executable, "-m", "partnerbot", "outbox", "retry"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DATABASE_URL": url},
        cwd=tmp_path,
    )
    assert "1 message(s) queued again" in retried.stdout
    assert deliver_pending(session_factory, client, **FAST) == DeliveryReport(sent=1)
    assert posted_keys(fake_slack) == ["fine", "reminder:R-1"]


def test_an_update_waits_for_its_message_and_goes_where_it_was_posted(
    fake_slack: FakeSlack, client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    """An update of a queued message is applied once that one is posted, at its ts in the
    conversation it went to (a user's: the direct message); one of a message Slack refused for
    good fails with it."""
    fake_slack.post_errors["C0GONE"] = "not_in_channel"
    fake_slack.fail("conversations.open", status=500, retry_after=None)  # the card: try later
    queue(session_factory, ("card", "UMANAGER"), ("lost", "C0GONE"))
    with session_factory.begin() as session:
        for key, target in [("card:decided", "card"), ("lost:decided", "lost")]:
            channel = "UMANAGER" if target == "card" else "C0GONE"
            enqueue(
                session,
                key=key,
                kind="test",
                channel=channel,
                text=key,
                blocks=[],
                update_of=target,
            )

    first = deliver_pending(session_factory, client, **FAST)
    assert (first.retrying, first.failed, fake_slack.calls("chat.update")) == (1, 2, [])
    assert deliver_all(session_factory, client, **FAST).sent == 2
    [card] = fake_slack.all_messages()
    [update] = fake_slack.calls("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (card["channel"], card["ts"])
    assert card["channel"] == direct_message("UMANAGER")
    assert card["text"] == "card:decided"
    lost = outbox(session_factory)["lost:decided"]
    assert (lost.status, lost.last_error) == (OutboxStatus.FAILED, "message_not_posted")
