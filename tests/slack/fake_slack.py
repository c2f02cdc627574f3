"""A fake Slack for tests: a real HTTP server on 127.0.0.1 (free port, background thread) that
answers the Web API methods partnerbot uses, the ``response_url`` endpoint and file upload URLs,
and records every request it receives so tests can assert on what the bot sent.

Point the app at it with ``SLACK_API_URL=fake.api_url``; give commands ``fake.response_url()``.
Make calls fail with ``fake.fail("chat.postMessage", status=429, retry_after=1)``, or at random
with ``fake.flaky(0.3, seed=1)``; hold an answer back with ``fake.hold("chat.postMessage")``.
Posted messages (with their ``metadata``) are kept per channel, ``chat.update`` replaces them
and ``conversations.history`` answers from them.

Written for partnerbot after the idea of bolt-python's ``tests/mock_web_api_server``.
"""

import itertools
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

BOT_TOKEN = "xoxb-partnerbot-test"
APP_TOKEN = "xapp-1-partnerbot-test"
HOME_TEAM = "T0HOME"
BOT_USER = "U0PARTNERBOT"
BOT_ID = "B0PARTNERBOT"

RESPONSE_URL = "response_url"
UPLOAD = "upload"


def direct_message(user: str) -> str:
    """The id of the bot's direct-message conversation with ``user`` (``conversations.open``)."""
    return f"D{user[1:]}"


@dataclass(frozen=True)
class Recorded:
    """One request the fake received. ``name`` is the Web API method (``chat.postMessage``),
    or ``response_url`` / ``upload`` for those endpoints."""

    name: str
    http_method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    """JSON body, or form/query fields (single values unwrapped)."""
    raw: bytes
    status: int
    """What the fake answered: 200, or an injected failure."""

    @classmethod
    def acknowledgement(
        cls, response_url: str, headers: dict[str, str], raw: bytes, status: int
    ) -> "Recorded":
        """An answer the app gave in a command's acknowledgement (HTTP answer ``raw``), which
        Slack shows as it would one posted to the command's ``response_url``: recorded under
        the name ``ack`` with that URL's path, so it is read like a posted answer."""
        path = urlsplit(response_url).path
        return cls("ack", "POST", path, headers, json.loads(raw), raw, status)

    received_at: float = field(default_factory=time.monotonic)


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    remaining: int
    took_effect: bool = False
    """The call did its work (a message was posted) before the error was answered."""


@dataclass
class _Flaky:
    rate: float
    names: frozenset[str] | None
    retry_after: int
    rng: random.Random


@dataclass
class FakeSlack:
    token: str = BOT_TOKEN
    team_id: str = HOME_TEAM
    app_token: str = APP_TOKEN
    socket_url: str | None = None
    """What ``apps.connections.open`` hands out: a Socket Mode endpoint's WebSocket URL."""
    channels: dict[str, bool] = field(default_factory=dict)
    """Channels ``conversations.info`` knows, and whether the bot is a member of each."""
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Messages posted with ``chat.postMessage``, by channel, oldest first."""
    post_errors: dict[str, str] = field(default_factory=dict)
    """Channels ``chat.postMessage`` refuses, with the error it answers (``not_in_channel``)."""
    method_errors: dict[str, str] = field(default_factory=dict)
    """Methods refused with the error answered (``files.getUploadURLExternal``:
    ``missing_scope``), as Slack refuses a call it will never accept."""
    _requests: list[Recorded] = field(default_factory=list)
    _flaky: _Flaky | None = None
    _holds: dict[str, list[threading.Event]] = field(default_factory=dict)
    _failures: dict[str, list[_Failure]] = field(default_factory=dict)
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        """The value for ``SLACK_API_URL``."""
        return f"{self.url}/api/"

    # --- configuration ---------------------------------------------------------------------

    def add_user(self, user_id: str, team_id: str, **fields: Any) -> None:
        """Make ``users.info`` know ``user_id`` as a member of ``team_id``."""
        self.users[user_id] = {"id": user_id, "team_id": team_id, "deleted": False, **fields}

    def response_url(self) -> str:
        """A fresh ``response_url`` for one command or interaction."""
        return f"{self.url}/{RESPONSE_URL}/{next(self._ids)}"

    def fail(
        self, name: str, *, status: int = 429, retry_after: int | None = 1, times: int = 1
    ) -> None:
        """Answer the next ``times`` calls of ``name`` with ``status`` (429 carries
        ``Retry-After``), then answer normally again."""
        with self._changed:
            self._failures.setdefault(name, []).append(_Failure(status, retry_after, times))

    def flaky(
        self,
        rate: float,
        *,
        seed: int,
        names: tuple[str, ...] | None = None,
        retry_after: int = 1,
    ) -> None:
        """Answer a random ``rate`` of the calls of ``names`` (default: every Web API method)
        with 429 (with ``Retry-After``) or 500, half each. Like Slack under load, a 500 on
        ``chat.postMessage`` may come after the message was posted: the client cannot tell."""
        with self._changed:
            chosen = frozenset(names) if names is not None else None
            self._flaky = _Flaky(rate, chosen, retry_after, random.Random(seed))

    def hold(self, name: str) -> threading.Event:
        """Do the next call of ``name`` (a message is posted) but hold its answer back until
        the returned event is set: the moment to kill the caller."""
        release = threading.Event()
        with self._changed:
            self._holds.setdefault(name, []).append(release)
        return release

    def all_messages(self) -> list[dict[str, Any]]:
        """Every posted message, each with its ``channel``."""
        with self._changed:
            return [
                {**message, "channel": channel}
                for channel, messages in self.messages.items()
                for message in messages
            ]

    def uploaded_files(self) -> dict[str, dict[str, Any]]:
        """Files whose upload ``files.completeUploadExternal`` completed, by id, with the fields
        of the completing call (``channel_id`` when shared into a conversation)."""
        completed: dict[str, dict[str, Any]] = {}
        for call in self.calls("files.completeUploadExternal"):
            files = call.body.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            if call.status == 200:
                completed |= {f["id"]: call.body for f in files}
        return completed

    def clear(self) -> None:
        """Forget what was recorded so far (failures still queued stay queued)."""
        with self._changed:
            self._requests.clear()

    # --- assertions ------------------------------------------------------------------------

    @property
    def requests(self) -> list[Recorded]:
        with self._changed:
            return list(self._requests)

    def calls(self, name: str) -> list[Recorded]:
        return [r for r in self.requests if r.name == name]

    def responses_to(self, response_url: str) -> list[Recorded]:
        path = urlsplit(response_url).path
        return [r for r in self.requests if r.path == path]

    def wait_for(
        self, match: Callable[[Recorded], bool], *, count: int = 1, timeout: float = 5.0
    ) -> list[Recorded]:
        """Block until ``count`` recorded requests match; fail the test after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [r for r in self._requests if match(r)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    names = [r.name for r in self._requests]
                    raise AssertionError(
                        f"fake Slack got {len(found)} of {count} expected request(s) in "
                        f"{timeout}s; it received: {names}"
                    )
                self._changed.wait(left)

    def wait_for_response(self, response_url: str, *, timeout: float = 5.0) -> Recorded:
        """The (first) message posted to ``response_url``."""
        path = urlsplit(response_url).path
        return self.wait_for(lambda r: r.path == path, timeout=timeout)[0]

    # --- answering -------------------------------------------------------------------------

    def _record(self, request: Recorded) -> None:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()

    def _injected_failure(self, name: str) -> _Failure | None:
        with self._changed:
            queue = self._failures.get(name, [])
            if not queue:
                return self._random_failure(name)
            failure = queue[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                queue.pop(0)
            return failure

    def _random_failure(self, name: str) -> _Failure | None:
        flaky = self._flaky
        if flaky is None or (flaky.names is not None and name not in flaky.names):
            return None
        if name in {RESPONSE_URL, UPLOAD} or flaky.rng.random() >= flaky.rate:
            return None
        if flaky.rng.random() < 0.5:
            return _Failure(429, flaky.retry_after, 1)
        return _Failure(500, None, 1, took_effect=flaky.rng.random() < 0.5)

    def _held(self, name: str) -> threading.Event | None:
        with self._changed:
            queue = self._holds.get(name, [])
            return queue.pop(0) if queue else None

    def _post(self, body: dict[str, Any], ts: str) -> dict[str, Any]:
        channel = str(body.get("channel"))
        if channel in self.post_errors:
            return {"ok": False, "error": self.post_errors[channel]}
        message = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": ts}
        message |= {k: body[k] for k in ("text", "blocks", "metadata") if k in body}
        if isinstance(message.get("metadata"), str):  # form-encoded calls send JSON text
            message["metadata"] = json.loads(message["metadata"])
        with self._changed:
            self.messages.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _update(self, body: dict[str, Any]) -> dict[str, Any]:
        """Replace the text and blocks of the posted message at ``channel``/``ts``, if any."""
        with self._changed:
            for message in self.messages.get(str(body.get("channel")), []):
                if message["ts"] == body.get("ts"):
                    message |= {k: body[k] for k in ("text", "blocks") if k in body}
        return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}

    def _history(self, body: dict[str, Any]) -> dict[str, Any]:
        """Newest first, from ``oldest``; metadata only with ``include_all_metadata``;
        ``cursor`` is an offset."""
        channel = str(body.get("channel"))
        if channel in self.post_errors:
            return {"ok": False, "error": self.post_errors[channel]}
        with self._changed:
            found = list(self.messages.get(channel, []))
        oldest = float(body.get("oldest") or 0)
        with_metadata = str(body.get("include_all_metadata")).lower() in {"1", "true"}
        found = [m for m in reversed(found) if float(m["ts"]) > oldest]
        if not with_metadata:
            found = [{k: v for k, v in m.items() if k != "metadata"} for m in found]
        start, limit = int(body.get("cursor") or 0), int(body.get("limit") or 100)
        page = found[start : start + limit]
        more = start + limit < len(found)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _answer_api(self, method: str, body: dict[str, Any], auth: str) -> dict[str, Any]:
        if not auth.startswith("Bearer "):
            return {"ok": False, "error": "not_authed"}
        expected = self.app_token if method == "apps.connections.open" else self.token
        if auth.removeprefix("Bearer ") != expected:
            return {"ok": False, "error": "invalid_auth"}
        if method in self.method_errors:
            return {"ok": False, "error": self.method_errors[method]}
        ts = f"{time.time():.6f}"
        match method:
            case "auth.test":
                return {
                    "ok": True,
                    "url": "https://home.example.slack.com/",
                    "team": "Home",
                    "user": "partnerbot",
                    "team_id": self.team_id,
                    "user_id": BOT_USER,
                    "bot_id": BOT_ID,
                    "is_enterprise_install": False,
                }
            case "chat.postMessage":
                return self._post(body, ts)
            case "conversations.history":
                return self._history(body)
            case "conversations.open":
                return {"ok": True, "channel": {"id": direct_message(str(body.get("users")))}}
            case "apps.connections.open":
                if self.socket_url is None:
                    return {"ok": False, "error": "socket_mode_not_enabled"}
                return {"ok": True, "url": self.socket_url}
            case "conversations.info":
                channel = str(body.get("channel"))
                if channel not in self.channels:
                    return {"ok": False, "error": "channel_not_found"}
                return {"ok": True, "channel": {"id": channel, "is_member": self.channels[channel]}}
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            case "chat.update":
                return self._update(body)
            case "views.open":
                view = body.get("view")
                view = json.loads(view) if isinstance(view, str) else dict(view or {})
                return {"ok": True, "view": {"id": f"V{next(self._ids):08d}", **view}}
            case "users.info":
                user = self.users.get(str(body.get("user")))
                return (
                    {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
                )
            case "files.getUploadURLExternal":
                file_id = f"F{next(self._ids):08d}"
                return {
                    "ok": True,
                    "upload_url": f"{self.url}/{UPLOAD}/{file_id}",
                    "file_id": file_id,
                }
            case "files.completeUploadExternal":
                files = body.get("files")
                files = json.loads(files) if isinstance(files, str) else files or []
                return {
                    "ok": True,
                    "files": [{"id": f["id"], "title": f.get("title")} for f in files],
                }
            case _:
                return {"ok": False, "error": "unknown_method"}


def _parse_body(content_type: str, raw: bytes, query: str) -> dict[str, Any]:
    fields: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if not raw:
        return fields
    if content_type.startswith("application/json"):
        parsed = json.loads(raw)
        return fields | (parsed if isinstance(parsed, dict) else {"_json": parsed})
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:  # a file upload's bytes, whatever its declared type
            return fields
        return fields | dict(parse_qsl(text, keep_blank_values=True))
    return fields


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the recorded requests are the log."""

        def _handle(self) -> None:
            url = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = url.path.strip("/").split("/")
            if parts[0] == "api" and len(parts) == 2:
                name = parts[1]
            elif parts[0] in {RESPONSE_URL, UPLOAD} and len(parts) == 2:
                name = parts[0]
            else:
                self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
                return
            content_type = self.headers.get("Content-Type", "")
            body = _parse_body(content_type, raw, url.query)
            headers = {k.lower(): v for k, v in self.headers.items()}
            failure = fake._injected_failure(name)
            status = failure.status if failure else 200
            fake._record(Recorded(name, self.command, url.path, headers, body, raw, status))
            if failure and failure.took_effect:
                fake._answer_api(name, body, self.headers.get("Authorization", ""))
            if failure:
                extra = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
                error = "ratelimited" if failure.status == 429 else "internal_error"
                payload = json.dumps({"ok": False, "error": error}).encode()
                self._send(failure.status, payload, "application/json", extra)
            elif name == UPLOAD:
                self._send(HTTPStatus.OK, f"OK - {len(raw)}".encode(), "text/plain")
            elif name == RESPONSE_URL:
                self._send(HTTPStatus.OK, b"ok", "text/plain")
            else:
                answer = fake._answer_api(name, body, self.headers.get("Authorization", ""))
                held = fake._held(name)
                if held is not None:
                    held.wait(timeout=60)
                self._send(HTTPStatus.OK, json.dumps(answer).encode(), "application/json")

        def _send(
            self,
            status: int,
            payload: bytes,
            content_type: str,
            extra: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler
