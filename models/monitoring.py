"""Nightly risk results and the alerts raised from them. Kept in the database so the web
process, the worker and the digests read one truth, and so managers' feedback on alerts stays
beside what the model said (the labels for evaluating it later)."""

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column
from models.enums import AlertState


class RiskRun(Base):
    """One nightly scoring run: which model produced the scores, and its model card."""

    __tablename__ = "risk_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date] = mapped_column(index=True)
    model_version: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(16))
    """``model`` when a classifier was learned, ``heuristic`` when history was too short."""
    card: Mapped[dict[str, object]] = mapped_column(JSON)
    """Training window, snapshots, validation metrics, features, configuration."""
    model: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The fitted pipeline (joblib), so a run can be re-scored or audited later."""
    partners: Mapped[int]
    seconds: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PartnerRiskScore(Base):
    """A partner's at-risk probability and drift flags as of a date."""

    __tablename__ = "partner_risk_scores"
    __table_args__ = (Index(None, "as_of", "risk"),)

    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )
    as_of: Mapped[date] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("risk_runs.id", ondelete="CASCADE"))
    risk: Mapped[float]
    risk_band: Mapped[str] = mapped_column(String(8))
    method: Mapped[str] = mapped_column(String(16), server_default="model")
    """How ``risk`` was made: ``model`` (a probability), ``heuristic`` (the rule-based fallback)
    or ``no history``: only a model's figure is shown as a probability."""
    top_factors: Mapped[list[str]] = mapped_column(JSON)
    drift_flags: Mapped[list[dict[str, object]]] = mapped_column(JSON)


class PartnerAlert(Base):
    """An alert about one condition of one partner (``at_risk``, ``drift:revenue``, …), sent to
    ``recipient`` (the manager's user id or a channel id), and the manager's feedback on it."""

    __tablename__ = "partner_alerts"
    __table_args__ = (
        Index(None, "partner_id", "condition"),
        Index(None, "recipient", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    condition: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[date]
    severity: Mapped[str] = mapped_column(String(8))
    headline: Mapped[str] = mapped_column(String(300))
    detail: Mapped[dict[str, object]] = mapped_column(JSON)
    recipient: Mapped[str] = mapped_column(String(32))
    state: Mapped[AlertState] = mapped_column(
        enum_column(AlertState, "alert_state"), server_default=text("'open'")
    )
    state_by: Mapped[str | None] = mapped_column(String(32))
    state_at: Mapped[datetime | None]
    snoozed_until: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
