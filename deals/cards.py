"""Where the approval and conflict cards about registrations were posted (Slack channel and
message timestamp, plain strings), so that a decision updates every copy of every card that
showed a registration it decided."""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DealCard, DealRegistration


def record_card(session: Session, external_ids: Iterable[str], channel: str, ts: str) -> None:
    """Remember that the message ``channel``/``ts`` shows the registrations ``external_ids``."""
    deal_ids = session.scalars(
        select(DealRegistration.id).where(DealRegistration.external_id.in_(list(external_ids)))
    )
    session.add_all(DealCard(deal_id=deal_id, channel=channel, ts=ts) for deal_id in deal_ids)
    session.flush()


def card_copies(session: Session, external_ids: Iterable[str]) -> list[tuple[str, str]]:
    """Channel and ts of every posted card that showed any of ``external_ids``, oldest first."""
    rows = session.execute(
        select(DealCard.channel, DealCard.ts)
        .join(DealRegistration, DealRegistration.id == DealCard.deal_id)
        .where(DealRegistration.external_id.in_(list(external_ids)))
        .order_by(DealCard.id)
    )
    return list(dict.fromkeys((channel, ts) for channel, ts in rows))
