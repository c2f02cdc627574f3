"""``partnerbot doctor``: is this installation ready to serve? Each check says what it found
and, when something is wrong, what to do about it, so a first install is debugged from one
command's output rather than from logs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from config.program import Program
from config.settings import Settings
from deals.partner_lookup import shared_channels
from models.db import Database
from models.migrate import is_current

if TYPE_CHECKING:
    from slack_sdk import WebClient

CHANNEL_CHECKS_PER_MINUTE = 50
"""``conversations.info`` is in Slack's Tier 3: 50+ calls a minute per workspace, sporadic
bursts welcome. Doctor starts with a minute's worth at once, then keeps to the rate."""
CHANNEL_CHECKS_AT_ONCE = 4
"""Calls in flight together: enough to keep to the rate over a slow connection."""
RATE_LIMITED_ATTEMPTS = 5
"""Times a channel is asked about while Slack answers 429 (each after its Retry-After)."""

Progress = Callable[[int, int], None]
"""Told (channels checked, channels to check) as the channel checks proceed."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    found: str
    fix: str = ""


def _slack_error(error: Exception) -> str:
    from slack_sdk.errors import SlackApiError

    if isinstance(error, SlackApiError):
        return str(error.response.get("error", error))
    return str(error).splitlines()[0]


def check_settings(settings: Settings) -> Iterator[Check]:
    if not settings.slack_bot_token:
        yield Check("bot token", False, "SLACK_BOT_TOKEN is not set", "set it to the xoxb-… token")
    else:
        yield Check("bot token", True, "SLACK_BOT_TOKEN is set")
    if settings.slack_app_token:
        yield Check("mode", True, "Socket Mode (SLACK_APP_TOKEN is set)")
    elif not settings.slack_signing_secret:
        yield Check(
            "signing secret",
            False,
            "SLACK_SIGNING_SECRET is not set",
            "set it from the app's Basic Information page",
        )
    else:
        yield Check("mode", True, "HTTP mode, requests verified with SLACK_SIGNING_SECRET")


def check_database(engine: Engine) -> Iterator[Check]:
    try:
        current = is_current(engine)
    except Exception as error:  # whatever the driver raises, the answer is "unreachable"
        yield Check(
            "database",
            False,
            f"cannot connect: {str(error).splitlines()[0]}",
            "check DATABASE_URL and that the server is up",
        )
        return
    yield Check("database", True, f"reachable ({engine.url.get_backend_name()})")
    if current:
        yield Check("schema", True, "migrations are current")
    else:
        yield Check("schema", False, "migrations are behind the code", "run partnerbot db upgrade")


def _program_channels(program: Program) -> dict[str, str]:
    """Channel id → what the program uses it for."""
    channels: dict[str, str] = {}
    routes = [program.routing.default, *program.routing.rules]
    for number, route in enumerate(routes):
        if route.channel:
            what = "default approvals" if number == 0 else f"approvals (routing rule {number})"
            channels.setdefault(route.channel, what)
    if program.channels.alerts:
        channels.setdefault(program.channels.alerts, "alerts")
    if program.channels.leadership_digest:
        channels.setdefault(program.channels.leadership_digest, "leadership digest")
    return channels


class Pacer:
    """Starts calls at most ``per_minute`` a minute (a token bucket holding a minute's worth),
    and holds every caller back while Slack's Retry-After runs, not only the one answered
    429. Thread-safe."""

    def __init__(self, per_minute: int) -> None:
        self._interval = 60 / per_minute
        self._capacity = float(per_minute)
        self._tokens = self._capacity
        self._updated = time.monotonic()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until a call may start, and count it."""
        while True:
            with self._lock:
                now = time.monotonic()
                refill = (now - self._updated) / self._interval
                self._tokens = min(self._capacity, self._tokens + refill)
                self._updated = now
                delay = self._paused_until - now
                if delay <= 0 and self._tokens >= 1:
                    self._tokens -= 1
                    return
                delay = max(delay, (1 - self._tokens) * self._interval)
            time.sleep(delay)

    def pause(self, seconds: float) -> None:
        """Slack said to retry after ``seconds``: no call starts before then."""
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)


def _retry_after(error: Exception) -> float | None:
    """Seconds Slack's 429 said to wait (1 when it named none); None for any other error."""
    from slack_sdk.errors import SlackApiError

    if not isinstance(error, SlackApiError) or error.response.status_code != 429:
        return None
    headers = {name.lower(): value for name, value in (error.response.headers or {}).items()}
    value = headers.get("retry-after", "1")
    try:
        return float(value[0] if isinstance(value, list) else value)
    except ValueError:
        return 1.0


def _membership(client: WebClient, pacer: Pacer, channel: str, what: str) -> Check:
    from slack_sdk.errors import SlackApiError, SlackClientError

    name = f"channel {channel}"
    for _ in range(RATE_LIMITED_ATTEMPTS):
        pacer.wait()
        try:
            info = client.conversations_info(channel=channel)
        except (SlackApiError, SlackClientError, OSError) as error:
            wait = _retry_after(error)
            if wait is None:
                return Check(name, False, f"{what}: {_slack_error(error)}", "check the channel id")
            pacer.pause(wait)
            continue
        if not (info.get("channel") or {}).get("is_member"):
            invite = f"/invite the bot to {channel}"
            return Check(name, False, f"{what}: the bot is not a member", invite)
        return Check(name, True, f"{what}: the bot is a member")
    return Check(
        name, False, f"{what}: Slack kept answering 429", "run partnerbot doctor again later"
    )


def check_channels(
    client: WebClient, channels: dict[str, str], progress: Progress | None = None
) -> list[Check]:
    """Whether the bot is in each channel (id → what it is for), asked a few at a time within
    ``conversations.info``'s rate, waiting out Retry-After; in ``channels``' order."""
    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

    # the pacer waits out a 429 for every thread: the client's own handler would for one only
    client.retry_handlers = [
        h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)
    ]
    pacer = Pacer(CHANNEL_CHECKS_PER_MINUTE)
    done = 0
    lock = threading.Lock()

    def check(item: tuple[str, str]) -> Check:
        nonlocal done
        found = _membership(client, pacer, *item)
        if progress is not None:
            with lock:
                done += 1
                progress(done, len(channels))
        return found

    with ThreadPoolExecutor(CHANNEL_CHECKS_AT_ONCE, thread_name_prefix="doctor") as pool:
        return list(pool.map(check, channels.items()))


def check_slack(
    settings: Settings,
    program: Program,
    database: Database | None,
    progress: Progress | None = None,
) -> Iterator[Check]:
    """The token works, and the bot is in every channel the program and the partners name.
    (The Slack client is imported here: without a token, doctor never loads it.)"""
    from slack_sdk.errors import SlackApiError, SlackClientError

    from messages.client import make_client

    client = make_client(settings)
    try:
        identity = client.auth_test()
    except (SlackApiError, SlackClientError, OSError) as error:
        yield Check(
            "slack",
            False,
            f"auth.test failed: {_slack_error(error)}",
            "check SLACK_BOT_TOKEN and SLACK_API_URL",
        )
        return
    yield Check("slack", True, f"token of {identity.get('user')} in team {identity.get('team')}")
    channels = _program_channels(program)
    if database is not None:
        with database.sessions() as session:
            partners = shared_channels(session)
        for channel, name in partners:
            channels.setdefault(channel, f"{name}'s shared channel")
    yield from check_channels(client, channels, progress)


def check_outbox(database: Database) -> Iterator[Check]:
    """Messages Slack refused for good (never dropped silently), each with what to do."""
    from jobs.refused import undelivered

    with database.sessions() as session:
        failed, total = undelivered(session)
    if not total:
        yield Check("outbox", True, "every queued message was delivered or is being retried")
        return
    for message in failed:
        yield Check(
            f"message {message.key}",
            False,
            f"{message.kind} to {message.channel} not delivered: {message.error}",
            f"{message.fix}; then partnerbot outbox retry",
        )
    if total > len(failed):
        yield Check("outbox", False, f"{total - len(failed)} older undelivered message(s)")


def diagnose(
    settings: Settings, program: Program, database: Database, progress: Progress | None = None
) -> list[Check]:
    checks = [*check_settings(settings), *check_database(database.engine)]
    database_ok = all(c.ok for c in checks if c.name in {"database", "schema"})
    if database_ok:
        checks += check_outbox(database)
    if settings.slack_bot_token:
        checks += check_slack(settings, program, database if database_ok else None, progress)
    return checks


def summarised(checks: list[Check]) -> list[Check]:
    """What to show: the problems first, then the passing checks, the channels the bot is in
    counted on one line (a program can name hundreds)."""
    problems = [c for c in checks if not c.ok]
    passing = [c for c in checks if c.ok and not c.name.startswith("channel ")]
    channels = sum(c.ok and c.name.startswith("channel ") for c in checks)
    if channels:
        passing.append(Check("channels", True, f"the bot is a member of {channels:,} channel(s)"))
    return problems + passing
