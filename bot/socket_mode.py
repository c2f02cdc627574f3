"""Socket Mode: the same Bolt app, receiving Slack's requests over a WebSocket it opens itself,
so no public URL and no inbound traffic are needed (for trying partnerbot out, and for
companies that allow none). Chosen by ``partnerbot serve`` when ``SLACK_APP_TOKEN`` is set.

Slack does not sign Socket Mode requests (the app-level token authenticated the connection),
so the app is built without request verification here, and only here.
"""

import logging

from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlalchemy.orm import Session, sessionmaker

from bot.app import SlackConfigError, create_app
from config.program import Program
from config.settings import Settings
from models.db import open_database

logger = logging.getLogger(__name__)


def socket_mode_handler(
    settings: Settings,
    program: Program,
    session_factory: sessionmaker[Session] | None = None,
) -> SocketModeHandler:
    """The app behind a Socket Mode connection, not yet connected."""
    if not settings.slack_app_token or not settings.slack_app_token.startswith("xapp-"):
        raise SlackConfigError("SLACK_APP_TOKEN must be an app-level token (xapp-…)")
    if session_factory is None:
        session_factory = open_database(settings, "web").sessions
    app = create_app(settings, session_factory, program, socket_mode=True)
    return SocketModeHandler(app, settings.slack_app_token)


def serve_socket_mode(settings: Settings, program: Program) -> None:
    """Connect and answer until interrupted; reconnects by itself when the connection drops."""
    handler = socket_mode_handler(settings, program)
    logger.info("partnerbot connected to Slack in Socket Mode")
    handler.start()
