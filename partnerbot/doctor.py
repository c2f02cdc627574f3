"""``partnerbot doctor``: is this installation ready to serve? Each check says what it found
and, when something is wrong, what to do about it, so a first install is debugged from one
command's output rather than from logs."""

from __future__ import annotations

from collections.abc import Iterator
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


def _membership(client: WebClient, channel: str, what: str) -> Check:
    from slack_sdk.errors import SlackApiError, SlackClientError

    name = f"channel {channel}"
    try:
        info = client.conversations_info(channel=channel)
    except (SlackApiError, SlackClientError, OSError) as error:
        return Check(name, False, f"{what}: {_slack_error(error)}", "check the channel id")
    if not (info.get("channel") or {}).get("is_member"):
        invite = f"/invite the bot to {channel}"
        return Check(name, False, f"{what}: the bot is not a member", invite)
    return Check(name, True, f"{what}: the bot is a member")


def check_slack(settings: Settings, program: Program, database: Database | None) -> Iterator[Check]:
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
    for channel, what in channels.items():
        yield _membership(client, channel, what)


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


def diagnose(settings: Settings, program: Program, database: Database) -> list[Check]:
    checks = [*check_settings(settings), *check_database(database.engine)]
    database_ok = all(c.ok for c in checks if c.name in {"database", "schema"})
    if database_ok:
        checks += check_outbox(database)
    if settings.slack_bot_token:
        checks += check_slack(settings, program, database if database_ok else None)
    return checks
