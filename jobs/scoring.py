"""The nightly scoring job: every partner's scorecard, the at-risk model and drift detection,
then alerts to the managers — queued in the outbox in the same transaction as the alert rows,
so an alert is sent if and only if it is recorded.

A run scores the program as at the end of the previous local day. Running it twice in a day
raises nothing twice: every condition alerted today is in its cool-down.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from config.program import Program
from insights.alert_rules import AT_RISK, Finding, allot, due, findings, headline
from insights.alert_store import add_alert, past_alerts, previous_risk, sent_today
from insights.risk_scoring import RiskAssessment
from insights.risk_store import assess_and_store
from insights.scorecard_metrics import load_frames
from insights.scorecard_store import compute_and_store, latest_month, rising_scorecards
from jobs.recipients import manager_routes
from messages.alert_messages import alert_message, alerts_summary
from messages.outbox import enqueue_message

T = TypeVar("T")
ALERT = "alert"
SUMMARY = "alert_summary"


@dataclass(frozen=True)
class ScoringReport:
    as_of: date
    partners: int
    alerts: int
    """Alerts sent one by one."""
    summarised: int
    """Alerts over a manager's daily cap, listed in one summary message each."""
    unrouted: int
    """Findings with nobody to tell: the partner has no manager and no alerts channel is set."""
    seconds: dict[str, float]


def nightly_scoring(
    session_factory: sessionmaker[Session], program: Program, now: datetime
) -> ScoringReport:
    """Score everything as at the end of yesterday (program time zone) and raise alerts."""
    today = program.today(now)
    as_of = today - timedelta(days=1)
    clock = _Stopwatch()
    with session_factory.begin() as session:  # scorecards kept even if the risk model fails
        frames = clock.time("load", lambda: load_frames(session, program))
        clock.time("scorecards", lambda: compute_and_store(session, program, as_of, frames))
    with session_factory.begin() as session:
        assessment = clock.time("risk", lambda: assess_and_store(session, program, as_of, frames))
    with session_factory.begin() as session:
        single, summarised, unrouted = clock.time(
            "alerts", lambda: raise_alerts(session, program, assessment, today)
        )
    seconds = clock.seconds | {f"risk.{k}": v for k, v in assessment.seconds.items()}
    return ScoringReport(as_of, len(assessment.scores), single, summarised, unrouted, seconds)


class _Stopwatch:
    """Seconds per phase, for the job's report and log line."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def time(self, phase: str, work: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return work()
        finally:
            self.seconds[phase] = time.perf_counter() - started


def raise_alerts(
    session: Session, program: Program, assessment: RiskAssessment, today: date
) -> tuple[int, int, int]:
    """Record and queue tonight's alerts; (sent one by one, summarised, unrouted)."""
    rules = program.alerts
    found = findings(
        assessment.scores, rules.risk_threshold, previous_risk(session, assessment.as_of)
    )
    # a partner the month's scorecards call rising is not also "at risk": its
    # deal flow is sharply up on its own months before (insights.rising), so the alert would
    # contradict the card; drift flags still stand
    month = latest_month(session)
    rising = (
        {card.partner_id for card in rising_scorecards(session, month, 10_000)} if month else set()
    )
    found = [f for f in found if not (f.condition == AT_RISK and f.partner_id in rising)]
    waiting = due(
        found, past_alerts(session, today, rules.cooldown_days), today, rules.cooldown_days
    )
    routes = manager_routes(session, program, {f.partner_id for f in waiting})
    routed = [(routes[f.partner_id][1], f) for f in waiting if f.partner_id in routes]
    single, rest = allot(routed, sent_today(session, today), rules.max_per_manager_per_day)
    currency = program.info.currency

    def record(recipient: str, finding: Finding) -> tuple[int, str, str]:
        name = routes[finding.partner_id][0]
        line = headline(finding, name, currency)
        alert = add_alert(session, finding, recipient, line, assessment.as_of)
        session.flush()
        return alert.id, name, line

    for recipient, finding in single:
        alert_id, name, line = record(recipient, finding)
        message = alert_message(alert_id, finding, name, line, rules.snooze_days)
        enqueue_message(session, key=f"{ALERT}:{alert_id}", kind=ALERT, channel=recipient,
                        message=message)  # fmt: skip
    for recipient, over in rest.items():
        recorded = [record(recipient, finding) for finding in over]
        message = alerts_summary([line for _, _, line in recorded], rules.max_per_manager_per_day)
        key = f"{SUMMARY}:{recorded[0][0]}"  # named after its first alert: one per run
        enqueue_message(session, key=key, kind=SUMMARY, channel=recipient, message=message)
    return len(single), sum(len(v) for v in rest.values()), len(waiting) - len(routed)
