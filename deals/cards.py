"""Where the approval and conflict cards about registrations were posted, so that a decision
updates every copy of every card that showed a registration it decided. A card posted through
the outbox is recorded in the transaction that queues it, by its outbox key, before Slack has
given it a ts: a decision made meanwhile queues its update against that key."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import DealCard, DealRegistration, OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class CardCopy:
    """One posted (or queued) card: ``channel`` and ``ts`` once Slack has it, else the key of
    the outbox message that will post it."""

    channel: str
    ts: str | None
    outbox_key: str | None


def record_card(
    session: Session,
    external_ids: Iterable[str],
    channel: str,
    ts: str | None = None,
    outbox_key: str | None = None,
) -> None:
    """Remember that a card shows the registrations ``external_ids``: the posted message
    ``channel``/``ts``, or the one the outbox message ``outbox_key`` posts."""
    deal_ids = session.scalars(
        select(DealRegistration.id).where(DealRegistration.external_id.in_(list(external_ids)))
    )
    session.add_all(
        DealCard(deal_id=deal_id, channel=channel, ts=ts, outbox_key=outbox_key)
        for deal_id in deal_ids
    )
    session.flush()


def card_copies(session: Session, external_ids: Iterable[str]) -> list[CardCopy]:
    """Every card that showed any of ``external_ids``, oldest first, each once; an outbox
    card already delivered with the conversation and ts it was posted at."""
    sent = OutboxMessage.status == OutboxStatus.SENT
    rows = session.execute(
        select(
            func.coalesce(DealCard.ts, OutboxMessage.ts).label("ts"),
            func.coalesce(OutboxMessage.posted_channel, DealCard.channel).label("channel"),
            DealCard.outbox_key,
        )
        .join(DealRegistration, DealRegistration.id == DealCard.deal_id)
        .outerjoin(OutboxMessage, (OutboxMessage.key == DealCard.outbox_key) & sent)
        .where(DealRegistration.external_id.in_(list(external_ids)))
        .order_by(DealCard.id)
    )
    return list(
        dict.fromkeys(
            CardCopy(row.channel, row.ts, None if row.ts else row.outbox_key) for row in rows
        )
    )
