"""Queueing into the outbox: Slack messages, and updates of posted ones, stored in the caller's
transaction, so they are sent if and only if the change they announce commits. They are
delivered exactly once (``messages.delivery``): by the worker, and a request's own right after
its commit (``bot.commands._access``)."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from messages.blocks import Chart, Message, fit
from models import OutboxMessage, OutboxStatus
from models.db import insert_new


def utcnow() -> datetime:
    return datetime.now(UTC)


def enqueue(
    session: Session,
    *,
    key: str,
    kind: str,
    channel: str,
    text: str,
    blocks: list[dict[str, Any]],
    chart: Chart | None = None,
    update_of: str | None = None,
    update_ts: str | None = None,
) -> bool:
    """Queue a message for ``channel`` (a channel id, or a user id for a direct message) in the
    caller's transaction, so it is sent if and only if the caller's work commits. With
    ``update_of`` (the key of a queued message) or ``update_ts`` (a message posted in
    ``channel``) it replaces that message instead. False when ``key`` was queued before:
    queueing is idempotent, never an error."""
    values = {
        "key": key,
        "kind": kind,
        "channel": channel,
        "text": text,
        "blocks": blocks,
        "chart": chart.to_dict() if chart else None,
        "update_of": update_of,
        "update_ts": update_ts,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "not_before": utcnow(),
    }
    return insert_new(session, OutboxMessage, values, ["key"])


def enqueue_message(
    session: Session,
    *,
    key: str,
    kind: str,
    channel: str,
    message: Message,
    update_of: str | None = None,
    update_ts: str | None = None,
) -> bool:
    """:func:`enqueue` for a rendered :class:`Message`, fitted to Slack's limits."""
    (fitted,) = fit(message)
    return enqueue(
        session,
        key=key,
        kind=kind,
        channel=channel,
        text=fitted.text,
        blocks=[block.to_dict() for block in fitted.blocks],
        chart=fitted.chart,
        update_of=update_of,
        update_ts=update_ts,
    )


def queue_messages(
    session: Session, *, key: str, kind: str, channel: str, messages: Sequence[Message]
) -> bool:
    """Queue a digest's messages in the caller's transaction; False when ``key`` was queued
    before (and nothing is queued)."""
    for part, message in enumerate(messages, start=1):
        fresh = enqueue_message(
            session,
            key=key if part == 1 else f"{key}:{part}",
            kind=kind,
            channel=channel,
            message=message,
        )
        if part == 1 and not fresh:
            return False
    return True
