"""What every command module receives at registration: configuration read once at start, the
session factory and the process's shared helpers. Passed down explicitly so nothing deep in
``bot/`` reads the environment."""

from dataclasses import dataclass

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.deadlines import Deadlines
from bot.identity import SlackTeams
from config.program import Program
from config.settings import Settings
from deals.active_index import ActiveIndex
from messages.charts import ChartRenderer


@dataclass(frozen=True)
class Deps:
    settings: Settings
    session_factory: sessionmaker[Session]
    program: Program
    charts: ChartRenderer
    teams: SlackTeams
    """Users' Slack teams, remembered briefly (``bot.identity``)."""
    deadlines: Deadlines
    """When to acknowledge a slash command whose answer is not ready yet."""
    outbox_client: WebClient
    """The client that delivers what a request queued, right after its commit: without
    slack-sdk's retry handlers, like the worker's (``messages.delivery.delivery_client``)."""
    registrations: ActiveIndex | None = None
    """The look-alike index of active registrations, when enabled."""
