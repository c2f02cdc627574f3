"""Logs of the serving process: every line of a Slack request's work, the listener thread's
included, carries the request id its answer shows in ``X-Request-Id``; tokens and the signing
secret never reach a log line; JSON lines for log shippers."""

import io
import json
import logging

import pytest

from config.logs import REQUEST_ID, JsonFormatter, RequestContext
from tests.slack.fake_slack import FakeSlack
from tests.slack.running_app import RunningApp
from tests.slack.signing import SIGNING_SECRET


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
