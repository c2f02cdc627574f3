"""The real partnerbot WSGI app served on a free local port, and a small HTTP client for it."""

import http.client
import json
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIServer

from tests.slack.fake_slack import HOME_TEAM, FakeSlack, Recorded
from tests.slack.signing import SlackRequest, interactivity_body, signed, slash_command_body


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RunningApp:
    """The server ``bot.http.serve`` runs, serving in a background thread."""

    def __init__(self, server: WSGIServer, fake: FakeSlack) -> None:
        self.server = server
        self.fake = fake
        self._thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)

    def start(self) -> "RunningApp":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

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
