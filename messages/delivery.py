"""The outbox: Slack messages queued in the database, in the same transaction as the change
they announce, and delivered exactly once by :func:`deliver_pending`.

Exactly once, although ``chat.postMessage`` has no idempotency key: every message is posted
with Slack message metadata carrying its outbox key, and a post is bracketed by two commits —
``attempt_started_at`` is set before it and cleared once its outcome is known. A message found
with ``attempt_started_at`` set may have reached Slack (the sender was killed, or the answer
was a timeout or a 5xx), so before posting it again the sender looks for its key in the
conversation's history since that time and, if it is there, only marks it sent.

A message with a chart (``messages.blocks.Chart``) has it drawn and uploaded privately just
before its first post, and the file id remembered, so a retried post shows the same file; a
chart that cannot be drawn, or that Slack refuses for good, is left out rather than holding
the message back. (A sender killed between an upload and its commit leaves an unused private
file behind, never a second message.)

An update (``chat.update`` of a posted message: a card after its decision) is delivered the
same way, without the history search: applying it twice shows the same. One that replaces a
message still queued (``update_of``) waits until that one is posted, and is then applied to
the conversation and ts it was posted at; if that message was refused for good, so is the
update.

A request delivers what it queued right after its commit (:func:`deliver_pending` with
``keys``, from the web process), so cards appear at once when Slack answers; whatever fails
then is left, with its back-off, to the worker's runs.

Retries never hold up other messages: a rate-limited, failing or timed-out message gets a
``not_before`` and waits for a later run, while the run goes on with other channels. Slack's
own retry handlers are therefore off in the delivery client (:func:`delivery_client`): they
would wait inside the call, and re-send a post whose connection dropped without looking first.
"""

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from messages.blocks import Chart, with_chart
from messages.client import make_client
from messages.outbox import utcnow
from models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

METADATA_EVENT = "partnerbot_outbox"
"""Slack message metadata ``event_type`` of every delivered message; its payload is the key."""

TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
"""Slack errors worth retrying. Every other error Slack answers is permanent: the same request
gets the same answer (``channel_not_found``, ``not_in_channel``, ``is_archived``,
``invalid_auth``, ``account_inactive``, ``missing_scope``, ``invalid_blocks`` …)."""

CLOCK_SKEW = timedelta(seconds=30)
"""Margin when searching Slack's history from an attempt's start, for clocks that differ."""

HISTORY_PAGES = 10
"""Pages of 200 messages searched for an interrupted post: one a busy channel can fill."""


def delivery_client(settings: Settings) -> WebClient:
    """The app's Web API client without slack-sdk's retry handlers: the outbox retries, later
    and after checking what already went out (see the module's docstring)."""
    client = make_client(settings)
    client.retry_handlers.clear()
    return client


@dataclass(frozen=True)
class Backoff:
    """Waits after an error whose outcome is unknown (5xx, timeout): doubling, capped."""

    first_s: float = 2.0
    cap_s: float = 600.0

    def after(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.cap_s, self.first_s * 2 ** max(0, attempts - 1)))


class Pacer:
    """About one message a second per conversation (Slack's ``chat.postMessage`` limit).
    Thread-safe: each post reserves its channel's next slot, so parallel senders never post
    to one channel faster. The worker keeps one across runs."""

    def __init__(self, interval_s: float = 1.0) -> None:
        self.interval_s = interval_s
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, channel: str) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(channel, 0.0))
            self._next[channel] = slot + self.interval_s
        if slot > now:
            time.sleep(slot - now)


class Outcome(StrEnum):
    SENT = "sent"
    FOUND = "found"
    """An interrupted post was found in Slack and marked sent, not posted again."""
    RETRYING = "retrying"
    WAITING = "waiting"
    """An update whose message is still queued: tried again once that one is posted."""
    FAILED = "failed"


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    found: int = 0
    retrying: int = 0
    waiting: int = 0
    failed: int = 0

    @classmethod
    def of(cls, outcomes: Iterable[Outcome]) -> "DeliveryReport":
        counts = Counter(outcomes)
        return cls(**{outcome.value: counts[outcome] for outcome in Outcome})


def deliver_pending(
    session_factory: sessionmaker[Session],
    client: WebClient,
    *,
    now: Callable[[], datetime] = utcnow,
    pacer: Pacer | None = None,
    backoff: Backoff = Backoff(),
    lease: timedelta = timedelta(seconds=60),
    limit: int = 500,
    threads: int = 4,
    keys: Collection[str] | None = None,
) -> DeliveryReport:
    """Deliver up to ``limit`` due messages (only those with ``keys``, when given), oldest
    first: one thread per conversation (at most ``threads`` at once), paced by ``pacer``. A
    conversation's sending stops for this run at its first retryable error; permanent errors
    mark the message failed (see :func:`undelivered`)."""
    if keys is not None and not keys:
        return DeliveryReport()
    only = () if keys is None else (OutboxMessage.key.in_(list(keys)),)
    sender = _Sender(session_factory, client, now, pacer or Pacer(), backoff, lease)
    at = now()
    with session_factory() as session:
        due = session.execute(
            select(OutboxMessage.id, OutboxMessage.channel)
            .where(*_due(at), *only)
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).all()
    queues: dict[str, list[int]] = {}
    for message_id, channel in due:
        queues.setdefault(channel, []).append(message_id)
    if not queues:
        return DeliveryReport()
    with ThreadPoolExecutor(min(threads, len(queues)), thread_name_prefix="deliver") as pool:
        outcomes = pool.map(sender.conversation, queues.values())
        return DeliveryReport.of(o for conversation in outcomes for o in conversation)


def _due(at: datetime) -> tuple[Any, ...]:
    return (
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.not_before <= at,
        or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= at),
    )


@dataclass(frozen=True)
class _Sender:
    session_factory: sessionmaker[Session]
    client: WebClient
    now: Callable[[], datetime]
    pacer: Pacer
    backoff: Backoff
    lease: timedelta

    def conversation(self, message_ids: list[int]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for message_id in message_ids:
            with self.session_factory() as session:
                message = self._claim(session, message_id)
                if message is None:  # another sender took it, or a rate limit pushed it back
                    continue
                outcomes.append(self._deliver(session, message))
            if outcomes[-1] is Outcome.RETRYING:
                break
        return outcomes

    def _claim(self, session: Session, message_id: int) -> OutboxMessage | None:
        at = self.now()
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, *_due(at))
            .values(lease_until=at + self.lease)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return session.get(OutboxMessage, message_id)

    def _deliver(self, session: Session, message: OutboxMessage) -> Outcome:
        try:
            return self._attempt(session, message)
        except SlackApiError as error:
            return self._after_refusal(session, message, error)
        except (SlackClientError, OSError) as error:  # timeouts, resets: outcome unknown
            return self._retry(session, message, str(error), self.backoff.after(message.attempts))

    def _attempt(self, session: Session, message: OutboxMessage) -> Outcome:
        if message.update_of is not None or message.update_ts is not None:
            return self._update(session, message)
        if message.attempt_started_at is not None:
            assert message.posted_channel is not None  # set before any attempt starts
            ts = self._find(message.key, message.posted_channel, message.attempt_started_at)
            if ts is not None:
                return self._sent(session, message, ts, Outcome.FOUND)
            message.attempt_started_at = None
        if message.posted_channel is None:
            message.posted_channel = self._conversation_of(message.channel)
        if message.chart is not None and message.chart_file_id is None:
            message.chart_file_id = self._upload_chart(message.key, Chart.from_dict(message.chart))
            session.commit()
        self.pacer.wait(message.posted_channel)
        started = self.now()
        message.attempt_started_at = started
        message.lease_until = started + self.lease
        message.attempts += 1
        session.commit()
        try:
            response = self.client.chat_postMessage(
                channel=message.posted_channel,
                text=message.text,
                blocks=with_chart(message.blocks, message.chart_file_id) or None,
                metadata={"event_type": METADATA_EVENT, "event_payload": {"key": message.key}},
                unfurl_links=False,
            )
        except SlackApiError as error:
            if error.response.status_code in {200, 429}:  # refused: nothing was posted
                message.attempt_started_at = None
            raise
        return self._sent(session, message, str(response["ts"]), Outcome.SENT)

    def _update(self, session: Session, message: OutboxMessage) -> Outcome:
        """Apply an update to its message, once that one is posted (see the module)."""
        channel, ts = message.channel, message.update_ts
        if message.update_of is not None:
            original = session.scalar(
                select(OutboxMessage).where(OutboxMessage.key == message.update_of)
            )
            if original is None or original.status is OutboxStatus.FAILED:
                return self._failed(session, message, "message_not_posted")
            if original.status is not OutboxStatus.SENT:
                wait = self.backoff.after(1)
                return self._retry(session, message, "its message is queued", wait, Outcome.WAITING)
            channel, ts = original.posted_channel or original.channel, original.ts
        message.posted_channel = channel
        message.attempts += 1
        session.commit()
        self.client.chat_update(
            channel=channel, ts=ts, text=message.text, blocks=message.blocks or None
        )
        assert ts is not None
        return self._sent(session, message, ts, Outcome.SENT)

    def _upload_chart(self, key: str, chart: Chart) -> str:
        """The file id of ``chart``, drawn and uploaded privately (shared only through the
        message that shows it); empty when it cannot be. Errors worth retrying propagate, so
        the message waits and the upload is tried again."""
        from messages.charts import revenue_chart  # matplotlib: not for `partnerbot doctor`

        try:
            uploaded = self.client.files_upload_v2(
                content=revenue_chart(chart),
                filename=chart.filename,
                title=chart.shown_title,
                alt_txt=chart.shown_alt_text,
            )
        except ValueError as error:
            logger.warning("chart of %s not drawn, posting without it: %s", key, error)
            return ""
        except SlackApiError as error:
            if _worth_retrying(error):
                raise
            logger.warning("chart of %s refused, posting without it: %s", key, _code(error))
            return ""
        return str((uploaded.get("file") or {}).get("id") or "")

    def _conversation_of(self, channel: str) -> str:
        """A channel id as it is; a user id becomes the bot's direct-message conversation with
        them, whose history can be searched."""
        if channel[:1] not in {"U", "W"}:
            return channel
        return str(self.client.conversations_open(users=channel)["channel"]["id"])

    def _find(self, key: str, channel: str, since: datetime) -> str | None:
        """The ts of the message with ``key`` if an attempt begun at ``since`` did post it."""
        oldest = (since - CLOCK_SKEW).timestamp()
        cursor = None
        for _ in range(HISTORY_PAGES):
            page = self.client.conversations_history(
                channel=channel,
                oldest=f"{oldest:.6f}",
                include_all_metadata=True,
                limit=200,
                cursor=cursor,
            )
            for posted in page.get("messages") or []:
                metadata = posted.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == METADATA_EVENT and payload.get("key") == key:
                    return str(posted["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return None

    def _sent(self, session: Session, message: OutboxMessage, ts: str, outcome: Outcome) -> Outcome:
        message.status = OutboxStatus.SENT
        message.ts = ts
        message.sent_at = self.now()
        message.lease_until = message.attempt_started_at = message.last_error = None
        session.commit()
        return outcome

    def _after_refusal(
        self, session: Session, message: OutboxMessage, error: SlackApiError
    ) -> Outcome:
        status = error.response.status_code
        code = _code(error)
        if status == 429 or code == "ratelimited":
            wait = timedelta(seconds=int(error.response.headers.get("Retry-After", 1)))
            until = self.now() + wait
            # the limit is the conversation's: hold back everything queued for it
            session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.channel == message.channel,
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.not_before < until,
                )
                .values(not_before=until)
                .execution_options(synchronize_session=False)
            )
            return self._retry(session, message, f"rate limited: retry after {wait}", wait)
        if _worth_retrying(error):
            return self._retry(
                session, message, f"HTTP {status} {code}", self.backoff.after(message.attempts)
            )
        return self._failed(session, message, code)

    def _failed(self, session: Session, message: OutboxMessage, error: str) -> Outcome:
        message.status = OutboxStatus.FAILED
        message.last_error = error
        message.lease_until = None
        session.commit()
        return Outcome.FAILED

    def _retry(
        self,
        session: Session,
        message: OutboxMessage,
        error: str,
        wait: timedelta,
        outcome: Outcome = Outcome.RETRYING,
    ) -> Outcome:
        message.not_before = self.now() + wait
        message.last_error = error
        message.lease_until = None
        session.commit()
        return outcome


def _code(error: SlackApiError) -> str:
    data, status = error.response.data, error.response.status_code
    return str(data.get("error")) if isinstance(data, dict) else f"HTTP {status}"


def _worth_retrying(error: SlackApiError) -> bool:
    status = error.response.status_code
    return status == 429 or status >= 500 or _code(error) in TRANSIENT_ERRORS
