"""What every listener does around its own work: run it for the asker, if the listener's rule
lets them, in a unit of work (``_access.as_asker``), with an apology for any unexpected failure
(saying so when the database is out of reach), and show its answer (if any) only to whoever
asked. A button is acknowledged at once and answered through ``response_url``, leaving the
message with the button as it is; a slash command is answered in its acknowledgement when the
answer is ready soon enough, else acknowledged empty at its deadline, or at once when the
process is busy with others (:func:`acknowledge_in_time`)."""

import logging
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from slack_bolt import Ack, BoltContext, BoltResponse, Respond
from slack_bolt.request.payload_utils import is_slash_command
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.commands._access import Asker, Rule, as_asker
from bot.deps import Deps
from messages.blocks import Message, database_unreachable, something_went_wrong
from models.db import is_unreachable

logger = logging.getLogger(__name__)

Click = Callable[[Asker, dict[str, Any], dict[str, Any]], Message | None]
"""(asker, body, action) → the ephemeral answer, or None when there is none."""


def guarded(what: str, user_id: str, work: Callable[[], Message | None]) -> Message | None:
    """Run ``work``; an unexpected failure is logged and answered with an apology. A database
    out of reach is no bug: one log line, and the asker is told what is wrong."""
    try:
        return work()
    except Exception as error:
        if is_unreachable(error):
            cause = str(getattr(error, "orig", error)).strip().splitlines()[0]
            logger.warning("%s for %s: database unreachable: %s", what, user_id, cause)
            return database_unreachable()
        logger.exception("%s failed for %s", what, user_id)
        return something_went_wrong()


BUSY = 2
"""Slash commands one process works on at once. Python runs one thread at a time, so more
threads at work only slow each other and the threads reading requests: a command that finds
this many at work is acknowledged at once (holding its request's thread to the deadline would
keep the next requests unread; gunicorn has 4 a worker) and waits for one to finish; two keep
one working while the other waits for the database or Slack. Bursts of 50 simultaneous
registrations on 2 workers were acknowledged in up to 2.6 s with every listener thread at work,
in under 1 s so, and answered about as soon (``bench/ack_bench.py``, docs/serving.md)."""


class Commands:
    """The slash commands of one process from their request's arrival until their work is
    done (or, when no listener took one, until it is forgotten), and the right to work."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrived: weakref.WeakSet[Acknowledgement] = weakref.WeakSet()
        self._working = threading.BoundedSemaphore(BUSY)

    def arrive(self, acknowledgement: "Acknowledgement") -> bool:
        """Count ``acknowledgement``'s command in; True when :data:`BUSY` others were in."""
        with self._lock:
            self._arrived.add(acknowledgement)
            return len(self._arrived) > BUSY

    @contextmanager
    def working(self, acknowledgement: "Acknowledgement") -> Iterator[None]:
        """Work on ``acknowledgement``'s command once fewer than :data:`BUSY` are at work."""
        with self._working:
            try:
                yield
            finally:
                with self._lock:
                    self._arrived.discard(acknowledgement)


class Acknowledgement:
    """A slash command's one acknowledgement, raced for by its deadline and its answer: the
    first to :meth:`send` it wins, the other learns it came too late."""

    KEY = "partnerbot_acknowledgement"
    """Where :func:`acknowledge_in_time` leaves it in the request's Bolt context."""

    def __init__(self, ack: Ack, commands: Commands) -> None:
        self._ack = ack
        self._lock = threading.Lock()
        self._sent = False
        self._commands = commands
        self.busy = commands.arrive(self)
        """Whether :data:`BUSY` other commands were in progress as this one arrived."""

    def working(self) -> AbstractContextManager[None]:
        """Hold while working on the command (:meth:`Commands.working`)."""
        return self._commands.working(self)

    def send(self, message: Message | None) -> bool:
        """Acknowledge with ``message`` unless that was done already; True if done now."""
        with self._lock:
            if self._sent:
                return False
            self._sent = True
        if message is None:
            self._ack()
        else:
            self._ack(**message.as_ephemeral())
        return True


def acknowledge_in_time(deps: Deps) -> Callable[..., BoltResponse | None]:
    """Bolt middleware that acknowledges a slash command by its deadline
    (``settings.inline_answer_ms``), or at once when :data:`BUSY` others are in progress,
    deciding as the request arrives, in the request's own thread: neither a burst nor a
    database that does not answer, keeping every listener thread busy, can delay it. Set in
    the listener, the deadline waited for a free thread: 50 simultaneous registrations were
    acknowledged in up to 2.9 s."""
    commands = Commands()

    def middleware(
        body: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        if is_slash_command(body):
            acknowledgement = Acknowledgement(context.ack, commands)
            context[Acknowledgement.KEY] = acknowledgement
            budget_ms = deps.settings.inline_answer_ms
            if budget_ms > 0 and not acknowledgement.busy:
                deps.deadlines.call_later(budget_ms / 1000, lambda: acknowledgement.send(None))
            else:
                acknowledgement.send(None)
        return next()

    return middleware


AnswerLater = Callable[[], None]
"""Called by a command's work that knows its answer will be slow (a chart to draw): the command
is acknowledged at once, freeing the request's thread rather than holding it to the deadline,
and the answer follows through ``response_url``."""


def answer_command(
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    deps: Deps,
    command: dict[str, str],
    rule: Rule,
    work: Callable[[Asker, AnswerLater], Message | None],
) -> None:
    """Run ``work`` for the slash command's asker (:func:`as_asker`, :func:`guarded`) and show
    its answer to them. Ready before the deadline :func:`acknowledge_in_time` set, the answer
    goes in the acknowledgement itself (Slack shows it as it would a ``response_url`` post: one
    request fewer for both sides and no wait in between); later — or as soon as ``work`` calls
    its :data:`AnswerLater` — the command is acknowledged empty and the answer follows through
    ``response_url``. None from ``work`` (a modal was opened instead) answers nothing."""
    acknowledgement: Acknowledgement = context[Acknowledgement.KEY]

    def answer_later() -> None:
        acknowledgement.send(None)

    user_id = command["user_id"]
    with acknowledgement.working():
        message = guarded(
            command["command"],
            user_id,
            lambda: as_asker(deps, client, context, user_id, rule, lambda a: work(a, answer_later)),
        )
    if not acknowledgement.send(message) and message is not None:
        respond(**message.as_ephemeral())


def button(
    what: str, deps: Deps, rule: Callable[[dict[str, Any]], Rule], work: Click
) -> Callable[..., None]:
    """A Bolt ``block_actions`` listener around ``work``, for whoever the rule for the clicked
    action (``rule(action)``) lets click it."""

    def on_click(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Respond,
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        user_id = body["user"]["id"]
        answer = guarded(
            what,
            user_id,
            lambda: as_asker(
                deps, client, context, user_id, rule(action), lambda a: work(a, body, action)
            ),
        )
        if answer is not None:
            respond(**answer.as_ephemeral(), replace_original=False)

    return on_click


def answer_submission(
    what: str,
    deps: Deps,
    client: WebClient,
    context: BoltContext,
    user_id: str,
    channel: str | None,
    rule: Rule,
    work: Callable[[Asker], Message | None],
) -> None:
    """Run ``work`` (:func:`as_asker`, :func:`guarded`) for whoever submitted a modal, already
    acknowledged, and tell them its answer, if any (:func:`_tell`)."""
    answer = guarded(what, user_id, lambda: as_asker(deps, client, context, user_id, rule, work))
    if answer is not None:
        _tell(client, user_id, channel, answer)


def _tell(client: WebClient, user_id: str, channel: str | None, message: Message) -> None:
    """An answer to someone who submitted a modal: ephemeral where they started, else a DM."""
    try:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user_id, **message.as_post())
            return
    except (SlackApiError, SlackClientError, OSError) as error:
        logger.warning("ephemeral answer to %s in %s failed: %s", user_id, channel, error)
    try:
        client.chat_postMessage(channel=user_id, **message.as_post())
    except (SlackApiError, SlackClientError, OSError) as error:
        logger.error("could not answer %s: %s", user_id, error)
