"""Logs of the serving process: every line of a Slack request's work, the listener thread's
included, carries the request id its answer shows in ``X-Request-Id``; tokens and the signing
secret never reach a log line; JSON lines for log shippers."""

import io
import json
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from config.logs import REQUEST_ID, JsonFormatter, RequestContext, configure_logging
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.slack.running_app import RunningApp, running_app
from tests.slack.signing import SIGNING_SECRET
from tests.slack.two_partners import MANAGER, add_two_partners


def test_a_requests_log_lines_share_its_request_id(
    slack_app: RunningApp, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(RequestContext())
    caplog.set_level(logging.INFO)
    fake_slack.fail("users.info", status=500, retry_after=None)  # makes the listener log
    http, response_url = slack_app.slash("/deal", "help", user_id="U0SOMEONE")
    slack_app.answer(http, response_url)
    request_id = http.headers["x-request-id"]
    mine = [r for r in caplog.records if getattr(r, "request_id", None) == request_id]
    assert any(r.name == "bot.http" and "POST /slack/events 200" in r.message for r in mine)
    failed = "users.info for U0SOMEONE failed"
    assert any(r.name == "bot.identity" and failed in r.message for r in mine)
    assert len({r.threadName for r in mine}) >= 2  # the HTTP thread and a listener thread


def test_secrets_are_redacted_and_json_lines_parse() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContext((SIGNING_SECRET,)))
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("partnerbot.test.secrets")
    log.addHandler(handler)
    log.propagate = False
    token = REQUEST_ID.set("abc123")
    try:
        log.warning("token %s app %s secret %s", "xoxb-1-2-X", "xapp-1-A0-9-xyz", SIGNING_SECRET)
    finally:
        REQUEST_ID.reset(token)
        log.removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert entry["request_id"] == "abc123"
    assert entry["level"] == "warning"
    assert entry["message"] == "token [redacted] app [redacted] secret [redacted]"


@pytest.fixture
def process_logging() -> Iterator[Callable[[str], None]]:
    """``configure_logging`` as ``partnerbot serve`` calls it (to stderr, which the test
    captures), with the bot token and the signing secret; the test's logging restored after."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level, sys.excepthook, threading.excepthook
    yield lambda log_format: configure_logging(log_format, (BOT_TOKEN, SIGNING_SECRET))
    root.handlers[:], level, sys.excepthook, threading.excepthook = saved
    root.setLevel(level)


def _entries(output: str, log_format: str) -> list[dict[str, Any]]:
    """The JSON log's entries (every line must parse), or nothing for the text log."""
    return [json.loads(line) for line in output.splitlines()] if log_format == "json" else []


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_secrets_in_an_exceptions_text_are_redacted(
    process_logging: Callable[[str], None], capsys: pytest.CaptureFixture[str], log_format: str
) -> None:
    process_logging(log_format)
    try:
        try:
            raise KeyError(SIGNING_SECRET)
        except KeyError as cause:
            raise ValueError(f"[parameters: {{'text': '{BOT_TOKEN}\\x00'}}]") from cause
    except ValueError:
        logging.getLogger("bot.commands").exception("/scorecard failed for %s", "U0SOMEONE")
    output = capsys.readouterr().err
    assert BOT_TOKEN not in output
    assert SIGNING_SECRET not in output
    entries = _entries(output, log_format)
    traceback = entries[0]["error"] if entries else output
    assert "KeyError: '[redacted]'" in traceback
    assert "ValueError: [parameters: {'text': '[redacted]\\x00'}]" in traceback


def test_an_uncaught_error_in_a_thread_is_logged_redacted_as_json(
    process_logging: Callable[[str], None], capsys: pytest.CaptureFixture[str]
) -> None:
    process_logging("json")

    def fail() -> None:
        raise RuntimeError(f"secret {SIGNING_SECRET}")

    thread = threading.Thread(target=fail, name="doomed")
    thread.start()
    thread.join()
    [entry] = _entries(capsys.readouterr().err, "json")
    assert entry["message"] == "uncaught error in thread doomed"
    assert entry["error"].endswith("RuntimeError: secret [redacted]")


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_pasted_token_stays_out_of_the_log_of_a_database_error(
    engine: Engine,
    session_factory: sessionmaker[Session],
    fake_slack: FakeSlack,
    process_logging: Callable[[str], None],
    capsys: pytest.CaptureFixture[str],
    log_format: str,
) -> None:
    """SQLAlchemy's error text quotes the statement's parameters — a pasted token and secret
    with them — and a listener's failure is logged with it. (A NUL byte, which once made
    PostgreSQL raise one, is now answered at the door, before any query.)"""
    add_two_partners(session_factory, fake_slack)
    process_logging(log_format)
    pasted = f"{BOT_TOKEN} {SIGNING_SECRET}"
    try:
        with engine.connect() as connection:
            connection.execute(
                text("SELECT * FROM no_such_table WHERE name = :name"), {"name": pasted}
            )
    except SQLAlchemyError:
        logging.getLogger("bot.commands").exception("/scorecard failed for %s", MANAGER)
    url = engine.url.render_as_string(hide_password=False)
    with running_app(fake_slack, url, session_factory) as app:
        http, response_url = app.slash("/scorecard", f"{pasted}\x00", user_id=MANAGER)
        assert "type it again" in app.answer(http, response_url).body["text"]
    output = capsys.readouterr().err
    assert "[parameters:" in output  # the error and its parameters were logged ...
    assert BOT_TOKEN not in output  # ... without the secrets
    assert SIGNING_SECRET not in output
    _entries(output, log_format)  # in JSON every line parses
