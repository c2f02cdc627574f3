"""``partnerbot serve``: the Slack app under gunicorn, worker processes of a few threads each.

Why gunicorn with threads: Bolt is a WSGI-style synchronous framework, every request is short
(verify, work for a few milliseconds, answer in the acknowledgement), and gunicorn's ``gthread``
workers keep a slow client from holding a process. Each worker builds its own app after the
fork (database pool, Web API client, chart pool, registration index), so nothing is shared in
process memory that must be shared across processes: several workers and several machines can
serve behind a load balancer with one PostgreSQL.
"""

import logging
from typing import Any

from gunicorn.app.base import BaseApplication

from bot.http import SlackHttpApp, build_wsgi_app
from config.program import Program
from config.settings import Settings

logger = logging.getLogger(__name__)

THREADS_PER_WORKER = 4
"""Requests a worker handles at once; more wait, unread, in gunicorn's queue. Python runs one
thread at a time per process, and a request thread waiting for its acknowledgement polls (Bolt
checks every 10 ms), so more threads only make queued requests compete with the one being
worked on: at 200 commands a second on 2 cores, 16 threads gave acknowledgements at 0.3–1.3 s
p99 (5.4 ms of server CPU a command), 4 threads at 0.14–0.17 s (4.5 ms)."""
TIMEOUT_SECONDS = 30
"""A worker silent this long is restarted; Slack stops waiting after 3 seconds anyway."""


class PartnerbotServer(BaseApplication):  # type: ignore[misc]  # gunicorn is untyped
    def __init__(self, settings: Settings, program: Program, options: dict[str, Any]) -> None:
        self.settings = settings
        self.program = program
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> SlackHttpApp:
        """Called in each worker after the fork: the app and its connections are the
        worker's own."""
        return build_wsgi_app(self.settings, program=self.program)


def serve(settings: Settings, port: int, workers: int, *, program: Program) -> None:
    """Serve HTTP mode on ``port`` with ``workers`` processes until stopped (SIGTERM)."""
    logger.info("partnerbot serving on :%s with %s worker(s)", port, workers)
    PartnerbotServer(
        settings,
        program,
        {
            "bind": f"0.0.0.0:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": THREADS_PER_WORKER,
            "timeout": TIMEOUT_SECONDS,
            "graceful_timeout": TIMEOUT_SECONDS,
            "accesslog": None,  # the app logs each request itself, with its request id
            "errorlog": "-",
            "limit_request_line": 8190,
            "limit_request_fields": 100,
        },
    ).run()
