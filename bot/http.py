"""HTTP mode: a WSGI app serving ``POST /slack/events`` and ``GET /healthz``, and a threaded
``wsgiref`` server around it for tests (``partnerbot serve`` runs the app under gunicorn:
``bot.server``).

Every request to ``/slack/events`` has its signature checked here, before Bolt parses anything:
Bolt's own check (kept, as a second line) answers 500 instead of 401 for a non-numeric
timestamp, parses the body before verifying it, and lets ``ssl_check`` requests through
unsigned. A request that fails the check gets 401 and nothing else happens.
"""

import json
import logging
import re
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import Executor
from http import HTTPStatus
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.simple_server import make_server as wsgi_server

from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.orm import Session, sessionmaker

from bot.app import create_app
from config.logs import REQUEST_ID
from config.program import Program, load_program
from config.settings import Settings
from models.db import open_database
from models.migrate import is_current

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1 << 20
"""Slack's payloads are a few kilobytes; anything near a megabyte is not from Slack."""

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
"""Seconds since 1970 in ASCII digits: slack_sdk turns 309 digits or more into a float and
fails with OverflowError (a 500) instead of saying no."""

Headers = list[tuple[str, str]]


def health_problem(session_factory: sessionmaker[Session]) -> str | None:
    """Why the app cannot serve ("database": unreachable; "migrations": the schema is behind
    the code, run ``partnerbot db upgrade``), or None when it can."""
    try:
        with session_factory() as session:
            current = is_current(session.connection())
    except Exception as error:  # any failure means "not healthy"; say why in one line
        logger.warning("health check: database unreachable: %s", str(error).splitlines()[0])
        return "database"
    if not current:
        logger.warning("health check: the schema is behind the code: run partnerbot db upgrade")
        return "migrations"
    return None


def request_headers(environ: "WSGIEnvironment") -> dict[str, str]:
    """HTTP headers from a WSGI environ, lower-case names as Bolt expects them."""
    headers = {
        key[5:].lower().replace("_", "-"): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.lower().replace("_", "-")] = environ[key]
    return headers


class SlackHttpApp:
    """The WSGI callable: routes, verifies Slack's signature, hands verified requests to Bolt."""

    def __init__(
        self, bolt_app: App, session_factory: sessionmaker[Session], signing_secret: str
    ) -> None:
        self.bolt_app = bolt_app
        self.session_factory = session_factory
        self.verifier = SignatureVerifier(signing_secret)

    def __call__(
        self, environ: "WSGIEnvironment", start_response: "StartResponse"
    ) -> Iterable[bytes]:
        """Answer one request under a fresh request id, which every log line of its work
        (listener threads included) carries and the answer's ``X-Request-Id`` header shows."""
        request_id = uuid.uuid4().hex[:12]
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        try:
            try:
                status, headers, body = self.route(environ)
            except Exception:
                logger.exception("unhandled error for %s", environ.get("PATH_INFO"))
                status, headers, body = _json(HTTPStatus.INTERNAL_SERVER_ERROR, {"ok": False})
            headers += [("Content-Length", str(len(body))), ("X-Request-Id", request_id)]
            start_response(f"{status.value} {status.phrase}", headers)
            if environ.get("PATH_INFO") != HEALTH_PATH or status != HTTPStatus.OK:
                logger.info(
                    "%s %s %s %.0f ms",
                    environ.get("REQUEST_METHOD"),
                    environ.get("PATH_INFO"),
                    status.value,
                    (time.perf_counter() - started) * 1000,
                )
            return [body]
        finally:
            REQUEST_ID.reset(token)

    def route(self, environ: "WSGIEnvironment") -> tuple[HTTPStatus, Headers, bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH:
            if method != "POST":
                return _json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "use POST"}, allow="POST")
            return self.slack_events(environ)
        if path == HEALTH_PATH:
            if method not in {"GET", "HEAD"}:
                return _json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "use GET"}, allow="GET")
            problem = health_problem(self.session_factory)
            if problem is None:
                return _json(HTTPStatus.OK, {"ok": True})
            return _json(HTTPStatus.SERVICE_UNAVAILABLE, {"ok": False, "error": problem})
        return _json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def slack_events(self, environ: "WSGIEnvironment") -> tuple[HTTPStatus, Headers, bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _json(HTTPStatus.BAD_REQUEST, {"error": "bad content-length"})
        if length < 0 or length > MAX_BODY_BYTES:
            return _json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "body too large"})
        raw = environ["wsgi.input"].read(length) if length else b""
        headers = request_headers(environ)
        if not self.signed_by_slack(raw, headers):
            return _json(HTTPStatus.UNAUTHORIZED, {"error": "invalid request"})
        try:
            request = BoltRequest(
                body=raw.decode("utf-8"), query=environ.get("QUERY_STRING", ""), headers=headers
            )
        except ValueError:  # a signed body Bolt cannot parse (e.g. payload= that is not JSON)
            return _json(HTTPStatus.BAD_REQUEST, {"error": "unreadable body"})
        response = self.bolt_app.dispatch(request)
        out = [(name, value) for name, values in response.headers.items() for value in values]
        out = [(n, v) for n, v in out if n.lower() != "content-length"]
        return HTTPStatus(response.status), out, response.body.encode("utf-8")

    def signed_by_slack(self, raw: bytes, headers: dict[str, str]) -> bool:
        """Signature v0 over ``v0:{timestamp}:{body}``, timestamp within 5 minutes of now."""
        timestamp = headers.get("x-slack-request-timestamp") or ""
        signature = headers.get("x-slack-signature")
        if not signature or not _TIMESTAMP.fullmatch(timestamp):
            return False
        try:
            return self.verifier.is_valid(raw, timestamp, signature)
        except ValueError:  # a body that is not UTF-8
            return False


def _json(status: HTTPStatus, body: object, **extra: str) -> tuple[HTTPStatus, Headers, bytes]:
    headers = [("Content-Type", "application/json; charset=utf-8")]
    headers += [(name.capitalize(), value) for name, value in extra.items()]
    return status, headers, json.dumps(body).encode("utf-8")


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per request, so a slow request never holds up Slack's next one."""

    daemon_threads = True


class LoggingRequestHandler(WSGIRequestHandler):
    """Access lines through ``logging`` instead of stderr."""

    def log_message(self, format: str, *args: object) -> None:
        logger.info("%s %s", self.address_string(), format % args)


def build_wsgi_app(
    settings: Settings,
    *,
    session_factory: sessionmaker[Session] | None = None,
    program: Program | None = None,
    listener_executor: Executor | None = None,
) -> SlackHttpApp:
    """The WSGI app: Bolt wired to the database and program rules, behind the signature
    check and the health probe."""
    if session_factory is None:
        session_factory = open_database(settings, "web").sessions
    if program is None:
        program = load_program(settings.program_path)
    bolt_app = create_app(settings, session_factory, program, listener_executor=listener_executor)
    return SlackHttpApp(bolt_app, session_factory, settings.slack_signing_secret or "")


def make_server(
    settings: Settings,
    port: int,
    *,
    host: str = "0.0.0.0",
    session_factory: sessionmaker[Session] | None = None,
    program: Program | None = None,
    listener_executor: Executor | None = None,
) -> WSGIServer:
    """A threaded ``wsgiref`` server around the app, bound but not yet serving (port 0 picks
    a free port): for tests and benchmarks in one process; ``partnerbot serve`` runs gunicorn
    (``bot.server``)."""
    wsgi_app = build_wsgi_app(
        settings,
        session_factory=session_factory,
        program=program,
        listener_executor=listener_executor,
    )
    return wsgi_server(
        host,
        port,
        wsgi_app,
        server_class=ThreadingWSGIServer,
        handler_class=LoggingRequestHandler,
    )
