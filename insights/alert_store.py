"""Alerts in the database: what was raised, for whom, and what the manager answered.

Why the answers are kept on the alert row: they are both a switch (a dismissed condition is not
raised again for that partner, a snoozed one not before the snooze ends) and a label — "Not a
problem" against the model's probability is exactly the feedback needed to judge the model on
this program later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from insights.alert_rules import Finding, PastAlert
from models.enums import AlertState
from models.monitoring import PartnerAlert, PartnerRiskScore


def past_alerts(session: Session, today: date, cooldown_days: int) -> list[PastAlert]:
    """Every alert that can still silence a finding: dismissed or snoozed ones, and any raised
    within the cool-down."""
    since = datetime.combine(today - timedelta(days=max(1, cooldown_days)), datetime.min.time())
    rows = session.execute(
        select(
            PartnerAlert.partner_id,
            PartnerAlert.condition,
            PartnerAlert.created_at,
            PartnerAlert.state,
            PartnerAlert.snoozed_until,
        ).where(
            or_(
                PartnerAlert.state.in_([AlertState.DISMISSED, AlertState.SNOOZED]),
                PartnerAlert.created_at >= since.replace(tzinfo=UTC),
            )
        )
    ).all()
    return [PastAlert(p, c, created.date(), state, until) for p, c, created, state, until in rows]


def previous_risk(session: Session, before: date) -> dict[int, float]:
    """Each partner's risk at the latest assessment before ``before``."""
    latest = select(func.max(PartnerRiskScore.as_of)).where(PartnerRiskScore.as_of < before)
    rows = session.execute(
        select(PartnerRiskScore.partner_id, PartnerRiskScore.risk).where(
            PartnerRiskScore.as_of == latest.scalar_subquery()
        )
    ).all()
    return {int(p): float(r) for p, r in rows}


def sent_today(session: Session, today: date) -> dict[str, int]:
    """Alerts raised per recipient since the start of ``today`` (UTC)."""
    start = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    rows = session.execute(
        select(PartnerAlert.recipient, func.count())
        .where(PartnerAlert.created_at >= start)
        .group_by(PartnerAlert.recipient)
    ).all()
    return {recipient: int(n) for recipient, n in rows}


def add_alert(
    session: Session, finding: Finding, recipient: str, headline: str, as_of: date
) -> PartnerAlert:
    alert = PartnerAlert(
        partner_id=finding.partner_id,
        condition=finding.condition,
        as_of=as_of,
        severity=finding.severity,
        headline=headline[:300],
        detail={"risk": round(finding.risk, 4), **finding.detail},
        recipient=recipient,
        state=AlertState.OPEN,
    )
    session.add(alert)
    return alert


@dataclass(frozen=True)
class Feedback:
    """A manager's answer, as recorded."""

    alert: PartnerAlert
    changed: bool
    """False when the alert already had this answer (a second click)."""


def record_feedback(
    session: Session,
    alert_id: int,
    state: AlertState,
    user_id: str,
    today: date,
    snooze_days: int,
) -> Feedback | None:
    """Set the alert's state (acknowledged, snoozed for ``snooze_days``, dismissed) in one
    compare-and-set, so two managers clicking at once record one answer. None: no such alert.
    The caller commits."""
    alert = session.get(PartnerAlert, alert_id)
    if alert is None:
        return None
    if alert.state == state:
        return Feedback(alert, changed=False)
    until = today + timedelta(days=snooze_days) if state == AlertState.SNOOZED else None
    done = session.execute(
        update(PartnerAlert)
        .where(PartnerAlert.id == alert_id, PartnerAlert.state == alert.state)
        .values(state=state, state_by=user_id, state_at=datetime.now(UTC), snoozed_until=until)
        .execution_options(synchronize_session=False)
    )
    session.refresh(alert)
    return Feedback(alert, changed=done.rowcount == 1)


@dataclass(frozen=True)
class FeedbackTally:
    """What managers answered to the alerts of one condition: the model's output labelled by
    the people who know the partners."""

    condition: str
    raised: int
    acknowledged: int
    snoozed: int
    dismissed: int

    @property
    def answered(self) -> int:
        return self.acknowledged + self.snoozed + self.dismissed

    @property
    def confirmed(self) -> float | None:
        """The share of answered alerts kept (acknowledged or snoozed) rather than dismissed as
        "Not a problem": the precision the managers see."""
        return (self.acknowledged + self.snoozed) / self.answered if self.answered else None


def feedback_tallies(session: Session) -> list[FeedbackTally]:
    """Every condition's alerts and answers, most raised first."""
    counts: dict[str, dict[AlertState, int]] = {}
    for condition, state, n in session.execute(
        select(PartnerAlert.condition, PartnerAlert.state, func.count()).group_by(
            PartnerAlert.condition, PartnerAlert.state
        )
    ):
        counts.setdefault(condition, {})[state] = int(n)
    tallies = [
        FeedbackTally(
            condition,
            sum(states.values()),
            states.get(AlertState.ACKNOWLEDGED, 0),
            states.get(AlertState.SNOOZED, 0),
            states.get(AlertState.DISMISSED, 0),
        )
        for condition, states in counts.items()
    ]
    return sorted(tallies, key=lambda t: (-t.raised, t.condition))
