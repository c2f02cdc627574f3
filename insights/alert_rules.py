"""Which of tonight's findings become alerts, for whom, and which wait.

Why these rules: an alert a manager learns to ignore is worse than none. So a finding becomes
an alert only when it is strong (the at-risk probability at the program's threshold, a drift
that is a drop or a burst), it is not one the manager already answered — "Not a problem"
silences that condition for that partner for good, a snooze until it ends, and any alert for
the same condition rests for the cool-down — and each manager gets at most a few a day, the
most severe first, with the rest summarised in one message. Pure data in and out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from insights.metric_display import format_metric
from models.enums import AlertState

SEVERITIES = ("high", "medium", "low")
AT_RISK = "at_risk"
METRIC_WORDS = {
    "revenue": "won revenue",
    "deals": "won deals",
    "win_rate": "win rate",
    "deal_size": "deal size",
    "registrations": "deal registrations",
    "activity": "marketing and training activity",
    "pattern": "activity pattern",
}
METRIC_KINDS = {"revenue": "money", "deal_size": "money", "win_rate": "percent"}


@dataclass(frozen=True)
class Finding:
    """One condition of one partner worth telling a manager about."""

    partner_id: int
    condition: str
    """``at_risk``, or ``drift:<metric>`` for a drift flag."""
    severity: str
    risk: float
    detail: dict[str, Any] = field(default_factory=dict)
    """What the message shows: ``risk_band``, ``factors``, ``flags`` (the partner's drift
    flags), ``previous_risk`` (the last assessment's, if any)."""

    @property
    def rank(self) -> tuple[int, float]:
        return (SEVERITIES.index(self.severity), -self.risk)


@dataclass(frozen=True)
class PastAlert:
    partner_id: int
    condition: str
    created_on: date
    state: AlertState
    snoozed_until: date | None


def _risk_severity(risk: float, threshold: float) -> str:
    return "high" if risk >= (1 + threshold) / 2 else "medium"


def is_drop(flag: dict[str, Any]) -> bool:
    """Whether a drift flag says something fell (a rise from nothing has no magnitude)."""
    magnitude = flag.get("magnitude")
    return magnitude is not None and magnitude < 0


def _flag_severity(flag: dict[str, Any]) -> str:
    """A drop of more than two thirds (a partner gone silent among them) is high, a smaller
    one medium."""
    return "high" if flag["magnitude"] <= -2 / 3 else "medium"


def findings(
    scores: pd.DataFrame, threshold: float, previous: dict[int, float] | None = None
) -> list[Finding]:
    """Findings from an assessment's scores (``risk``, ``risk_band``, ``method``,
    ``top_factors``, ``drift_flags`` per partner): one ``at_risk`` per partner at or above
    ``threshold`` and in the ``high`` band — the assessment may have raised the bar for its
    model (see :func:`insights.risk_scoring.alerting`) — with a reason to give (a score nothing
    in the partner's record explains is not worth a manager's time: :mod:`insights.risk_factors`),
    one ``drift:<metric>`` per drift flag of a drop. A rise (a burst of registrations, an
    outsized deal) is no alert: an alert is a warning, and a partner whose deal flow is up for
    months is listed as rising (:mod:`insights.rising`). ``previous``: each partner's last risk,
    for "up from"."""
    previous = previous or {}
    out = []
    for partner, row in scores.iterrows():
        pid = int(partner)
        detail = {
            "risk_band": row["risk_band"],
            "method": row.get("method", "model"),
            "factors": list(row["top_factors"]),
            "flags": list(row["drift_flags"]),
            "previous_risk": previous.get(pid),
        }
        risk = float(row["risk"])
        if risk >= threshold and row["risk_band"] == "high" and detail["factors"]:
            out.append(Finding(pid, AT_RISK, _risk_severity(risk, threshold), risk, detail))
        for flag in row["drift_flags"]:
            if not is_drop(flag):  # a rise is good news: the rising partners list carries it
                continue
            condition = f"drift:{flag['metric']}"
            out.append(Finding(pid, condition, _flag_severity(flag), risk, detail | {"flag": flag}))
    return out


def due(
    found: Iterable[Finding], past: Sequence[PastAlert], today: date, cooldown_days: int
) -> list[Finding]:
    """The findings not silenced by what managers said or by the cool-down; at most one per
    partner and condition (the most severe)."""
    cooled = today - timedelta(days=max(1, cooldown_days))  # at most once a day, whatever
    silenced = {
        (alert.partner_id, alert.condition)
        for alert in past
        if alert.state == AlertState.DISMISSED
        or (alert.state == AlertState.SNOOZED and (alert.snoozed_until or today) > today)
        or alert.created_on > cooled
    }
    best: dict[tuple[int, str], Finding] = {}
    for finding in found:
        key = (finding.partner_id, finding.condition)
        if key not in silenced and (key not in best or finding.rank < best[key].rank):
            best[key] = finding
    return sorted(best.values(), key=lambda f: (f.rank, f.partner_id, f.condition))


def allot(
    found: Sequence[tuple[str, Finding]], sent_today: dict[str, int], cap: int
) -> tuple[list[tuple[str, Finding]], dict[str, list[Finding]]]:
    """Split (recipient, finding) pairs, most severe first, into those sent one by one — at
    most ``cap`` a recipient a day, counting ``sent_today`` — and the rest, summarised in one
    message per recipient."""
    counts: dict[str, int] = defaultdict(int, sent_today)
    single: list[tuple[str, Finding]] = []
    rest: dict[str, list[Finding]] = defaultdict(list)
    for recipient, finding in sorted(found, key=lambda pair: pair[1].rank):
        if counts[recipient] < cap:
            counts[recipient] += 1
            single.append((recipient, finding))
        else:
            rest[recipient].append(finding)
    return single, dict(rest)


def is_modelled(detail: dict[str, Any]) -> bool:
    """Whether the at-risk figure is the model's probability, not the rule-based fallback's
    (too little history to learn from) or a partner with no history at all."""
    return detail.get("method", "model") == "model"


def headline(finding: Finding, name: str, currency: str) -> str:
    """One line saying what changed, for the alert, the summary and the digest."""
    if finding.condition == AT_RISK:
        if not is_modelled(finding.detail):  # a rule of thumb states no probability
            signs = len(finding.detail["factors"])
            return f"{name} is at risk: {signs} warning sign{'s' * (signs > 1)}"
        before = finding.detail.get("previous_risk")
        change = f", up from {before:.0%}" if before is not None and before < finding.risk else ""
        return f"{name} is at risk: {finding.risk:.0%}{change}"
    flag = finding.detail["flag"]
    what = METRIC_WORDS.get(flag["metric"], flag["metric"].replace("_", " "))
    month = pd.Timestamp(flag["since"]).strftime("%B %Y")
    magnitude = flag["magnitude"]
    kind = METRIC_KINDS.get(flag["metric"], "number")
    observed = format_metric(float(flag["observed"]), kind, currency)
    expected = format_metric(float(flag["expected"]), kind, currency)
    if magnitude is None:
        return f"{name}: {what} up from none to {observed} since {month}"
    direction = "down" if magnitude < 0 else "up"
    return (
        f"{name}: {what} {direction} {abs(magnitude):.0%} since {month} "
        f"({observed} vs {expected} expected)"
    )
