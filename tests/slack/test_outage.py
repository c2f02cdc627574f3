"""Slash commands when the database is out of reach and every listener thread is busy, over
signed HTTP against the running app: each is acknowledged within its deadline all the same,
then told what is wrong, and the log has one line per request, no traceback."""

import logging
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from messages.blocks import database_unreachable
from tests.slack.fake_slack import HOME_TEAM, FakeSlack
from tests.slack.running_app import running_app

CLOSED_PORT = "postgresql+psycopg://postgres@127.0.0.1:1/partnerbot"
"""A database nothing listens at: every connection is refused."""
USER = "U0MANAGER"
COMMANDS = 8
"""Twice the running app's listener threads: half of them wait for a thread."""


def test_commands_are_acknowledged_in_time_and_told_the_database_is_out_of_reach(
    fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.add_user(USER, HOME_TEAM)
    with running_app(
        fake_slack, CLOSED_PORT, registration_index=False, PARTNERBOT_IDENTITY_CACHE_S=0
    ) as app:
        held = [fake_slack.hold("users.info") for _ in range(COMMANDS)]  # the threads stay busy
        caplog.set_level(logging.INFO)
        started = time.monotonic()
        with ThreadPoolExecutor(COMMANDS) as pool:
            sent = list(
                pool.map(lambda n: app.slash("/deal", f"status D-{n}", user_id=USER), range(8))
            )
        acknowledged = time.monotonic() - started
        for release in held:
            release.set()
        assert [http.status for http, _ in sent] == [200] * COMMANDS
        assert acknowledged < 1.5  # the deadline is 200 ms; before, half waited 3 s in vain
        for _, response_url in sent:
            answer = fake_slack.wait_for_response(response_url)
            assert answer.body["text"] == database_unreachable().text
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage().split(":")[:2] for r in logged] == [
        [f"/deal for {USER}", " database unreachable"]
    ] * COMMANDS  # one line each, whatever else met the database on the way
    assert not [r for r in caplog.records if r.exc_info]
