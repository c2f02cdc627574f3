"""``partnerbot serve`` as a platform runs it, in a child process on a free port, and a small
HTTP client for it: for the tests of gunicorn, its workers and its logs."""

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from models.db import make_engine
from models.migrate import upgrade
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.slack.signing import SIGNING_SECRET
from tests.waiting import wait_until


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def post(
    port: int, body: bytes, headers: dict[str, str], *, timeout: float = 5
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", "/slack/events", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass
class Served:
    """A running ``partnerbot serve``; ``output`` (stdout and stderr) is complete once the
    ``serving`` block has ended."""

    port: int
    process: "subprocess.Popen[bytes]"
    log: Path
    returncode: int | None = None

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")


def serve_environment(api_url: str, folder: Path, **environment: str) -> dict[str, str]:
    """The environment of ``partnerbot serve`` on a database in ``folder`` and the Slack
    at ``api_url``, with ``environment`` besides."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'serve.sqlite3'}",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "WEB_CONCURRENCY": "2",
        "PARTNERBOT_CHART_PROCESSES": "0",
        **environment,
    }
    env.pop("PARTNERBOT_PROGRAM", None)
    return env


def serve_until_it_stops(
    api_url: str, folder: Path, **environment: str
) -> "subprocess.CompletedProcess[str]":
    """Run ``partnerbot serve`` that is expected to refuse to start (a minute at most)."""
    return subprocess.run(
        [sys.executable, "-m", "partnerbot", "serve"],
        cwd=folder,
        env=serve_environment(api_url, folder, **environment),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@contextmanager
def serving(fake: FakeSlack, folder: Path, **environment: str) -> Iterator[Served]:
    """``partnerbot serve`` on a migrated SQLite database in ``folder``, pointed at ``fake``,
    with ``environment`` besides; healthy (both workers have checked the token) when the block
    starts, stopped with SIGTERM when it ends."""
    upgrade(make_engine(f"sqlite:///{folder / 'serve.sqlite3'}"))
    port = free_port()
    env = serve_environment(fake.api_url, folder, PORT=str(port), **environment)
    log = folder / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "partnerbot", "serve"],
            cwd=folder,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    served = Served(port, process, log)
    try:
        wait_until_healthy(served)
        # each worker checks the token itself (the first may answer /healthz before the second)
        fake.wait_for(lambda r: r.name == "auth.test", count=2, timeout=30)
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        served.returncode = process.wait(timeout=40)


def wait_until_healthy(served: Served) -> None:
    def healthy() -> bool:
        assert served.process.poll() is None, served.output
        try:
            return get(served.port, "/healthz")[0] == 200
        except OSError:
            return False

    wait_until(healthy, "partnerbot serve healthy", interval=0.2)


def slow_connection(port: int, number: int) -> socket.socket:
    """A connection that has begun a request and will only ever trickle the rest: half stop
    inside the headers, half announce a 100,000-byte body and send none of it yet."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    start = b"POST /slack/events HTTP/1.1\r\nHost: partnerbot\r\n"
    if number % 2:
        start += b"Content-Type: application/x-www-form-urlencoded\r\n"
        start += b"Content-Length: 100000\r\n\r\n"
    else:
        start += b"X-Slow: "
    sock.sendall(start)
    return sock


def trickle(connections: list[socket.socket], stop: threading.Event) -> None:
    """One more byte on every connection every 0.5 s until ``stop``."""
    while not stop.wait(0.5):
        for sock in connections:
            with contextlib.suppress(OSError):  # the server closed it: fine
                sock.send(b"a")
