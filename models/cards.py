"""Where the cards managers decide on were posted, so a decision can update every copy."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class DealCard(Base):
    """One posted copy of an approval or conflict card, once per registration it shows: a
    conflict card goes to every route involved, and a decision on any copy updates them all."""

    __tablename__ = "deal_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(
        ForeignKey("deal_registrations.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(32))
    """Where it went: a channel id, or the user id of a direct message queued for them."""
    ts: Mapped[str | None] = mapped_column(String(32))
    """The message's Slack timestamp: with ``channel``, what ``chat.update`` needs. None for a
    card posted through the outbox: its ``ts`` is the outbox message's."""
    outbox_key: Mapped[str | None] = mapped_column(String(200))
    """The outbox message that posts the card, recorded when it is queued."""
