"""The long-running processes, ``serve`` (Slack) and ``worker`` (schedules and delivery), and
``outbox retry`` for what the worker could not deliver."""

from __future__ import annotations

import logging
import signal
import threading
from typing import TYPE_CHECKING

import click

from partnerbot.cli.context import Context, console, fail, pass_context

if TYPE_CHECKING:
    from config.settings import Settings


@click.command()
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port to listen on (default: $PORT, else 3000)."
)
@click.option(
    "--workers", type=click.IntRange(1, 64), help="Processes (default: $WEB_CONCURRENCY, else 2)."
)
@pass_context
def serve(ctx: Context, port: int | None, workers: int | None) -> None:
    """Answer Slack: slash commands, interactivity and events at POST /slack/events, and
    GET /healthz for the platform's probes, under gunicorn with several worker processes; or,
    when SLACK_APP_TOKEN is set, over a Socket Mode connection (no public URL needed)."""
    # imported before logging is configured: some libraries log as they are imported
    from bot.app import require_credentials
    from bot.server import check_port, check_slack
    from bot.server import serve as serve_http
    from bot.socket_mode import serve_socket_mode
    from config.logs import configure_logging

    settings = _settings(ctx)
    configure_logging(settings.log_format, _secrets(settings))
    program = ctx.program  # a bad program.toml stops here, not in every worker
    if settings.slack_app_token:
        serve_socket_mode(settings, program)
        return
    require_credentials(settings)
    port = settings.port if port is None else port
    check_port(port)
    check_slack(settings)
    serve_http(settings, port, workers or settings.web_concurrency, program=program)


def _settings(ctx: Context) -> Settings:
    """The settings, or exit 2 with one line naming each bad variable (``PORT=0``: "PORT: Input
    should be greater than or equal to 1 (got '0')…") instead of pydantic's traceback."""
    from pydantic import ValidationError

    try:
        return ctx.settings
    except ValidationError as error:
        problems = [
            f"{'.'.join(map(str, e['loc']))}: {e['msg']} (got {e['input']!r})"
            for e in error.errors()
        ]
        fail("; ".join(problems) + ": fix the environment and start again", code=2)


def _secrets(settings: Settings) -> tuple[str, ...]:
    """What the logs redact besides anything shaped like a Slack token."""
    secrets = (settings.slack_signing_secret, settings.slack_bot_token, settings.slack_app_token)
    return tuple(s for s in secrets if s)


@click.command()
@pass_context
def worker(ctx: Context) -> None:
    """Run the scheduled jobs of program.toml's [schedules] and deliver queued Slack messages.
    One worker leads; on PostgreSQL others wait as standbys and take over when it stops."""
    # imported before logging is configured: some libraries log as they are imported
    from bot.app import require_credentials
    from config.logs import configure_logging
    from jobs.worker import LostLeadError, Worker
    from messages.delivery import delivery_client
    from models.db import open_database

    settings = _settings(ctx)
    configure_logging(settings.log_format, _secrets(settings))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per 5-second delivery
    require_credentials(settings, socket_mode=True)  # like Socket Mode: no signed requests
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    database = open_database(settings, "worker")
    try:
        Worker(settings, ctx.program, database, delivery_client(settings)).run(stop)
    except LostLeadError as error:
        fail(f"{error}; stopping so that a restarted worker waits for the lead", code=1)


@click.group()
def outbox() -> None:
    """Slack messages queued for delivery."""


@outbox.command("retry")
@click.option("--key", help="Only the message with this key.")
@pass_context
def outbox_retry(ctx: Context, key: str | None) -> None:
    """Queue the messages Slack refused (partnerbot doctor lists them) again, once their
    cause is fixed."""
    from jobs.refused import retry_failed

    with ctx.database.sessions.begin() as session:
        count = retry_failed(session, key)
    console.print(f"{count} message(s) queued again: the worker delivers them.")
