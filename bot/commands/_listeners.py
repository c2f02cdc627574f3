"""What every listener does around its own work: run it with an apology for any unexpected
failure, and show its answer (if any) only to whoever asked. A button is acknowledged at once
and answered through ``response_url``, leaving the message with the button as it is; a slash
command is answered in its acknowledgement when the answer is ready soon enough."""

import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from messages.blocks import Message, something_went_wrong

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


AnswerLater = Callable[[], None]
"""Called by a command's work that knows its answer will be slow (a chart to draw): the command
is acknowledged at once, freeing the request's thread rather than holding it to the deadline,
and the answer follows through ``response_url``."""


def answer_command(
    ack: Ack,
    respond: Respond,
    deps: Deps,
    what: str,
    user_id: str,
    work: Callable[[AnswerLater], Message | None],
) -> None:
    """Run ``work`` (:func:`guarded`) for a slash command and show its answer to the person
    asking. Ready within ``settings.inline_answer_ms``, the answer goes in the acknowledgement
    itself (Slack shows it as it would a ``response_url`` post: one request fewer for both
    sides and no wait in between); later — or as soon as ``work`` calls its
    :data:`AnswerLater` — the command is acknowledged empty and the answer follows through
    ``response_url``. None from ``work`` (a modal was opened instead) answers nothing."""
    lock = threading.Lock()
    acknowledged = False

    def acknowledge(message: Message | None) -> bool:
        """Acknowledge with ``message`` unless that was done already; True if done now."""
        nonlocal acknowledged
        with lock:
            if acknowledged:
                return False
            acknowledged = True
            if message is None:
                ack()
            else:
                ack(**message.as_ephemeral())
            return True

    budget_ms = deps.settings.inline_answer_ms
    if budget_ms > 0:
        deps.deadlines.call_later(budget_ms / 1000, lambda: acknowledge(None))
    else:
        acknowledge(None)

    def answer_later() -> None:
        acknowledge(None)

    message = guarded(what, user_id, lambda: work(answer_later))
    if not acknowledge(message) and message is not None:
        respond(**message.as_ephemeral())


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
