"""Computed partner scorecards, one row per partner per month, so ``/scorecard`` answers from a
stored row instead of recomputing the whole program's peer groups on every request."""

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class PartnerScorecard(Base):
    """The scorecard of ``partner_id`` for the calendar month starting ``month``. ``card`` holds
    what the card shows (metrics, percentiles, highlights, tier advice and the 12-month series
    for the chart) as produced by ``insights.scorecard_store``; ``score`` and the tier columns
    are kept apart for leaderboards."""

    __tablename__ = "partner_scorecards"
    __table_args__ = (Index(None, "month", "score"),)

    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(primary_key=True)
    score: Mapped[float]
    tier: Mapped[str] = mapped_column(String(32))
    recommended_tier: Mapped[str] = mapped_column(String(32))
    card: Mapped[dict[str, object]] = mapped_column(JSON)
    """Plain JSON, not JSONB, on PostgreSQL: never queried inside, and written 10,000 rows at a
    time, where JSONB's parsing doubled the write."""
    computed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    rising: Mapped[float | None]
    """How surprising the partner's rise is (``insights.rising``) when it is one of the month's
    rising partners, else None: the rising list is the month's rows ordered by it."""
    chart_file_id: Mapped[str | None] = mapped_column(String(32))
    """The Slack file of this scorecard's chart once drawn and uploaded: drawn once, shown by
    every later ``/scorecard`` of the month."""
