"""Partner scorecards: peer percentiles, a composite score, plain-language highlights and tier
advice, computed from the monthly metrics frame (one row per partner and month, indexed by
``(partner_id, month)`` with ``month`` a ``pd.Period[M]``) and the partner attributes (indexed
by ``partner_id``: ``name``, ``tier``, ``region``). Pure pandas/numpy: no database, no Slack.

Why percentiles and not raw values: a score must mean the same for a 5-person reseller and a
global integrator, and the program's weights must mean what they say however skewed a metric
is. Ranking within peers does both.

Rules
-----
**Peer group.** A partner is compared, month by month, with partners of the same tier and
region. When that group has fewer than ``MIN_PEERS`` (5) partners that month, the partner is
compared with its whole tier across all regions, and when that is still too small, with all
partners that month. The group used is recorded (``"gold · EMEA"``, ``"gold · all regions"``,
``"all partners"``) with its size, the partner included. Tier and region are the partner's
current ones; a tier the program does not name counts as the entry tier.

**Percentile.** Each weighted metric (``WEIGHTED_METRICS``) is ranked within the peer group,
ties sharing their average rank, and scaled to 0..100: the best gets 100, the worst 0, a
partner alone with a value gets 50. Deal velocity is days to close, so shorter ranks higher.
A missing value (no closed deals, no survey, no pipeline target) gets no percentile and does
not take part in the others' ranking. Revenue is ranked on ``sourced_revenue_3m``, the sourced
revenue of the month and the two before (calendar months; months without a row count as none).

**Composite score.** The weighted mean of the percentiles the partner has, re-weighted over
those (sum of weight × percentile ÷ sum of those weights), so a partner without a survey is
neither punished nor rewarded for it; rounded to one decimal. No metrics at all scores 0.

**Highlights.** At most ``MAX_HIGHLIGHTS`` (4) sentences per scorecard, comparing the month
with the previous month ("vs last month") and with three months earlier ("vs last quarter": for
trailing-three-month metrics and for sourced revenue summed over three months, that is the last
three months against the three before; the score is compared with the score then). Changes
under these floors are noise and are not reported: score and win rate 5 points; money (sourced
revenue, average deal size) 20 % and at least a twentieth of the lowest non-zero tier revenue
threshold (USD 5,000 with the example program); deal velocity 20 % and 5 days; pipeline
coverage 20 % and 0.25×. Milestones come first: the first certified engineer (certifications
from 0 to 1 or more) and the first revenue (no sourced revenue in any earlier month, and sourced
revenue or a time to first revenue this month). Then the larger changes, by how many times
they clear their floor (capped at 5), one sentence per metric, the earlier-listed kind winning
a tie. A partner with no marketing activity for the last three months, signed at least that
long, is told so with how long it has lasted (counting twice a floor). Win rate is a share
(0..1) and its changes are in percentage points.

**Tier advice.** Tiers rest on the **program score**, not on the score above: the same weighted
metrics ranked across the whole program that month (certifications as a count, since their
completion is measured against the partner's own tier), their weighted mean ranked again, so
80 means "ahead of 80 % of the program's partners". The score within the peer group cannot
decide a tier: the peer group is the tier, so half of every tier would fall short of it by
construction. A review weighs three program scores: the month's and those of the two reviews
before (last month, three months back).

A partner qualifies for a tier when it meets all three of its thresholds: ``min_score`` on the
program score, ``min_revenue`` on trailing-12-month sourced revenue and ``min_certifications``
on certifications. A move needs evidence that outlasts one month and one deal:

- **Up**, to the next tier, when it qualifies with margins at every review: its *lowest* program
  score ``tiering.hysteresis_points`` above the tier's ``min_score``, and its revenue at this
  review and the review three months before ``tiering.revenue_margin`` (a share) above
  ``min_revenue`` even allowing for how uncertain a year's revenue is (``revenue_12m_error``:
  a year of three deals says little about the next), and the certifications.
- **Down**, one tier, when it fails its own tier beyond the same margins at every review: its
  *highest* program score more than ``hysteresis_points`` below ``min_score``, or its revenue
  at both reviews below ``min_revenue`` × (1 − ``revenue_margin``) allowing for the same
  uncertainty, or fewer certifications than required. A partner signed less than a year ago is
  not moved down: its trailing 12 months are not yet a year in the program.

Otherwise it stays, so a partner near a boundary does not flap. Downgrades need approval when
``tiering.downgrade_requires_approval``. ``recommended`` is the tier after this review. Gaps say
what the partner still needs for the tier above its current one, measured against its lowest
score and revenue of the reviews, margins included, so meeting them all means being promoted
at the next review.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np
import pandas as pd

from config.program import Program, Tier
from insights.metric_display import money

MIN_PEERS = 5
MAX_HIGHLIGHTS = 4
PERCENTILE_PREFIX = "pct_"
"""``score_frame`` names its percentile columns ``pct_<weight>``: several weight names
(``win_rate``, ``certifications``, …) are also metric columns that mean something else."""

WEIGHTED_METRICS: dict[str, tuple[str, bool]] = {
    "revenue": ("sourced_revenue_3m", True),
    "win_rate": ("win_rate", True),
    "deal_velocity": ("deal_velocity_days", False),
    "deal_size": ("avg_deal_size", True),
    "pipeline_coverage": ("pipeline_coverage", True),
    "certifications": ("certification_completion", True),
    "marketing": ("marketing_activities", True),
    "satisfaction": ("satisfaction", True),
}
"""Weight name (``program.scorecard.weights``) -> (metric column, higher is better)."""

POINTS_FLOOR = 5.0
MONEY_SHARE_FLOOR = 0.20
MONEY_AMOUNT_SHARE = 1 / 20
VELOCITY_DAYS_FLOOR = 5.0
COVERAGE_FLOOR = 0.25
RATIO_FLOOR = 0.20
MILESTONE = 100.0
"""Significance of a milestone: above any change, so it is always told first."""
SILENCE = 2.0
"""Significance of "no marketing activity": like a change twice its floor."""
MAX_SIGNIFICANCE = 5.0
COMPARISONS = (("last month", 1), ("last quarter", 3))
CONFIDENCE_Z = 2.0
"""Revenue moves a tier only when it clears the bar by this many standard errors of a year's
revenue (about 95 % confidence): what one lucky or lean year cannot do."""
YEAR_MONTHS = 12
"""A partner signed fewer calendar months ago than this is not moved down a tier."""
_EPS = 1e-9


@dataclass(frozen=True)
class Highlight:
    text: str
    metric: str
    direction: int
    """+1 good news, -1 bad news."""


@dataclass(frozen=True)
class TierAdvice:
    current: str
    recommended: str
    """Where the partner should be after this review: hysteresis and one step applied."""
    change: Literal["up", "down", "stay"]
    needs_approval: bool
    next_tier: str | None
    gaps: list[str]
    """What ``next_tier`` still needs, the hysteresis margins included: program score points,
    revenue, certifications."""
    keep_gaps: list[str]
    """When a downgrade is recommended, what the partner lacks to keep ``current``; else
    empty."""


@dataclass(frozen=True)
class Scorecard:
    partner_id: int
    name: str
    tier: str
    """The tier on record, as given (``advice.current`` is the one the rules used)."""
    region: str
    month: pd.Period
    score: float
    score_previous_month: float | None
    score_previous_quarter: float | None
    """The score three months earlier."""
    peer_group: str
    peers: int
    metrics: dict[str, float | None]
    percentiles: dict[str, float | None]
    highlights: list[Highlight]
    advice: TierAdvice


class _Panel:
    """The frame's rows on a dense partner × calendar-month grid, so "the same partner ``k``
    months earlier" is an array lookup rather than a join, and a gap in a partner's history
    never pairs the wrong months."""

    def __init__(self, index: pd.MultiIndex) -> None:
        self.partner = index.codes[0]
        self.partners = index.levels[0]
        ordinal = index.get_level_values(1).asi8
        self.first = int(ordinal.min()) if len(ordinal) else 0
        self.month = ordinal - self.first
        self.span = int(self.month.max()) + 1 if len(ordinal) else 0

    def grid(self, values: np.ndarray) -> np.ndarray:
        """Shape (partners, months), NaN where a partner has no row."""
        out = np.full((len(self.partners), self.span), np.nan)
        out[self.partner, self.month] = values
        return out

    def lagged(self, values: np.ndarray, months: int) -> np.ndarray:
        """Each row's value ``months`` earlier for the same partner, NaN without that row."""
        earlier = self.month - months
        found = self.grid(values)[self.partner, np.maximum(earlier, 0)]
        return np.where(earlier >= 0, found, np.nan)

    def position(self, month: pd.Period) -> int:
        return month.ordinal - self.first


def _normalised(metrics: pd.DataFrame) -> tuple[pd.DataFrame, _Panel]:
    """A copy indexed by ``(partner_id, month: Period[M])`` with ``sourced_revenue_3m`` added,
    and its panel."""
    if metrics.index.nlevels != 2:
        raise ValueError("metrics must be indexed by (partner_id, month)")
    months = metrics.index.get_level_values(1)
    if not isinstance(months, pd.PeriodIndex):
        months = pd.DatetimeIndex(months).to_period("M")
    elif months.freqstr != "M":
        months = months.asfreq("M")
    index = pd.MultiIndex.from_arrays(
        [metrics.index.get_level_values(0), months], names=["partner_id", "month"]
    )
    if not index.is_unique:
        raise ValueError("metrics must have one row per partner and month")
    needed = {"sourced_revenue"} | {col for col, _ in WEIGHTED_METRICS.values()}
    missing = sorted(needed - {"sourced_revenue_3m"} - set(metrics.columns))
    if missing:
        raise ValueError(f"metrics lack columns: {', '.join(missing)}")
    frame = metrics.set_axis(index, axis=0)
    panel = _Panel(index)
    revenue = frame["sourced_revenue"].to_numpy(float)
    window = np.column_stack([revenue, panel.lagged(revenue, 1), panel.lagged(revenue, 2)])
    some = ~np.isnan(window).all(axis=1)
    frame["sourced_revenue_3m"] = np.where(some, np.nansum(window, axis=1), np.nan)
    return frame, panel


def _attributes(partners: pd.DataFrame, ids: pd.Index, program: Program) -> pd.DataFrame:
    """``name``, recorded ``tier``, ``peer_tier`` (unknown -> entry tier) and ``region`` for
    ``ids``; a partner missing from ``partners`` still gets a scorecard."""
    if "partner_id" in partners.columns:
        partners = partners.set_index("partner_id")
    found = partners.reindex(ids)
    entry = program.tier_names[0]
    tier = found["tier"].astype(object).where(found["tier"].notna(), entry).astype(str)
    name = found["name"].astype(object)
    name = name.where(name.notna(), [f"partner {i}" for i in ids])
    return pd.DataFrame(
        {
            "name": name.astype(str),
            "tier": tier,
            "peer_tier": tier.where(tier.isin(program.tier_names), entry),
            "region": found["region"].astype(object).fillna("unknown").astype(str),
        },
        index=ids,
    )


def _percentiles(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Per column, 0..100 within ``group``: average rank of ties, best (largest) 100, worst 0,
    a lone value 50; NaN stays NaN and is not counted. Two integer-friendly sorts per column
    instead of a groupby rank, which is several times slower at 100,000+ rows."""
    out = np.full(values.shape, np.nan)
    for j in range(values.shape[1]):
        rows = np.flatnonzero(~np.isnan(values[:, j]))
        if not len(rows):
            continue
        value = values[rows, j]
        by_value = np.argsort(value)
        level = np.empty(len(rows), dtype=np.int64)  # dense rank: equal values share a level
        level[by_value] = np.cumsum(np.r_[0, np.diff(value[by_value]) != 0])
        key = group[rows].astype(np.int64) * (int(level.max()) + 1) + level
        order = np.argsort(key)
        key, g = key[order], group[rows][order]
        position = np.arange(len(rows))
        new_group = np.r_[True, g[1:] != g[:-1]]
        new_tie = np.r_[True, key[1:] != key[:-1]]
        in_group = np.cumsum(new_group) - 1
        group_start = position[new_group][in_group]
        group_size = np.diff(np.r_[position[new_group], len(rows)])[in_group]
        tie_first = position[new_tie]
        tie_last = np.r_[tie_first[1:], len(rows)] - 1
        tie = np.cumsum(new_tie) - 1
        rank = (tie_first[tie] + tie_last[tie]) / 2 - group_start  # 0-based, ties averaged
        scaled = np.where(group_size > 1, rank / np.maximum(group_size - 1, 1) * 100, 50.0)
        out[rows[order], j] = scaled
    return out


def score_frame(metrics: pd.DataFrame, partners: pd.DataFrame, program: Program) -> pd.DataFrame:
    """Per ``(partner_id, month)``: ``peer_group``, ``peers``, a ``pct_<weight>`` percentile
    (0..100, NaN without the metric) per weighted metric, and the composite ``score``."""
    return _scored(*_normalised(metrics), partners, program)


def _scored(
    frame: pd.DataFrame,
    panel: _Panel,
    partners: pd.DataFrame,
    program: Program,
    rows: np.ndarray | None = None,
) -> pd.DataFrame:
    """``score_frame`` for the frame's ``rows`` (all by default); peers are always whole
    months, so pass whole months."""
    rows = np.arange(len(frame)) if rows is None else rows
    people = _attributes(partners, panel.partners, program)
    tier_code, tiers = pd.factorize(people["peer_tier"])
    region_code, regions = pd.factorize(people["region"])
    partner, month = panel.partner[rows], panel.month[rows]
    tier, region = tier_code[partner], region_code[partner]
    labels = np.array(
        [f"{t} · {r}" for t in tiers for r in regions]
        + [f"{t} · all regions" for t in tiers]
        + ["all partners"],
        dtype=object,
    )
    levels = [  # label code per row, narrowest group first
        tier * len(regions) + region,
        len(tiers) * len(regions) + tier,
        np.full(len(month), len(labels) - 1),
    ]
    keys = [month * len(labels) + label for label in levels]  # the group, month by month
    sizes = [np.bincount(key)[key] for key in keys]
    level = np.full(len(month), len(levels) - 1)
    for narrower in range(len(levels) - 2, -1, -1):
        level = np.where(sizes[narrower] >= MIN_PEERS, narrower, level)
    label, peers = np.choose(level, levels), np.choose(level, sizes)

    values = np.column_stack(
        [
            frame[column].to_numpy(float)[rows] * (1.0 if higher else -1.0)
            for column, higher in WEIGHTED_METRICS.values()
        ]
    )
    pct = _percentiles(values, keys[0])
    for wider in range(1, len(levels)):
        # A wider group holds everyone in it, also partners whose own region was big enough.
        # Rank only the groups somebody falls back to: usually few.
        members = np.flatnonzero(np.isin(keys[wider], keys[wider][level == wider]))
        if len(members):
            ranked = _percentiles(values[members], keys[wider][members])
            use = level[members] == wider
            pct[members[use]] = ranked[use]
    weights = np.array([getattr(program.scorecard.weights, name) for name in WEIGHTED_METRICS])
    out = pd.DataFrame({"peer_group": labels[label], "peers": peers}, index=frame.index[rows])
    for j, name in enumerate(WEIGHTED_METRICS):
        out[PERCENTILE_PREFIX + name] = pct[:, j]
    out["score"] = _composite(pct, weights)
    out["program_score"] = _program_score(frame, values, rows, month, weights)
    return out


def _program_score(
    frame: pd.DataFrame,
    values: np.ndarray,
    rows: np.ndarray,
    month: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    """The score tier reviews use: the same weighted metrics ranked across the whole program
    that month, certifications as a count (their completion is measured against the partner's
    own tier), and the composite ranked again, so 80 means "ahead of 80 % of the program"."""
    tier_free = values.copy()
    if "certifications" in frame:
        column = list(WEIGHTED_METRICS).index("certifications")
        tier_free[:, column] = frame["certifications"].to_numpy(float)[rows]
    composite = _composite(_percentiles(tier_free, month), weights)
    return np.round(_percentiles(composite[:, None], month)[:, 0], 1)


def _composite(pct: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The weighted mean of the percentiles each row has, 0..100, one decimal."""
    present = ~np.isnan(pct)
    weight_present = present.astype(float) @ weights
    total = np.where(present, pct, 0.0) @ weights
    score = np.divide(total, weight_present, out=np.zeros_like(total), where=weight_present > 0)
    return np.clip(np.round(score, 1), 0.0, 100.0)


@dataclass(frozen=True)
class Standing:
    """What one partner's tier review weighs (see "Tier advice")."""

    scores: tuple[float, ...]
    """Program scores at this review and the reviews before it; NaN where not scored."""
    revenue_12m: float
    certifications: float
    revenue_before: float = math.nan
    """Trailing-12-month sourced revenue at the review three months before; NaN: not known."""
    revenue_error: float = 0.0
    """The relative uncertainty of ``revenue_12m`` (``revenue_12m_error``)."""
    months_signed: float = math.nan
    """Calendar months since the partner signed; NaN when not known."""


def tier_advice(current: str, standing: Standing, program: Program) -> TierAdvice:
    """The tier review for one partner (rules in the module docstring)."""
    tiers, rules = program.tiers, program.tiering
    names = [tier.name for tier in tiers]
    level = names.index(current) if current in names else 0
    scores = [s for s in standing.scores if not math.isnan(s)] or [0.0]
    revenues = [_or_zero(standing.revenue_12m)]
    if not math.isnan(standing.revenue_before):
        revenues.append(standing.revenue_before)
    certs = _or_zero(standing.certifications)
    noise = CONFIDENCE_Z * _or_zero(standing.revenue_error)
    up = _Bar(rules.hysteresis_points, (1 + rules.revenue_margin) * (1 + noise))
    down = _Bar(-rules.hysteresis_points, (1 - rules.revenue_margin) / (1 + noise))
    worst = (min(scores), min(revenues))
    best = (max(scores), max(revenues))
    new_partner = standing.months_signed < YEAR_MONTHS  # False when NaN: not known to be new

    here, above = tiers[level], tiers[level + 1] if level + 1 < len(tiers) else None
    new = level
    if level > 0 and not new_partner and not down.met(here, *best, certs):
        new = level - 1
    elif above is not None and up.met(above, *worst, certs):
        new = level + 1
    change: Literal["up", "down", "stay"] = (
        "up" if new > level else "down" if new < level else "stay"
    )

    currency = program.info.currency
    return TierAdvice(
        current=here.name,
        recommended=tiers[new].name,
        change=change,
        needs_approval=change == "down" and rules.downgrade_requires_approval,
        next_tier=above.name if above is not None else None,
        gaps=up.gaps(above, *worst, certs, currency) if above is not None else [],
        keep_gaps=down.gaps(here, *best, certs, currency) if new < level else [],
    )


def _or_zero(value: float) -> float:
    return 0.0 if math.isnan(value) else value


@dataclass(frozen=True)
class _Bar:
    """A tier's thresholds moved by the hysteresis margins: raised to move up into the tier,
    lowered to be moved down out of it."""

    points: float
    revenue_factor: float

    def met(self, tier: Tier, score: float, revenue: float, certs: float) -> bool:
        return (
            score >= tier.min_score + self.points
            and revenue >= tier.min_revenue * self.revenue_factor
            and certs >= tier.min_certifications
        )

    def gaps(
        self, tier: Tier, score: float, revenue: float, certs: float, currency: str
    ) -> list[str]:
        """What a partner lacks to meet ``tier`` at this bar."""
        gaps = []
        points = math.ceil(round((tier.min_score + self.points - score) * 10, 6)) / 10
        if points > 0:
            gaps.append(f"{points:g} more point{'' if points == 1 else 's'} of program score")
        amount = math.ceil(round(tier.min_revenue * self.revenue_factor - revenue, 6))
        if amount > 0:
            gaps.append(f"{money(amount, currency)} more trailing-12-month sourced revenue")
        count = math.ceil(round(tier.min_certifications - certs, 6))
        if count > 0:
            gaps.append(f"{count} more certification{'' if count == 1 else 's'}")
        return gaps


class _History:
    """The partners with a row in the scorecard month, and their values in and before it."""

    def __init__(self, frame: pd.DataFrame, panel: _Panel, month: pd.Period) -> None:
        self.frame, self.panel, self.at = frame, panel, panel.position(month)
        self.rows = np.flatnonzero(panel.month == self.at)
        self.partner = panel.partner[self.rows]
        self._grids: dict[str, np.ndarray] = {}

    def _grid(self, column: str) -> np.ndarray | None:
        if column not in self.frame.columns:
            return None
        if column not in self._grids:
            self._grids[column] = self.panel.grid(self.frame[column].to_numpy(float))
        return self._grids[column]

    def back(self, column: str, months: int) -> np.ndarray:
        """Shape (partners, months + 1): column j holds the value j months back; NaN where
        the partner has no row or the frame no such column."""
        out = np.full((len(self.rows), months + 1), np.nan)
        grid = self._grid(column)
        if grid is not None:
            for j in range(min(months, self.at) + 1):
                out[:, j] = grid[self.partner, self.at - j]
        return out

    def ever_before(self, column: str) -> np.ndarray:
        """Whether the column was ever positive before the month."""
        grid = self._grid(column)
        if grid is None:
            return np.zeros(len(self.rows), dtype=bool)
        return (np.nan_to_num(grid[self.partner, : self.at]) > 0).any(axis=1)


@dataclass(frozen=True)
class _Told:
    """One kind of highlight for every partner: its significance (0 = nothing worth telling),
    and the sentence and direction, worded only for the partners it is chosen for."""

    metric: str
    significance: np.ndarray
    sentence: Callable[[int], tuple[str, int]]


def _direction(delta: float) -> tuple[str, int]:
    return ("up", 1) if delta > 0 else ("down", -1)


def _points_sentence(label: str, comparison: str, delta: np.ndarray, i: int) -> tuple[str, int]:
    word, sign = _direction(delta[i])
    return f"{label} {word} {abs(delta[i]):.0f} points vs {comparison}", sign


def _point_changes(history: _History, column: str, label: str, scale: float) -> list[_Told]:
    told = []
    for comparison, months in COMPARISONS:
        values = history.back(column, months)
        delta = (values[:, 0] - values[:, months]) * scale
        size = np.nan_to_num(np.abs(delta))
        significance = np.where(size >= POINTS_FLOOR - _EPS, size / POINTS_FLOOR, 0.0)
        sentence = partial(_points_sentence, label, comparison, delta)
        told.append(_Told(column, significance, sentence))
    return told


def _money_sentence(
    label: str, comparison: str, currency: str, now: np.ndarray, before: np.ndarray, i: int
) -> tuple[str, int]:
    delta = now[i] - before[i]
    word, sign = _direction(delta)
    if before[i] > 0:
        return f"{label} {word} {abs(delta) / before[i]:.0%} vs {comparison}", sign
    return f"{label} {word} {money(abs(delta), currency)} vs {comparison}", sign


def _money_changes(
    column: str,
    label: str,
    pairs: list[tuple[str, np.ndarray, np.ndarray]],
    floor: float,
    currency: str,
) -> list[_Told]:
    """Per ``(comparison, now, before)``: at least 20 % and ``floor``; a change from nothing
    needs ``floor`` alone and is told as an amount."""
    told = []
    for comparison, now, before in pairs:
        delta = np.nan_to_num(now - before)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(before > 0, np.abs(delta) / before, np.inf)
        big = (np.abs(delta) >= max(floor, _EPS)) & (share >= MONEY_SHARE_FLOOR - _EPS)
        significance = np.where(big, np.minimum(share / MONEY_SHARE_FLOOR, MAX_SIGNIFICANCE), 0)
        sentence = partial(_money_sentence, label, comparison, currency, now, before)
        told.append(_Told(column, significance, sentence))
    return told


def _ratio_changes(
    history: _History, column: str, floor: float, sentence: Callable[..., tuple[str, int]]
) -> list[_Told]:
    """Changes that must clear both 20 % and an absolute ``floor``; ``sentence(comparison,
    now, before, i)`` words them, lower-is-better included."""
    told = []
    for comparison, months in COMPARISONS:
        values = history.back(column, months)
        now, before = values[:, 0], values[:, months]
        delta = np.nan_to_num(now - before)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(before > 0, np.abs(delta) / before, 0.0)
        big = (np.abs(delta) >= floor - _EPS) & (share >= RATIO_FLOOR - _EPS)
        significance = np.where(big, np.minimum(share / RATIO_FLOOR, MAX_SIGNIFICANCE), 0.0)
        told.append(_Told(column, significance, partial(sentence, comparison, now, before)))
    return told


def _velocity(comparison: str, now: np.ndarray, before: np.ndarray, i: int) -> tuple[str, int]:
    delta = now[i] - before[i]
    pace, sign = ("faster", 1) if delta < 0 else ("slower", -1)
    return f"Deals closing {abs(delta):.0f} days {pace} vs {comparison}", sign


def _coverage(comparison: str, now: np.ndarray, before: np.ndarray, i: int) -> tuple[str, int]:
    word, sign = _direction(now[i] - before[i])
    return f"Pipeline coverage {word} to {now[i]:.1f}x from {before[i]:.1f}x {comparison}", sign


def _first_certified(count: np.ndarray, i: int) -> tuple[str, int]:
    if count[i] == 1:
        return "First certified engineer this month", 1
    return f"First {count[i]:.0f} certified engineers this month", 1


def _first_revenue(i: int) -> tuple[str, int]:
    return "First revenue this month", 1


def _milestones(history: _History) -> list[_Told]:
    certs = history.back("certifications", 1)
    first_certified = (certs[:, 1] == 0) & (certs[:, 0] >= 1)

    revenue = history.back("sourced_revenue", 1)
    first_known = history.back("time_to_first_revenue_days", 1)
    tenure = history.back("months_since_signed", 0)[:, 0]
    on_record = ~np.isnan(revenue[:, 1]) | (tenure < 1)  # last month seen, or signed since
    first_revenue = (
        on_record
        & ~history.ever_before("sourced_revenue")
        & np.isnan(first_known[:, 1])
        & (~np.isnan(first_known[:, 0]) | (revenue[:, 0] > 0))
    )
    return [
        _Told(
            "certifications", first_certified * MILESTONE, partial(_first_certified, certs[:, 0])
        ),
        _Told("sourced_revenue", first_revenue * MILESTONE, _first_revenue),
    ]


def _silence_sentence(months: np.ndarray, i: int) -> tuple[str, int]:
    span = "a year or more" if months[i] >= 12 else f"{months[i]:.0f} months"
    return f"No marketing activity for {span}", -1


def _marketing_silence(history: _History) -> _Told:
    trailing = history.back("marketing_activities", 12)  # each a count over three months
    quiet = trailing == 0
    tenure = history.back("months_since_signed", 0)[:, 0]
    long_enough = np.where(np.isnan(tenure), ~np.isnan(trailing[:, 2]), tenure >= 3)
    months = np.cumprod(quiet, axis=1).sum(axis=1) + 2.0
    months = np.where(np.isnan(tenure), months, np.minimum(months, tenure + 1))
    significance = (quiet[:, 0] & long_enough) * SILENCE
    return _Told("marketing_activities", significance, partial(_silence_sentence, months))


def _highlights(history: _History, program: Program) -> list[list[Highlight]]:
    """Up to ``MAX_HIGHLIGHTS`` per partner: the most significant first, one per metric; ties
    go to the kind listed first. Chosen in numpy, worded only once chosen."""
    revenue_thresholds = [t.min_revenue for t in program.tiers if t.min_revenue > 0]
    floor = min(revenue_thresholds) * MONEY_AMOUNT_SHARE if revenue_thresholds else 0.0
    currency = program.info.currency
    revenue = history.back("sourced_revenue", 5)
    quarter = history.back("sourced_revenue_3m", 3)
    whole = ~np.isnan(revenue).any(axis=1)  # both quarters fully on record
    revenue_pairs = [
        ("last month", revenue[:, 0], revenue[:, 1]),
        ("last quarter", np.where(whole, quarter[:, 0], np.nan), quarter[:, 3]),
    ]
    size = history.back("avg_deal_size", 3)
    size_pairs = [(comparison, size[:, 0], size[:, k]) for comparison, k in COMPARISONS]
    told = [
        *_milestones(history),
        *_point_changes(history, "score", "Score", 1.0),
        *_money_changes("sourced_revenue", "Sourced revenue", revenue_pairs, floor, currency),
        *_point_changes(history, "win_rate", "Win rate", 100.0),
        *_money_changes("avg_deal_size", "Average deal size", size_pairs, floor, currency),
        *_ratio_changes(history, "deal_velocity_days", VELOCITY_DAYS_FLOOR, _velocity),
        *_ratio_changes(history, "pipeline_coverage", COVERAGE_FLOOR, _coverage),
        _marketing_silence(history),
    ]
    significance = np.column_stack([t.significance for t in told]).astype(float)
    metrics = [t.metric for t in told]
    for metric in dict.fromkeys(metrics):  # keep each metric's strongest, zero the rest
        columns = np.array([j for j, m in enumerate(metrics) if m == metric])
        best = columns[np.argmax(significance[:, columns], axis=1)]
        keep = significance[np.arange(len(best)), best]
        significance[:, columns] = 0.0
        significance[np.arange(len(best)), best] = keep
    order = np.argsort(-significance, axis=1, kind="stable")[:, :MAX_HIGHLIGHTS]
    chosen = np.take_along_axis(significance, order, axis=1) > 0
    out: list[list[Highlight]] = []
    for i, (kinds, shown) in enumerate(zip(order.tolist(), chosen.tolist(), strict=True)):
        row = []
        for j, show in zip(kinds, shown, strict=True):
            if show:
                text, sign = told[j].sentence(i)
                row.append(Highlight(text, told[j].metric, sign))
        out.append(row)
    return out


def _python(values: np.ndarray) -> list[list[float | None]]:
    """Rows of Python floats, None for NaN: what a scorecard shows as "no value"."""
    cells = values.astype(object)
    cells[np.isnan(values)] = None
    return cells.tolist()


def scorecards(
    metrics: pd.DataFrame, partners: pd.DataFrame, program: Program, month: pd.Period
) -> dict[int, Scorecard]:
    """A scorecard for every partner with a row in ``month``, keyed by partner id."""
    month = pd.Period(month, freq="M")
    missing = sorted({"trailing_revenue_12m", "certifications"} - set(metrics.columns))
    if missing:
        raise ValueError(f"metrics lack columns: {', '.join(missing)}")
    frame, panel = _normalised(metrics)
    # Scores are needed this month, last month and three months ago only; peers are month by
    # month, so the other months can be left out.
    needed = np.isin(panel.month, [panel.position(month) - k for k in (0, 1, 3)])
    scored = _scored(frame, panel, partners, program, np.flatnonzero(needed))
    for column in ("score", "program_score"):
        frame[column] = np.nan
        frame.loc[needed, column] = scored[column].to_numpy()
    history = _History(frame, panel, month)
    rows = history.rows
    if not len(rows):
        return {}
    scored = scored.loc[frame.index[rows]]
    people = _attributes(partners, panel.partners, program).iloc[history.partner]
    highlights = _highlights(history, program)
    scores = _python(history.back("score", 3))
    shown = [
        c for c in frame.select_dtypes("number").columns if c not in ("score", "program_score")
    ]
    metric_columns = shown
    metric_values = _python(frame[metric_columns].iloc[rows].to_numpy(float))
    percentile_columns = [PERCENTILE_PREFIX + name for name in WEIGHTED_METRICS]
    percentiles = _python(np.round(scored[percentile_columns].to_numpy(float), 1))
    # tiers move on the program scores of the month and the two reviews before it (last month,
    # three months back), and on revenue now and three months back
    reviewed = history.back("program_score", 3)[:, [0, 1, 3]].tolist()
    revenue_12m = frame["trailing_revenue_12m"].iloc[rows].to_numpy(float).tolist()
    revenue_error = frame["revenue_12m_error"].iloc[rows].to_numpy(float).tolist()
    revenue_before = history.back("trailing_revenue_12m", 3)[:, 3].tolist()
    months_signed = history.back("months_since_signed", 0)[:, 0].tolist()
    certifications = frame["certifications"].iloc[rows].to_numpy(float).tolist()

    cards: dict[int, Scorecard] = {}
    for i, (pid, name, tier, peer_tier, region, group, peers) in enumerate(
        zip(
            people.index.tolist(),
            people["name"].tolist(),
            people["tier"].tolist(),
            people["peer_tier"].tolist(),
            people["region"].tolist(),
            scored["peer_group"].tolist(),
            scored["peers"].tolist(),
            strict=True,
        )
    ):
        score = scores[i][0]
        cards[pid] = Scorecard(
            partner_id=pid,
            name=name,
            tier=tier,
            region=region,
            month=month,
            score=score,
            score_previous_month=scores[i][1],
            score_previous_quarter=scores[i][3],
            peer_group=group,
            peers=peers,
            metrics=dict(zip(metric_columns, metric_values[i], strict=True)),
            percentiles=dict(zip(WEIGHTED_METRICS, percentiles[i], strict=True)),
            highlights=highlights[i],
            advice=tier_advice(
                peer_tier,
                Standing(
                    scores=tuple(reviewed[i]),
                    revenue_12m=revenue_12m[i],
                    certifications=certifications[i],
                    revenue_before=revenue_before[i],
                    revenue_error=revenue_error[i],
                    months_signed=months_signed[i],
                ),
                program,
            ),
        )
    return cards
