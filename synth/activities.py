"""One partner's activities: trainings, certifications and marketing that scale with its
engagement (better and growing partners do more; declining ones stop first), quarterly
satisfaction surveys, MDF claims for silver and above, and the program's cost of serving it."""

from datetime import date

import numpy as np

from synth.config import TIERS
from synth.patterns import Behaviour, engagement_curve, satisfaction_shift
from synth.records import ActivityColumns
from synth.roster import Roster
from synth.traits import Traits

TRAININGS = (
    "Sales Foundations",
    "Technical Foundations",
    "Core Platform Deep Dive",
    "Analytics Add-on Essentials",
    "Security Suite Deployment",
    "Support Plus Onboarding",
    "Pricing and Packaging",
    "Deal Registration Basics",
    "Competitive Positioning",
)
CERTIFICATIONS = {
    "security": ("Security Suite Specialist", "Security Architect"),
    "cloud": ("Cloud Deployment Engineer", "Core Platform Administrator"),
    "data": ("Analytics Specialist", "Data Integration Engineer"),
    "networking": ("Network Integration Specialist",),
    "services": ("Support Plus Practitioner", "Implementation Consultant"),
}
GENERAL_CERTIFICATIONS = ("Certified Sales Professional", "Core Platform Administrator")
MARKETING = (
    "Webinar",
    "Email campaign",
    "Trade show booth",
    "Customer event",
    "Joint case study",
    "Social campaign",
    "Lunch and learn",
)
MONTHLY_RATES = {"training": 0.35, "marketing": 0.25, "certification": 0.06}
"""Events a month of an average-engagement partner of the lowest tier."""
SURVEY_RESPONSE = 0.85
ONBOARDING_COST = 2_500.0


def simulate_activities(
    roster: Roster, index: int, traits: Traits, b: Behaviour, rng: np.random.Generator
) -> ActivityColumns:
    timeline = roster.timeline
    months = timeline.months
    tier_index = int(roster.tiers[index])
    tier = TIERS[tier_index]
    signed = roster.signed[index]
    first = int(np.searchsorted(timeline.starts, signed, side="right")) - 1
    m = np.arange(months)
    active = m >= max(first, 0)
    if b.pattern == "churned":
        active &= m < b.onset
    curve = engagement_curve(b, months) * active
    engagement = traits.engagement * (0.6 + 0.5 * tier_index) * curve

    events: dict[tuple[date, str, str], float] = {}
    for kind, rate in MONTHLY_RATES.items():
        boost = 1 + 0.4 * tier_index if kind == "certification" else 1.0
        counts = rng.poisson(rate * boost * engagement)
        month = np.repeat(m, counts)
        days = timeline.working_days(month, rng.random(len(month)), not_before=signed)
        names = _details(kind, traits, rng, len(month))
        sizes = 1 + rng.poisson(0.3 * (1 + tier_index), len(month))
        for day, name, people in zip(days.tolist(), names, sizes.tolist(), strict=True):
            key = (day, kind, name)
            if kind == "certification":
                events[key] = 1.0  # one row per certification earned that day
            else:
                events[key] = events.get(key, 0.0) + (people if kind == "training" else 1.0)

    quarter_label = _quarter_labels(timeline.starts[:-1])
    shift = satisfaction_shift(b, months)
    settled = active & (timeline.starts[:-1] >= signed)  # whole month after signing
    quarter_last = (timeline.calendar_month % 3 == 2) & settled
    for month in np.flatnonzero(quarter_last & (rng.random(months) < SURVEY_RESPONSE)).tolist():
        day = timeline.working_days(np.array([month]), rng.random(1))[0].astype(object)
        mean = 7.2 + 0.3 * tier_index + np.log(traits.engagement) + shift[month]
        score = float(np.clip(np.round(rng.normal(mean, 0.7), 1), 0, 10))
        events[(day, "satisfaction", f"Partner survey {quarter_label[month]}")] = score

    if tier.mdf_per_quarter:
        claims = quarter_last & (rng.random(months) < np.clip(0.8 * curve, 0, 0.95))
        for month in np.flatnonzero(claims).tolist():
            day = timeline.working_days(np.array([month]), rng.random(1))[0].astype(object)
            spend = tier.mdf_per_quarter * traits.engagement * curve[month]
            spend *= rng.lognormal(0, 0.3)
            events[(day, "mdf_spend", f"MDF claim {quarter_label[month]}")] = round(spend, 2)

    quarter_first = (timeline.calendar_month % 3 == 0) & settled
    for month in np.flatnonzero(quarter_first).tolist():
        cost = round(tier.cost_per_quarter * rng.lognormal(0, 0.15), 2)
        day = timeline.starts[month].astype(object)
        events[(day, "program_cost", f"Program cost {quarter_label[month]}")] = cost
    if b.pattern == "ramping":
        events[(signed.astype(object), "program_cost", "Onboarding")] = ONBOARDING_COST
    events |= _earned_before(timeline.starts[0], signed, traits, tier_index, rng)

    keys = sorted(events)
    return ActivityColumns(
        partner_id=roster.partner_id(index),
        date=np.array([k[0] for k in keys], dtype="datetime64[D]"),
        kind=[k[1] for k in keys],
        value=np.array([events[k] for k in keys], dtype=float),
        detail=[k[2] for k in keys],
    )


def _earned_before(
    start: np.datetime64,
    signed: np.datetime64,
    traits: Traits,
    tier_index: int,
    rng: np.random.Generator,
) -> dict[tuple[date, str, str], float]:
    """Certifications a partner signed before the history starts earned in the years before,
    at the pace it earns them in it: a partner's certified people do not begin with the
    export. (Drawn last, so the other activities are the same with or without them.)"""
    months = (start - signed) // np.timedelta64(1, "D") / 30.44
    if months <= 0:
        return {}
    rate = MONTHLY_RATES["certification"] * (1 + 0.4 * tier_index)
    count = int(rng.poisson(rate * traits.engagement * (0.6 + 0.5 * tier_index) * months))
    offsets = (rng.random(count) * months * 30.44).astype("timedelta64[D]")
    days = (signed + offsets).astype(object)
    names = _details("certification", traits, rng, count)
    return {(day, "certification", name): 1.0 for day, name in zip(days, names, strict=True)}


def _details(kind: str, traits: Traits, rng: np.random.Generator, n: int) -> list[str]:
    if kind == "training":
        return [TRAININGS[i] for i in rng.integers(len(TRAININGS), size=n).tolist()]
    if kind == "marketing":
        return [MARKETING[i] for i in rng.integers(len(MARKETING), size=n).tolist()]
    own = [c for s in traits.specialties for c in CERTIFICATIONS[s]]
    options = list(dict.fromkeys([*own, *GENERAL_CERTIFICATIONS]))
    weights = np.array([3.0 if c in own else 1.0 for c in options])
    picks = np.searchsorted(np.cumsum(weights) / weights.sum(), rng.random(n), side="right")
    return [options[min(i, len(options) - 1)] for i in picks.tolist()]


def _quarter_labels(starts: np.ndarray) -> list[str]:
    months = starts.astype("datetime64[M]").astype(np.int64)
    return [f"{1970 + m // 12}-Q{m % 12 // 3 + 1}" for m in months.tolist()]
