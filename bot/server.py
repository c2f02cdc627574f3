"""``partnerbot serve``: the Slack app under gunicorn, worker processes of a few threads each.

Why gunicorn with threads: Bolt is a WSGI-style synchronous framework and every request is
short (verify, work for a few milliseconds, answer in the acknowledgement). Each worker builds
its own app after the fork (database pool, Web API client, chart pool, registration index), so
nothing is shared in process memory that must be shared across processes: several workers and
several machines can serve behind a load balancer with one PostgreSQL.

Why our own worker class (:class:`BufferingWorker`): gunicorn's ``gthread`` workers read a
request in the thread that then runs the app, so a client that sends its headers or its body a
byte at a time holds a thread for as long as it likes; 16 such connections stopped a server of
2 workers × 4 threads. Ours reads every request, headers and body, in the worker's event loop,
where a slow client costs a buffer and a file descriptor, and gives it to a thread only once it
is complete; a request not complete within :data:`READ_SECONDS` is answered 408 and closed.
"""

import contextlib
import logging
import os
import re
import selectors
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gunicorn import http, util
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger as GunicornLogger
from gunicorn.http import wsgi
from gunicorn.workers.base import Worker
from slack_sdk.errors import SlackApiError

from bot.app import SlackConfigError
from bot.http import MAX_BODY_BYTES, SlackHttpApp, build_wsgi_app
from config.program import Program
from config.settings import Settings
from messages.client import make_client

logger = logging.getLogger(__name__)

THREADS_PER_WORKER = 4
"""Requests a worker runs at once; more wait, complete, in its queue. Python runs one thread
at a time per process, and a request thread waiting for its acknowledgement polls (Bolt checks
every 10 ms), so more threads only make queued requests compete with the one being worked on:
at 200 commands a second on 2 cores, 16 threads gave acknowledgements at 0.3–1.3 s p99 (5.4 ms
of server CPU a command), 4 threads at 0.14–0.17 s (4.5 ms)."""
TIMEOUT_SECONDS = 30
"""A worker silent this long is restarted; Slack stops waiting after 3 seconds anyway."""
READ_SECONDS = 10.0
"""Time a client has to send a whole request, from connecting to its body's last byte. Slack
sends a request in one go; only a slow or hostile client needs more."""
MAX_HEADER_BYTES = 64 * 1024
"""The request line and headers of a Slack request take under 2 KB."""
MAX_READING = 256
"""Connections a worker reads at once; a new one beyond that drops the one reading longest,
which bounds a worker's buffers to about ``MAX_READING`` × 1 MiB."""
SEND_SECONDS = 10.0
"""Time a thread may wait for a client to take the answer (a few kilobytes)."""

_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:[ \t]*([0-9]{1,9})[ \t]*(?=\r\n)", re.I)
_EXPECT_CONTINUE = re.compile(rb"\r\nexpect[ \t]*:[ \t]*100-continue[ \t]*\r\n", re.I)


@dataclass
class Incoming:
    """A connection whose request is still arriving."""

    sock: socket.socket
    client: Any
    server: Any
    deadline: float
    data: bytearray = field(default_factory=bytearray)
    complete_at: int | None = None
    """Bytes that make the whole request, once its headers are in."""


def _request_size(data: bytearray) -> int | None:
    """Bytes the request in ``data`` takes (headers and the body they announce), or None while
    its headers are incomplete. A body that is not announced by exactly one Content-Length of
    at most :data:`MAX_BODY_BYTES` is not waited for: the app refuses such a request at once
    (gunicorn parses the same bytes and answers malformed ones with 400)."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(data[: end + 2])
    lengths = _CONTENT_LENGTH.findall(head)
    body = int(lengths[0]) if len(lengths) == 1 else 0
    return end + 4 + (body if body <= MAX_BODY_BYTES else 0)


def _expects_continue(data: bytearray) -> bool:
    """Whether the headers in ``data`` ask for ``100 Continue`` before the body is sent."""
    return _EXPECT_CONTINUE.search(data, 0, data.find(b"\r\n\r\n") + 2) is not None


class BufferingWorker(Worker):  # type: ignore[misc]  # gunicorn is untyped
    """A gunicorn worker that reads requests whole in its event loop before a thread runs them
    (see the module's docstring). Each answer closes its connection: Slack opens one per
    request, and so a kept-alive connection cannot bring a slow request to a thread."""

    def init_process(self) -> None:
        self.threads = ThreadPoolExecutor(self.cfg.threads, thread_name_prefix="request")
        self.selector = selectors.DefaultSelector()
        self.reading: dict[int, Incoming] = {}
        super().init_process()  # loads the app, then calls run()

    def run(self) -> None:
        for listener in self.sockets:
            listener.setblocking(False)
            self.selector.register(listener, selectors.EVENT_READ)
        while self.alive and self.is_parent_alive():
            self.notify()
            for key, _ in self.selector.select(timeout=0.5):
                if key.fileobj in self.sockets:
                    self.accept(key.fileobj)
                else:
                    self.receive(key.data)
            self.expire()
        for listener in self.sockets:
            self.selector.unregister(listener)
        for incoming in list(self.reading.values()):
            self.drop(incoming)
        self.threads.shutdown(wait=True)  # answer what was complete; the arbiter bounds this

    def is_parent_alive(self) -> bool:
        if self.ppid != os.getppid():
            self.log.info("Parent changed, shutting down: %s", self)
            return False
        return True

    def accept(self, listener: socket.socket) -> None:
        try:
            sock, client = listener.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return  # another worker took it
        if len(self.reading) >= MAX_READING:
            self.drop(next(iter(self.reading.values())))
        sock.setblocking(False)
        incoming = Incoming(sock, client, listener.getsockname(), time.monotonic() + READ_SECONDS)
        self.reading[sock.fileno()] = incoming
        self.selector.register(sock, selectors.EVENT_READ, incoming)

    def receive(self, incoming: Incoming) -> None:
        try:
            chunk = incoming.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:  # the client went away
            self.drop(incoming)
            return
        incoming.data += chunk
        if incoming.complete_at is None:
            incoming.complete_at = _request_size(incoming.data)
            if incoming.complete_at is None:
                if len(incoming.data) > MAX_HEADER_BYTES:
                    self.refuse(incoming, "431 Request Header Fields Too Large")
                return
            if len(incoming.data) < incoming.complete_at and _expects_continue(incoming.data):
                with contextlib.suppress(OSError):  # the client waits for it before its body
                    incoming.sock.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        if len(incoming.data) >= incoming.complete_at:
            self.forget(incoming)
            incoming.sock.setblocking(True)
            incoming.sock.settimeout(SEND_SECONDS)
            self.threads.submit(self.handle, incoming)

    def expire(self) -> None:
        now = time.monotonic()
        for incoming in [i for i in self.reading.values() if i.deadline <= now]:
            self.refuse(incoming, "408 Request Timeout")

    def forget(self, incoming: Incoming) -> None:
        self.selector.unregister(incoming.sock)
        del self.reading[incoming.sock.fileno()]

    def drop(self, incoming: Incoming) -> None:
        self.forget(incoming)
        util.close(incoming.sock)

    def refuse(self, incoming: Incoming, status: str) -> None:
        """Answer a request that will not be read (the socket's buffer takes the few bytes
        without waiting), then close."""
        answer = f"HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        with contextlib.suppress(OSError):
            incoming.sock.send(answer.encode("ascii"))
        self.drop(incoming)

    def handle(self, incoming: Incoming) -> None:
        """Parse the complete request from its buffer and answer it (in a thread)."""
        request = None
        try:
            parser = http.RequestParser(self.cfg, iter([bytes(incoming.data)]), incoming.client)
            request = next(parser)
            self.handle_request(request, incoming)
        except (http.errors.NoMoreData, StopIteration):
            pass
        except OSError as error:  # the client left before its answer: nothing to tell it
            self.log.debug("could not answer %s: %s", incoming.client, error)
        except Exception as error:
            self.handle_error(request, incoming.sock, incoming.client, error)
        finally:
            util.close(incoming.sock)

    def handle_request(self, request: Any, incoming: Incoming) -> None:
        """gunicorn's own request cycle (as its ``sync`` worker runs it), closing the
        connection after the answer."""
        environ: dict[str, Any] = {}
        response = None
        try:
            self.cfg.pre_request(self, request)
            started = datetime.now()
            response, environ = wsgi.create(
                request, incoming.sock, incoming.client, incoming.server, self.cfg
            )
            environ["wsgi.multithread"] = True
            response.force_close()
            self.nr += 1
            if self.nr >= self.max_requests:
                self.log.info("Autorestarting worker after current request.")
                self.alive = False
            body = self.wsgi(environ, response.start_response)
            try:
                for item in body:
                    response.write(item)
                response.close()
            finally:
                self.log.access(response, request, environ, datetime.now() - started)
                if hasattr(body, "close"):
                    body.close()
        finally:
            try:
                self.cfg.post_request(self, request, environ, response)
            except Exception:
                self.log.exception("Exception in post_request hook")


class ProcessLogger(GunicornLogger):  # type: ignore[misc]  # gunicorn is untyped
    """gunicorn's own lines ("Booting worker", a worker's crash) through the process's logging
    set-up (``config.logs``): the same format, JSON included, and the same redaction."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.handlers[:] = []
            log.propagate = True


class PartnerbotServer(BaseApplication):  # type: ignore[misc]  # gunicorn is untyped
    def __init__(self, settings: Settings, program: Program, options: dict[str, Any]) -> None:
        self.settings = settings
        self.program = program
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # control_socket_disable is new in gunicorn 25.1
                self.cfg.set(key, value)

    def load(self) -> SlackHttpApp:
        """Called in each worker after the fork: the app and its connections are the
        worker's own."""
        return build_wsgi_app(self.settings, program=self.program)


def check_slack(settings: Settings) -> None:
    """Fail at start, in one line, when Slack does not answer or refuses the token: otherwise
    every worker fails to boot with a traceback and gunicorn stops. slack-sdk's own lines
    about its retries are silenced meanwhile: they would only repeat that line."""
    sdk = logging.getLogger("slack_sdk")
    level = sdk.level
    sdk.setLevel(logging.CRITICAL)
    try:
        make_client(settings).auth_test()
    except SlackApiError as error:
        raise SlackConfigError(
            f"Slack refused SLACK_BOT_TOKEN ({error.response.get('error')}): set it to the "
            "app's Bot User OAuth Token (xoxb-…) and start again"
        ) from None
    except OSError as error:  # URLError, timeouts and refused connections are OSErrors
        reason = getattr(error, "reason", error)
        raise SlackConfigError(
            f"Slack did not answer at {settings.slack_api_url} ({reason}): check SLACK_API_URL "
            "and that this machine reaches it, then start again"
        ) from None
    finally:
        sdk.setLevel(level)


def check_port(port: int) -> None:
    """Fail at start, in one line, when the port is taken: gunicorn would try for 5 seconds,
    a line each, and then exit 1 (the exit code of a rejected file)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind(("0.0.0.0", port))
        except OSError as error:
            raise SlackConfigError(
                f"cannot listen on port {port} ({error.strerror}): stop what uses it or set "
                "PORT to another port, then start again"
            ) from None


def serve(settings: Settings, port: int, workers: int, *, program: Program) -> None:
    """Serve HTTP mode on ``port`` with ``workers`` processes until stopped (SIGTERM)."""
    logger.info("partnerbot serving on :%s with %s worker(s)", port, workers)
    PartnerbotServer(
        settings,
        program,
        {
            "bind": f"0.0.0.0:{port}",
            "workers": workers,
            "worker_class": f"{__name__}.{BufferingWorker.__name__}",
            "threads": THREADS_PER_WORKER,
            "timeout": TIMEOUT_SECONDS,
            "graceful_timeout": TIMEOUT_SECONDS,
            "accesslog": None,  # the app logs each request itself, with its request id
            "errorlog": "-",
            "logger_class": f"{__name__}.{ProcessLogger.__name__}",
            "control_socket_disable": True,  # no runtime control through a local socket
            "limit_request_line": 8190,
            "limit_request_fields": 100,
        },
    ).run()
