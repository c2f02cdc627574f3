"""What every button listener does around its own work: acknowledge at once, run the work with
an apology for any unexpected failure, and show its answer (if any) only to whoever clicked,
leaving the message with the button as it is."""

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.render.blocks import Message, something_went_wrong

logger = logging.getLogger(__name__)

Click = Callable[[dict[str, Any], dict[str, Any], WebClient, BoltContext], Message | None]
"""(body, action, client, context) → the ephemeral answer, or None when there is none."""


def guarded(what: str, user_id: str, work: Callable[[], Message | None]) -> Message | None:
    """Run ``work``; an unexpected failure is logged and answered with an apology."""
    try:
        return work()
    except Exception:
        logger.exception("%s failed for %s", what, user_id)
        return something_went_wrong()


def button(what: str, work: Click) -> Callable[..., None]:
    """A Bolt ``block_actions`` listener around ``work``."""

    def on_click(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Respond,
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        answer = guarded(what, body["user"]["id"], lambda: work(body, action, client, context))
        if answer is not None:
            respond(**answer.as_ephemeral(), replace_original=False)

    return on_click
