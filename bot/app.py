"""The Bolt app factory. It only wires: settings to the Bolt app and its Web API client, and
every command module in ``bot/commands/`` through its ``register(app, deps)``."""

import importlib
import logging
import pkgutil
from collections.abc import Callable
from concurrent.futures import Executor

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

import bot.commands
from bot.commands._listeners import acknowledge_in_time
from bot.deadlines import Deadlines
from bot.deps import Deps
from bot.identity import SlackTeams
from bot.malformed import refuse_unstorable
from bot.replays import replay_guard
from config.logs import ContextExecutor
from config.program import Program
from config.settings import Settings
from deals.active_index import ActiveIndex
from messages.charts import ChartRenderer
from messages.client import make_client
from messages.delivery import delivery_client

logger = logging.getLogger(__name__)


class SlackConfigError(ValueError):
    """Settings that cannot start the Slack app (a missing token or signing secret)."""


def require_credentials(settings: Settings, *, socket_mode: bool = False) -> None:
    """Fail at start, with the variable's name, when the app cannot answer Slack (Socket Mode
    needs no signing secret: its requests are not signed)."""
    if not settings.slack_bot_token:
        raise SlackConfigError("SLACK_BOT_TOKEN is not set")
    if not settings.slack_signing_secret and not socket_mode:
        raise SlackConfigError("SLACK_SIGNING_SECRET is not set")


def command_registrars() -> list[Callable[[App, Deps], None]]:
    """Every public module of ``bot/commands/`` in name order; each must define ``register``."""
    registrars = []
    for module_info in sorted(pkgutil.iter_modules(bot.commands.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bot.commands.{module_info.name}")
        register = getattr(module, "register", None)
        if not callable(register):
            raise TypeError(f"bot.commands.{module_info.name} has no register(app, deps)")
        registrars.append(register)
    return registrars


def create_app(
    settings: Settings,
    session_factory: sessionmaker[Session],
    program: Program,
    *,
    listener_executor: Executor | None = None,
    socket_mode: bool = False,
) -> App:
    """Build the Bolt app for HTTP mode. Listeners acknowledge first and work afterwards
    (``process_before_response=False``, lazy listeners); the token is checked once with
    ``auth.test``, which also tells the app its own team. Before any listener, a request seen
    before is acknowledged and dropped (``bot.replays``; signed HTTP requests only) and one
    holding text no database stores is answered (``bot.malformed``)."""
    require_credentials(settings, socket_mode=socket_mode)
    try:
        app = App(
            client=make_client(settings),  # carries the token; Bolt takes it from there
            signing_secret=settings.slack_signing_secret or "",
            request_verification_enabled=not socket_mode,
            process_before_response=False,
            listener_executor=listener_executor
            or ContextExecutor(settings.listener_threads, thread_name_prefix="listener"),
        )
    except (OSError, SlackApiError, BoltError) as error:  # URLError is an OSError
        raise SlackConfigError(
            f"could not check the bot token with Slack at {settings.slack_api_url}: {error}"
        ) from None
    if not socket_mode:
        app.use(replay_guard(session_factory))
    app.use(refuse_unstorable)
    deps = Deps(
        settings=settings,
        session_factory=session_factory,
        program=program,
        charts=ChartRenderer(settings.chart_processes, settings.chart_backlog),
        teams=SlackTeams(settings.identity_cache_s),
        deadlines=Deadlines(),
        outbox_client=delivery_client(settings),
        registrations=ActiveIndex(session_factory) if settings.registration_index else None,
    )
    if deps.registrations is not None:
        deps.registrations.start()
    deps.charts.warm()  # in each process serving Slack: gunicorn's workers build it after forking
    app.use(acknowledge_in_time(deps))
    for register in command_registrars():
        register(app, deps)
    return app
