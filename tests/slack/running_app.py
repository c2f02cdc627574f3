"""The real partnerbot WSGI app served on a free local port, and a small HTTP client for it."""

import http.client
import json
import threading
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIServer

from sqlalchemy.orm import Session, sessionmaker

from bot.http import make_server
from config.logs import ContextExecutor
from config.program import Program
from config.settings import Settings
from tests.programs import EXAMPLE_PROGRAM
from tests.slack.fake_slack import BOT_TOKEN, HOME_TEAM, FakeSlack, Recorded
from tests.slack.signing import (
    SIGNING_SECRET,
    SlackRequest,
    interactivity_body,
    signed,
    slash_command_body,
)


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RunningApp:
    """The server ``bot.http.serve`` runs, serving in a background thread, and the executor
    its lazy listeners run on."""

    def __init__(self, server: WSGIServer, fake: FakeSlack, listeners: Executor) -> None:
        self.server = server
        self.fake = fake
        self.listeners = listeners
        self._thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)

    def start(self) -> "RunningApp":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the listeners still running: after this nothing more of
        the app's reaches the fake Slack. Stopping twice is harmless."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
        self.listeners.shutdown(wait=True)

    def assert_quiet(self) -> None:
        """Stop the app (see :meth:`stop`), then assert it sent Slack nothing at all: for tests
        of requests that must have no effect, without sleeping to see that nothing follows."""
        self.stop()
        assert self.fake.requests == [], (
            f"fake Slack received {[r.name for r in self.fake.requests]}"
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> HttpAnswer:
        parts = urlsplit(self.url)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return HttpAnswer(
                response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
            )
        finally:
            connection.close()

    def post_events(self, request: SlackRequest) -> HttpAnswer:
        return self.request("POST", "/slack/events", request.body, request.headers)

    def slash(
        self, command: str, text: str, *, user_id: str, team_id: str = HOME_TEAM
    ) -> tuple[HttpAnswer, str]:
        """Send a signed slash command; returns the HTTP answer and its ``response_url``."""
        response_url = self.fake.response_url()
        body = slash_command_body(
            command, text, user_id=user_id, team_id=team_id, response_url=response_url
        )
        return self.post_events(signed(body)), response_url

    def answer(self, http: HttpAnswer, response_url: str, *, timeout: float = 5.0) -> Recorded:
        """The ephemeral answer to a slash command as its sender sees it: the acknowledgement's
        body when the app answered in it (recorded under the name ``ack``), else the message it
        then posted to ``response_url``."""
        if http.body:
            return Recorded.acknowledgement(response_url, http.headers, http.body, http.status)
        return self.fake.wait_for_response(response_url, timeout=timeout)

    def interact(self, payload: dict[str, Any]) -> HttpAnswer:
        """Send a signed interactivity request (``payload=`` JSON), as Slack does."""
        return self.post_events(signed(interactivity_body(payload)))


def slack_settings(
    database_url: str, fake: FakeSlack, *, registration_index: bool = True, **environment: Any
) -> Settings:
    """Settings for the app under test; ``environment`` sets more of them by variable name."""
    return Settings(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        PARTNERBOT_REGISTRATION_INDEX=registration_index,
        **{"PARTNERBOT_CHART_PROCESSES": 0, **environment},  # default: drawn in the thread
    )


@contextmanager
def running_app(
    fake: FakeSlack,
    database_url: str,
    session_factory: sessionmaker[Session] | None = None,
    program: Program = EXAMPLE_PROGRAM,
    **environment: Any,
) -> Iterator[RunningApp]:
    """Serve the app (the same server ``bot.http.serve`` runs) on a free port, with settings
    ``environment`` besides the tests' own; on exit stop it and let running lazy listeners
    finish, so nothing reaches the fake after the test."""
    executor = ContextExecutor(max_workers=4, thread_name_prefix="bolt")
    server = make_server(
        slack_settings(database_url, fake, **environment),
        0,
        host="127.0.0.1",
        session_factory=session_factory,
        program=program,
        listener_executor=executor,
    )
    app = RunningApp(server, fake, executor).start()
    try:
        yield app
    finally:
        app.stop()
