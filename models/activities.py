"""Dated partner events that feed scorecards: certifications, trainings, marketing,
satisfaction surveys and money spent on the partner (MDF, program cost)."""

from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped, enum_column
from models.enums import ActivityKind


class PartnerActivity(Timestamped, Base):
    """One event. Identity is (partner, day, kind, detail), so re-importing a file is a no-op."""

    __tablename__ = "partner_activities"
    __table_args__ = (UniqueConstraint("partner_id", "occurred_on", "kind", "detail"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    occurred_on: Mapped[date]
    kind: Mapped[ActivityKind] = mapped_column(enum_column(ActivityKind, "activity_kind"))
    value: Mapped[Decimal]
    detail: Mapped[str] = mapped_column(String(200), server_default="")
