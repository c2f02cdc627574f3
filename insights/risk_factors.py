"""Why a partner looks at risk, in the words a partner manager uses.

Why rules and not the model's coefficients: the at-risk model scores on purchase-process
features (the probability of silence over the horizon) that are accurate but say nothing a
manager can act on. The reasons are measured directly instead — each against the partner's own
rhythm or its peer group, so "no won deal in 94 days" only counts when the partner usually wins
every 21 — and ranked by how far from normal they are. A severity of 1 means "clearly unusual"
(half the usual volume, twice the usual silence, 15 points of win rate below peers); smaller
deviations are not reasons. Everything is vectorised over partners.

Every sentence is true as written and recomputable from the events: a window is named by its
length in days ("in the last 90 days", "in the last 180 days") and "usually" is the partner's
own rate over the history it has — at most the 270 days before the last 90, and at least one
full 90-day period, or the reason does not apply. A reason always compares; a partner with
nothing noticeably worse than its own normal or its peers' gets no reason at all (and so no
at-risk alert: :func:`insights.alert_rules.findings`), never a bare count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from insights.metric_display import format_metric
from insights.program_events import LOST, REGISTERED, WON

DAY = pd.Timedelta(days=1)
QUARTER_DAYS = 90
BASELINE_QUARTERS = 3  # the usual level: at most the three 90-day periods before the last one
TOP = 3
MIN_SEVERITY = 1.0
"""A reason this far from normal is listed."""
NOTICEABLE = 0.5
"""When no reason is that far, the most unusual one at least this far (about 30 % below the
partner's normal in volume terms) stands alone: an at-risk partner gets its clearest why."""


@dataclass(frozen=True)
class Reason:
    """One candidate reason: a severity per partner (NaN where it does not apply) and the
    sentence for one partner."""

    severity: pd.Series
    sentence: Callable[[int], str]
    """The sentence for the partner at a row position of ``partners``."""


def _counts(
    events: pd.DataFrame, partners: pd.Index, start: pd.Timestamp, end: pd.Timestamp, kinds: tuple
) -> tuple[pd.Series, pd.Series]:
    """Number and total amount of ``kinds`` events per partner in ``[start, end)``."""
    window = events.loc[
        (events["date"] >= start) & (events["date"] < end) & events["kind"].isin(kinds)
    ]
    grouped = window.groupby("partner_id", observed=True)["amount"]
    return (
        grouped.size().reindex(partners, fill_value=0).astype(float),
        grouped.sum().round(2).reindex(partners, fill_value=0.0),  # cents, however summed
    )


def _peer_median(values: pd.Series, peers: pd.Series) -> pd.Series:
    """Each partner's peer-group median of ``values`` (NaN values ignored), falling back to the
    whole program where a group has fewer than 5 values."""
    groups = peers.reindex(values.index).fillna("")
    by_group = values.groupby(groups).transform("median")
    sizes = values.notna().groupby(groups).transform("sum")
    return by_group.where(sizes >= 5, values.median())


def reasons(
    events: pd.DataFrame,
    as_of: pd.Timestamp,
    partners: pd.Index,
    features: pd.DataFrame,
    peers: pd.Series | None,
    currency: str,
) -> dict[str, Reason]:
    """Every candidate reason for ``partners`` as of ``as_of``. ``features`` is the scoring
    snapshot of :func:`insights.risk_features.risk_features` (recency and gaps between won
    deals); ``events`` may hold anything — only events before ``as_of`` are read."""
    as_of = pd.Timestamp(as_of)
    events = events.loc[events["date"] < as_of]
    peers = peers if peers is not None else pd.Series("all", index=partners)
    recent = as_of - QUARTER_DAYS * DAY
    base_start = recent - BASELINE_QUARTERS * QUARTER_DAYS * DAY
    half_year = as_of - 2 * QUARTER_DAYS * DAY
    f = features.reindex(partners)

    # the history each partner has before the last 90 days, up to the full baseline: a partner
    # younger than that is measured against the time it has, not divided by three quarters
    first_seen = events.groupby("partner_id", observed=True)["date"].min().reindex(partners)
    history = ((recent - first_seen) / DAY).clip(lower=0, upper=BASELINE_QUARTERS * QUARTER_DAYS)
    periods = (history / QUARTER_DAYS).where(history >= QUARTER_DAYS)  # NaN: no full period

    def per_quarter(kinds: tuple) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
        """Count and amount in the last 90 days, and per 90 days of the partner's baseline."""
        n_now, amount_now = _counts(events, partners, recent, as_of, kinds)
        n_base, amount_base = _counts(events, partners, base_start, recent, kinds)
        return n_now, amount_now, n_base / periods, amount_base / periods

    out: dict[str, Reason] = {}

    def at(values: pd.Series) -> np.ndarray:
        """Values by row position: sentences are written for thousands of partners a night,
        and a positional array lookup is a hundred times cheaper than a Series label one."""
        return values.reindex(partners).to_numpy()

    recency, usual_gap = f["recency_days"], f["gap_median"]
    rhythm = usual_gap.where(f["repeat_occasions"] >= 2)
    silence = np.log2(recency / rhythm).where((recency >= 30) & (rhythm > 0))
    days, every = at(recency), at(rhythm)
    out["silence"] = Reason(
        silence, lambda i: f"no won deal in {days[i]:.0f} days, usually every {every[i]:.0f}"
    )

    regs_now, _, regs_usual, _ = per_quarter((REGISTERED,))
    regs, regs_then = at(regs_now), at(regs_usual)
    out["registrations"] = Reason(
        np.log2((regs_usual + 1) / (regs_now + 1)).where(regs_usual >= 2),
        lambda i: (
            f"{_count(regs[i], 'deal registration')} in the last 90 days, "
            f"usually {_rate(regs_then[i])} per 90 days"
        ),
    )

    _, won_now, wins_usual, won_usual = per_quarter((WON,))
    floor = won_usual / 4  # nothing won is "4× down", so a silence measured in days can outrank it
    won, won_then = at(won_now), at(won_usual)
    out["revenue"] = Reason(
        np.log2(won_usual / np.maximum(won_now, floor)).where(
            (won_usual > 0) & (wins_usual * periods >= 2)
        ),
        lambda i: (
            f"won {format_metric(won[i], 'money', currency)} in the last 90 days, "
            f"usually {format_metric(won_then[i], 'money', currency)} per 90 days"
        ),
    )

    # Peer medians are taken over every partner with history, not only the ones explained.
    everyone = partners.union(pd.Index(events["partner_id"].unique()))
    won_6m, _ = _counts(events, everyone, half_year, as_of, (WON,))
    lost_6m, _ = _counts(events, everyone, half_year, as_of, (LOST,))
    closed = won_6m + lost_6m
    win_rate = (won_6m / closed).where(closed >= 4)
    peer_rate = _peer_median(win_rate, peers)
    rate, rate_peers = at(win_rate), at(peer_rate)
    out["win_rate"] = Reason(
        (peer_rate - win_rate) / 0.15,
        lambda i: (
            f"win rate {rate[i]:.0%} vs {rate_peers[i]:.0%} peer median (deals closed in the "
            "last 180 days)"
        ),
    )

    earlier = half_year - 4 * QUARTER_DAYS * DAY
    wins_before, won_before = _counts(events, partners, earlier, half_year, (WON,))
    wins_6m, won_6m_amount = _counts(events, partners, half_year, as_of, (WON,))
    size_now = (won_6m_amount / wins_6m).where(wins_6m >= 2)
    size_before = (won_before / wins_before).where(wins_before >= 2)
    size, size_then = at(size_now), at(size_before)
    out["deal_size"] = Reason(
        np.log2(size_before / size_now),
        lambda i: (
            f"average won deal {format_metric(size[i], 'money', currency)} in the last 180 "
            f"days, down from {format_metric(size_then[i], 'money', currency)} in the 360 "
            "days before"
        ),
    )

    acts_now, _, acts_usual, _ = per_quarter(("marketing", "training"))
    acts, acts_then = at(acts_now), at(acts_usual)
    out["engagement"] = Reason(
        np.log2((acts_usual + 1) / (acts_now + 1)).where(acts_usual >= 2),
        lambda i: (
            f"{_count(acts[i], 'marketing or training event')} in the last 90 days, "
            f"usually {_rate(acts_then[i])} per 90 days"
        ),
    )

    surveys = events.loc[(events["kind"] == "satisfaction") & (events["date"] >= half_year)]
    latest = surveys.groupby("partner_id", observed=True)["amount"].last().reindex(everyone)
    peer_satisfaction = _peer_median(latest, peers)
    score, score_peers = at(latest), at(peer_satisfaction)
    out["satisfaction"] = Reason(
        (peer_satisfaction - latest) / 1.5,
        lambda i: (
            f"satisfaction {score[i]:.1f}/10 in the latest survey of the last 180 days vs "
            f"{score_peers[i]:.1f} peer median"
        ),
    )
    return out


def _count(n: float, noun: str) -> str:
    if n == 0:
        return f"no {noun}s"
    return f"{n:.0f} {noun}" + ("" if n == 1 else "s")


def _rate(n: float) -> str:
    """A usual count per period, to one decimal below 10 ("1.3"), whole above ("14")."""
    return f"{n:.1f}".removesuffix(".0") if n < 10 else f"{n:.0f}"


def top_factors(
    events: pd.DataFrame,
    as_of: pd.Timestamp,
    partners: pd.Index,
    features: pd.DataFrame,
    peers: pd.Series | None,
    currency: str,
    *,
    top: int = TOP,
) -> pd.Series:
    """The ``top`` strongest reasons per partner, most severe first, as plain-language
    sentences (a list per partner). When no reason is clearly unusual, the most unusual
    noticeable one stands alone; a partner with none gets an empty list."""
    with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 is "does not apply": NaN
        candidates = reasons(events, as_of, partners, features, peers, currency)
    names = list(candidates)
    severity = np.column_stack(
        [candidates[n].severity.reindex(partners).to_numpy(float) for n in names]
    )
    severity = np.where(severity >= NOTICEABLE, severity, np.nan)
    order = np.argsort(-np.nan_to_num(severity, nan=-np.inf), axis=1, kind="stable")[:, :top]
    out = []
    for row in range(len(partners)):
        ranked = [k for k in order[row] if not np.isnan(severity[row, k])]
        clear = [k for k in ranked if severity[row, k] >= MIN_SEVERITY]
        out.append([candidates[names[k]].sentence(row) for k in clear or ranked[:1]])
    return pd.Series(out, index=partners, name="top_factors", dtype=object)
