"""``/deal``: deal registration from Slack. For now only ``help``; every other word gets the
usage. The command is acknowledged at once with an empty body and answered through
``response_url`` by a lazy listener, so identity checks and database work never race Slack's
3-second window."""

import logging

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import render
from bot.deps import Deps
from bot.identity import Identity, identify

COMMAND = "/deal"
PLANNED = frozenset({"register", "status", "list", "approve", "reject", "extend"})

logger = logging.getLogger(__name__)


def reply(who: Identity, text: str) -> render.Message:
    """The answer to ``/deal {text}`` for ``who``: pure, so it is easy to reason about."""
    if who.is_stranger:
        return render.stranger_refusal()
    words = text.split(maxsplit=1)
    subcommand = words[0] if words else "help"
    if subcommand.lower() == "help":
        return render.deal_help(COMMAND)
    if subcommand.lower() in PLANNED:
        return render.deal_not_available(subcommand.lower(), COMMAND)
    return render.deal_unknown_subcommand(subcommand, COMMAND)


def register(app: App, deps: Deps) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def answer(
        command: dict[str, str], respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        try:
            home_team = context.authorize_result.team_id if context.authorize_result else None
            with deps.session_factory() as session:
                who = identify(
                    session, client, user_id=command["user_id"], home_team_id=home_team or ""
                )
            message = reply(who, command.get("text", ""))
        except Exception:
            logger.exception("%s failed for %s", COMMAND, command.get("user_id"))
            message = render.something_went_wrong()
        respond(**message.as_ephemeral())

    app.command(COMMAND)(ack=acknowledge, lazy=[answer])
