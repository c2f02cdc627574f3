"""How money and scorecard metrics are labelled and formatted, shared by Slack messages, the
terminal and the domain's own sentences (scorecard highlights, alert headlines), so all say
the same thing the same way."""

import math
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Shown:
    """How one metric is shown: label, format and which way is better."""

    key: str
    label: str
    kind: str  # "money", "percent", "count", "days", "ratio", "score"
    higher_is_better: bool = True
    weight: str | None = None
    """The scorecard weight (``program.toml``) this row's percentile belongs to."""


KEY_METRICS = (
    Shown("sourced_revenue", "Sourced revenue", "money"),
    Shown("sourced_revenue_3m", "Sourced revenue (3 mo)", "money", weight="revenue"),
    Shown("influenced_revenue", "Influenced revenue", "money"),
    Shown("revenue_share", "Share of program revenue", "percent"),
    Shown("win_rate", "Win rate (3 mo)", "percent", weight="win_rate"),
    Shown("avg_deal_size", "Average deal (3 mo)", "money", weight="deal_size"),
    Shown(
        "deal_velocity_days",
        "Days to win (median)",
        "days",
        higher_is_better=False,
        weight="deal_velocity",
    ),
    Shown("pipeline_coverage", "Pipeline coverage", "ratio", weight="pipeline_coverage"),
    Shown("certifications", "Certifications", "count", weight="certifications"),
    Shown("marketing_activities", "Marketing (3 mo)", "count", weight="marketing"),
    Shown("satisfaction", "Satisfaction", "score", weight="satisfaction"),
    Shown("roi", "Return on investment", "ratio"),
)

OPTIONAL_METRICS = frozenset({"roi", "pipeline_coverage", "satisfaction"})
"""Metrics a program may have no data for at all (no cost data, no targets, no surveys): left
off a card when missing, rather than shown as a dash."""


def money(amount: Decimal | float | None, currency: str, *, cents: bool = False) -> str:
    """ "USD 48,000": totals, averages and changes in whole units, as figures that are summed
    or converted carry no meaningful cents. ``cents``: an amount as someone entered it (a
    registration's), shown exactly — "EUR 1,250.50" — when it has cents. No ``currency``: the
    number alone, for a table whose heading names the currency."""
    if amount is None or (isinstance(amount, float) and math.isnan(amount)):
        return "—"
    whole = not cents or amount == int(amount)
    shown = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    return f"{currency} {shown}" if currency else shown


def format_metric(value: float | None, kind: str, currency: str) -> str:
    if kind == "money":
        return money(value, currency)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    match kind:
        case "percent":  # a small partner's share is no "0%"
            return "<1%" if 0 < value < 0.005 else f"{value * 100:.0f}%"
        case "days":
            return f"{value:.0f} days"
        case "ratio":
            return f"{value:.1f}×"
        case "score":
            return f"{value:.1f}"
    return f"{value:,.0f}"
