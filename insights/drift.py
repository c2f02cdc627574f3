"""Drift detection: which partners changed how they sell, in which metric, and since when.

Why it is built this way:

- **Counts, not z-scores.** Most partners are sparse (1-3 registrations a month, under one win):
  standardising month totals of 0, 1 or 2 throws the signal away. Each metric is a count stream
  (registrations, won deals, activities; revenue as won amount in units of the partner's typical
  deal) and a change is scored by a likelihood ratio: the recent window's share of the partner's
  events against the share its own baseline predicts. Conditioning on the partner's total (a
  binomial test) also prices in how little a sparse partner's baseline says.
- **Discounted by the peers.** The predicted share is not "as many as in the baseline" but "as
  many as the peer group (leave-one-out) did in the recent window relative to the baseline", so a
  program-wide dip, the season or a partially elapsed current month is not blamed on one partner.
- **Over-dispersion.** Monthly counts vary more than Poisson; each stream's dispersion is
  estimated from the program and divides the likelihood ratio (quasi-likelihood), so busy
  partners are not flagged for ordinary noise.
- **Combined evidence.** A partner that disengages shows it in activity and registrations
  first, survey scores when a survey falls due, and won deals and the win rate later (or at once,
  when it walks away from its open deals). The combined detector adds, at a common change point,
  the likelihood ratio of one shared drop factor on registrations and activity to the one-sided
  evidence of fewer wins, a lower win rate and lower satisfaction: it convicts sparse partners
  that no single stream does.
- **Scan over change points.** Every month start in the last ``scan_months`` (the partial current
  month included) is a candidate onset: a CUSUM-like scan with exact count likelihoods. The best
  candidate is ``since``. A quiet run since the last registration or win is one more candidate,
  at day resolution, so days without a deal count even before a month is over.
- **Unusual patterns** (a burst of registrations, an outsized deal) last a month, not a level:
  an IsolationForest on partner-month residuals against the same peer-discounted baseline flags
  them (metric ``pattern``).

Only events with ``date < as_of`` are read, and the grid, the peer index and the anomaly model's
sample are all functions of that history and ``config.seed``, so a run is reproducible and later
data cannot change it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.special import xlogy
from sklearn.ensemble import IsolationForest

COLUMNS = (
    "partner_id",
    "metric",
    "detector",
    "expected",
    "observed",
    "magnitude",
    "since",
    "score",
)
METRICS = ("revenue", "deals", "win_rate", "deal_size", "registrations", "activity", "pattern")

REG, WON, LOST, ACT, SAT = range(5)
COUNT_STREAMS = (REG, WON, LOST, ACT)
STREAM_KINDS: dict[str, int] = {
    "registered": REG,
    "won": WON,
    "lost": LOST,
    "certification": ACT,
    "training": ACT,
    "marketing": ACT,
    "satisfaction": SAT,
}
"""Event kind -> stream. Activities count events, not their ``amount`` (people trained,
spend): a partner that stops engaging stops having events, whatever their size."""
STREAM_METRIC = {REG: "registrations", WON: "deals", ACT: "activity"}
COMBINED = (REG, WON, ACT)
"""Count streams of the combined detector (lost deals enter only through the win rate: more of
them can mean more business as well as worse)."""
_TINY = 1e-12
DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class DriftConfig:
    """Thresholds and windows of :func:`detect_drift`. Scores of the count, win-rate and
    deal-size detectors are log-likelihood ratios (nats), so one ``threshold`` serves them all."""

    threshold: float = 7.5
    """Flag when the (dispersion-adjusted) log-likelihood ratio reaches this. Calibrated on
    synthetic programs so that about 5 % of stable partners are flagged per quarter."""
    baseline_months: int = 12
    """A full year before each candidate onset, so the baseline spans every season."""
    min_baseline_months: int = 6
    """A partner needs this much history before a candidate onset to be judged at it."""
    scan_months: int = 6
    """Candidate onsets: the starts of the last ``scan_months`` months."""
    history_months: int = 24
    """Months of history read (at most); the rest is ignored, which bounds time and memory."""
    rises: bool = True
    """Flag increases as well as decreases (growth is drift too)."""
    quiet_runs: bool = True
    """Also score the quiet run since each partner's last registration or win, at day
    resolution."""
    min_peer_partners: int = 20
    """Smaller peer groups are measured against the whole program instead."""
    min_peer_events: float = 30.0
    """Below this many peer events (leave-one-out) in the history, a partner's expected share
    follows the calendar instead of the peers."""
    min_closed: int = 3
    """Closed deals needed in each window to judge the win rate."""
    min_sized: int = 3
    """Registrations needed in each window to judge the deal size."""
    anomaly_rate: float = 0.002
    """Share of past partner-months the IsolationForest would call unusual: its threshold."""
    anomaly_months: int = 2
    """Months (the partial current one included) whose unusual patterns are still reported."""
    anomaly_sample: int = 20_000
    """Past partner-months the IsolationForest is fitted on (a seeded sample)."""
    anomaly_trees: int = 100
    anomaly_margin: float = 1.0
    """Feature units (about one standard deviation) beyond the sample's range that make a
    month unusual whatever the forest says."""
    shared_grid: int = 16
    """Values of the common drop factor tried by the combined detector."""
    seed: int = 0


# ----------------------------------------------------------------------------- month grid


@dataclass(frozen=True)
class MonthGrid:
    """Per-partner monthly totals of the ``history_months`` before ``as_of``. Month ``M - 1`` is
    the current one when ``as_of`` is mid-month (``exposure[-1] < 1``)."""

    partner_ids: np.ndarray
    start: pd.Timestamp
    """First day of month 0."""
    counts: np.ndarray
    """(5, P, M) events per stream (REG, WON, LOST, ACT, SAT)."""
    revenue: np.ndarray
    """(P, M) won amount."""
    revenue_sq: np.ndarray
    """(P, M) sum of squared won amounts (for the spread of deal sizes)."""
    log_amount: np.ndarray
    """(P, M) sum of log registered amounts."""
    log_amount_sq: np.ndarray
    max_amount: np.ndarray
    """(P, M) largest registered amount (0 without registrations)."""
    satisfaction: np.ndarray
    """(P, M) sum of survey scores."""
    satisfaction_sq: np.ndarray
    first: np.ndarray
    """(P,) month index of the partner's first event (negative: before the grid)."""
    last_event: np.ndarray
    """(P,) fractional month index (days / days in month) just after the partner's last
    registration or win; NaN without one."""
    exposure: np.ndarray
    """(M,) elapsed share of each month."""

    @property
    def months(self) -> int:
        return self.counts.shape[2]

    def month_start(self, index: np.ndarray) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(
            (np.datetime64(self.start, "M") + index.astype("timedelta64[M]")).astype(
                "datetime64[ns]"
            )
        )


def _month_number(values: np.ndarray) -> np.ndarray:
    return values.astype("datetime64[M]").astype(np.int64)


def _month_start_ns(months: np.ndarray) -> np.ndarray:
    """Nanosecond timestamps of the first of each month (months since 1970-01)."""
    return months.astype("datetime64[M]").astype("datetime64[ns]").astype(np.int64)


def build_grid(events: pd.DataFrame, as_of: pd.Timestamp, history_months: int) -> MonthGrid:
    """Bin the events before ``as_of`` into a partner × month grid with ``np.bincount`` (one
    pass per quantity, no groupby) and months found by binary search on the month boundaries:
    this is what keeps 100,000 partners within seconds."""
    cut = pd.Timestamp(as_of).to_datetime64().astype("datetime64[ns]").astype(np.int64)
    this_month = int(_month_number(np.array([cut], dtype="datetime64[ns]"))[0])
    partial = cut > _month_start_ns(np.array([this_month]))[0]
    m = history_months
    last_month = this_month if partial else this_month - 1
    # Starts of the grid's months, of the month after and of the one after that.
    bounds = _month_start_ns(np.arange(last_month - m + 1, last_month + 3))

    stamps = events["date"].to_numpy("datetime64[ns]").view(np.int64)
    kind_codes, kinds = pd.factorize(events["kind"])
    lookup = np.array([STREAM_KINDS.get(str(k), -1) for k in kinds] + [-1], dtype=np.int8)
    stream = lookup[kind_codes]
    del kind_codes
    keep = np.flatnonzero((stamps < cut) & (stream >= 0))
    pid_codes, pids = pd.factorize(events["partner_id"].to_numpy()[keep], sort=True)
    n = len(pids)
    stream, stamps = stream[keep], stamps[keep]
    amount = events["amount"].to_numpy(float)[keep]
    del keep
    month = np.searchsorted(bounds[: m + 1], stamps, side="right") - 1  # -1: before the grid

    first = np.full(n, m, dtype=np.int64)
    np.minimum.at(first, pid_codes, month)
    deal = stream <= WON
    last = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last, pid_codes[deal], stamps[deal] // DAY_NS * DAY_NS + DAY_NS)
    del stamps, deal
    at = np.searchsorted(bounds, last, side="right") - 1
    inside_bounds = (at >= 0) & (at < len(bounds) - 1)
    at = np.clip(at, 0, len(bounds) - 2)
    fraction = (last - bounds[at]) / (bounds[at + 1] - bounds[at])
    last_event = np.where(inside_bounds, at + fraction, np.nan)

    inside = month >= 0
    cell = (pid_codes * m + month)[inside]
    del pid_codes, month
    stream, amount = stream[inside], amount[inside]
    size = n * m
    counts = np.bincount(stream.astype(np.int64) * size + cell, minlength=SAT * size + size)
    won, reg, sat = stream == WON, stream == REG, stream == SAT
    log_amt = np.log(np.maximum(amount[reg], 1.0))
    max_amount = np.zeros(size)
    np.maximum.at(max_amount, cell[reg], amount[reg])

    def total(where: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return np.bincount(cell[where], weights, minlength=size).reshape(n, m)

    exposure = np.ones(m)
    exposure[-1] = min((cut - bounds[m - 1]) / (bounds[m] - bounds[m - 1]), 1.0)
    return MonthGrid(
        partner_ids=np.asarray(pids),
        start=pd.Timestamp(bounds[0]),
        counts=counts.reshape(SAT + 1, n, m).astype(float),
        revenue=total(won, amount[won]),
        revenue_sq=total(won, amount[won] ** 2),
        log_amount=total(reg, log_amt),
        log_amount_sq=total(reg, log_amt**2),
        max_amount=max_amount.reshape(n, m),
        satisfaction=total(sat, amount[sat]),
        satisfaction_sq=total(sat, amount[sat] ** 2),
        first=first,
        last_event=last_event,
        exposure=exposure,
    )


# ----------------------------------------------------------------------------- peer index


def _cumulative(x: np.ndarray) -> np.ndarray:
    """(..., M) -> (..., M + 1) running totals, so any window is a difference of two columns."""
    out = np.zeros((*x.shape[:-1], x.shape[-1] + 1))
    np.cumsum(x, axis=-1, out=out[..., 1:])
    return out


@dataclass(frozen=True)
class _Peers:
    reference: np.ndarray
    """(P,) row of the partner's reference pool: its peer group, or the whole program (last row)
    when the group is too small."""
    members: np.ndarray
    """(P,) peer-group code (small groups included), for the group totals."""
    groups: int


def _peers(grid: MonthGrid, peers: pd.Series | None, config: DriftConfig) -> _Peers:
    n = len(grid.partner_ids)
    if peers is None:
        members = np.zeros(n, dtype=np.int64)
    else:
        labels = peers.reindex(pd.Index(grid.partner_ids)).astype(object).fillna("(none)")
        members = pd.factorize(labels.to_numpy(), sort=True)[0].astype(np.int64)
    groups = int(members.max()) + 1 if n else 0
    size = np.bincount(members, minlength=groups)
    reference = np.where(size[members] >= config.min_peer_partners, members, groups)
    return _Peers(reference, members, groups)


def peer_index(x: np.ndarray, peers: _Peers, grid: MonthGrid, config: DriftConfig) -> np.ndarray:
    """(P, M) leave-one-out total of ``x`` over each partner's reference pool: what the
    partner's expected share follows. Where the pool is too thin it is replaced by the calendar
    (elapsed share of each month): only the ratio of windows matters."""
    m = x.shape[1]
    flat = (peers.members[:, None] * m + np.arange(m)).ravel()
    totals = np.bincount(flat, x.ravel(), minlength=peers.groups * m).reshape(peers.groups, m)
    totals = np.vstack([totals, x.sum(axis=0)])
    index = totals[peers.reference] - x
    thin = index.sum(axis=1) < config.min_peer_events
    index[thin] = grid.exposure
    return np.maximum(index, 0.0)


# ----------------------------------------------------------------------------- statistics


def binomial_llr(recent: np.ndarray, base: np.ndarray, p0: np.ndarray) -> np.ndarray:
    """Signed log-likelihood ratio of ``recent`` out of ``recent + base`` events against the
    share ``p0``: positive when the recent share is higher. Fractional counts are allowed
    (revenue in deal units)."""
    total = recent + base
    p0 = np.clip(p0, 1e-9, 1 - 1e-9)
    share = np.divide(recent, total, out=np.zeros_like(total), where=total > 0)
    llr = xlogy(recent, share / p0) + xlogy(base, (1 - share) / (1 - p0))
    return np.sign(share - p0) * np.maximum(llr, 0.0)


def _inverse_dispersion(x: np.ndarray, index: np.ndarray, active: np.ndarray) -> float:
    """1/κ of a negative-binomial count stream (variance μ + μ²/κ), by moments on each busy
    partner's months against its constant share of the peer index, then the median across
    partners: robust to the minority whose level really changed."""
    idx = index * active
    share = np.divide(x.sum(axis=1), idx.sum(axis=1), out=np.zeros(len(x)), where=idx.sum(1) > 0)
    mu = share[:, None] * idx
    months = active.sum(axis=1)
    busy = (months >= 6) & (x.sum(axis=1) >= 2.0 * months)
    if busy.sum() < 10:
        return 0.0
    excess = (((x - mu) ** 2 - x) * active)[busy].sum(axis=1)
    return max(float(np.median(excess / np.maximum((mu**2)[busy].sum(axis=1), _TINY))), 0.0)


# ----------------------------------------------------------------------------- detectors


@dataclass(frozen=True)
class _Candidate:
    """One detector's strongest change per partner (arrays of length P)."""

    metric: np.ndarray
    detector: str
    score: np.ndarray
    onset: np.ndarray
    """Fractional month index; ``since`` is its month."""
    expected: np.ndarray
    observed: np.ndarray


@dataclass(frozen=True)
class _Scan:
    """A detector's evidence per candidate onset (rows) and partner (columns)."""

    llr: np.ndarray
    """Signed: positive for a rise."""
    expected: np.ndarray
    observed: np.ndarray
    onset: np.ndarray

    def row(self, config: DriftConfig) -> np.ndarray:
        """Per partner, the candidate onset with the strongest evidence in a direction that
        counts (decreases only unless ``config.rises``)."""
        return np.argmax(self.directed(config), axis=0)

    def directed(self, config: DriftConfig) -> np.ndarray:
        return np.abs(self.llr) if config.rises else np.maximum(-self.llr, 0.0)

    def best(self, metric: str | np.ndarray, detector: str, config: DriftConfig) -> _Candidate:
        row = self.row(config)[None]

        def pick(values: np.ndarray) -> np.ndarray:
            return np.take_along_axis(values, row, 0)[0]

        return _Candidate(
            np.broadcast_to(np.asarray(metric), row.shape[1:])
            if np.ndim(metric) == 0
            else pick(np.asarray(metric)),
            detector,
            pick(self.directed(config)),
            pick(self.onset),
            pick(self.expected),
            pick(self.observed),
        )


def _onsets(grid: MonthGrid, config: DriftConfig) -> np.ndarray:
    """(K, P) candidate onsets as fractional month indices: the last ``scan_months`` month
    starts, plus (if ``quiet_runs``) the day after the last registration or win when that falls
    inside the scan window (NaN otherwise)."""
    m, n = grid.months, len(grid.partner_ids)
    first = max(m - config.scan_months, 0)
    months = np.repeat(np.arange(first, m, dtype=float)[:, None], n, axis=1)
    if not config.quiet_runs:
        return months
    quiet = np.where(grid.last_event >= first, grid.last_event, np.nan)
    return np.vstack([months, quiet[None, :]])


@dataclass(frozen=True)
class _Windows:
    """Totals of the recent window [onset, now) and of the baseline before it, per candidate
    onset (rows) and partner (columns), for each of several (P, M) arrays."""

    recent: np.ndarray
    """(A, K, P)."""
    base: np.ndarray
    months: np.ndarray
    """(K, P) length of the baseline in months."""
    judged: np.ndarray
    """(K, P) the partner has enough history before the onset to be judged at it."""


def _windows(
    grid: MonthGrid, config: DriftConfig, arrays: list[np.ndarray], onsets: np.ndarray
) -> _Windows:
    """Window totals by differences of running totals. Within the onset month (only quiet-run
    onsets fall mid-month) events are taken as spread evenly over its days."""
    stacked = np.stack(arrays)
    a, n, m = stacked.shape
    cum = _cumulative(stacked)
    rows = np.arange(n)
    recent, base = np.zeros((a, *onsets.shape)), np.zeros((a, *onsets.shape))
    months, judged = np.zeros(onsets.shape), np.zeros(onsets.shape, dtype=bool)
    for k, onset in enumerate(onsets):
        known = np.isfinite(onset)
        onset = np.where(known, onset, 0.0)
        whole = np.floor(onset).astype(np.int64)
        month = np.minimum(whole, m - 1)
        start = np.clip(np.maximum(whole - config.baseline_months, grid.first), 0, m)
        at = cum[:, rows, month] + (onset - whole) * stacked[:, rows, month]
        recent[:, k], base[:, k] = cum[:, :, m] - at, at - cum[:, rows, start]
        months[k] = onset - np.maximum(start, grid.first)
        judged[k] = known & (months[k] >= config.min_baseline_months) & (onset < m)
    return _Windows(recent, base, months, judged)


@dataclass(frozen=True)
class _CountScan:
    """One count stream's evidence: the binomial test's inputs and its signed, dispersion
    adjusted likelihood ratio, per candidate onset and partner."""

    recent: np.ndarray
    base: np.ndarray
    p0: np.ndarray
    phi: np.ndarray
    valid: np.ndarray
    scan: _Scan


def _count_scan(
    x: np.ndarray,
    index: np.ndarray,
    grid: MonthGrid,
    dispersion: Callable[[np.ndarray], np.ndarray],
    config: DriftConfig,
    onsets: np.ndarray,
) -> _CountScan:
    """Binomial likelihood ratio of the partner's events in [onset, now) against its baseline,
    the expected recent share following ``index``, divided by ``dispersion(rate per month)``."""
    w = _windows(grid, config, [x, index], onsets)
    (recent, i_recent), (base, i_base) = w.recent, w.base
    valid = w.judged & (i_base > 0) & (i_recent > 0)
    p0 = np.divide(i_recent, i_recent + i_base, out=np.zeros_like(i_base), where=valid)
    phi = dispersion(np.divide(base, w.months, out=np.zeros_like(base), where=valid))
    llr = np.where(valid, binomial_llr(recent, base, p0) / phi, 0.0)
    expected = np.divide(base * i_recent, i_base, out=np.zeros_like(base), where=valid)
    return _CountScan(recent, base, p0, phi, valid, _Scan(llr, expected, recent, onsets))


def _shared_drop(scans: list[_CountScan], config: DriftConfig) -> np.ndarray:
    """(K, P) likelihood ratio of one common factor ρ < 1 on the expected rates of all
    ``scans`` (a partner that disengages does less of everything), maximised over a grid of ρ:
    one free parameter instead of one per stream, so the evidence adds up without the noise."""

    def log_likelihood(rho: float) -> np.ndarray:
        total = np.zeros(scans[0].recent.shape)
        for s in scans:
            p0 = np.where(s.valid, s.p0, 0.5)
            p = rho * p0 / (rho * p0 + 1 - p0)
            total += np.where(s.valid, (xlogy(s.recent, p) + xlogy(s.base, 1 - p)) / s.phi, 0.0)
        return total

    null = log_likelihood(1.0)
    best = np.zeros_like(null)
    for rho in np.geomspace(0.02, 1.0, config.shared_grid, endpoint=False):
        np.maximum(best, log_likelihood(rho) - null, out=best)
    return best


def _win_rate_scan(grid: MonthGrid, config: DriftConfig, onsets: np.ndarray) -> _Scan:
    """G-test of won / (won + lost), recent window against baseline. Not peer discounted: a
    program-wide dip changes how many deals close, not which way they go."""
    w = _windows(grid, config, [grid.counts[WON], grid.counts[LOST]], onsets)
    closed_r, closed_b = w.recent.sum(axis=0), w.base.sum(axis=0)
    ok = w.judged & (closed_r >= config.min_closed) & (closed_b >= config.min_closed)
    wins, total = w.recent[0] + w.base[0], closed_r + closed_b
    g = (
        xlogy(w.recent, w.recent).sum(axis=0)
        + xlogy(w.base, w.base).sum(axis=0)
        - xlogy(closed_r, closed_r)
        - xlogy(closed_b, closed_b)
        - xlogy(wins, wins)
        - xlogy(total - wins, total - wins)
        + xlogy(total, total)
    )
    rate_r = np.divide(w.recent[0], closed_r, out=np.zeros_like(closed_r), where=ok)
    rate_b = np.divide(w.base[0], closed_b, out=np.zeros_like(closed_b), where=ok)
    llr = np.where(ok, np.sign(rate_r - rate_b) * np.maximum(g, 0.0), 0.0)
    return _Scan(llr, rate_b, rate_r, onsets)


def _mean_shift(
    w: _Windows, variance: float, minimum: int, shift: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gaussian likelihood ratio (signed) of the recent mean against the baseline mean plus
    ``shift``; ``w`` holds (count, sum) windows. Returns (llr, expected mean, observed mean)."""
    (n_r, sum_r), (n_b, sum_b) = w.recent[:2], w.base[:2]
    ok = w.judged & (n_r >= minimum) & (n_b >= minimum)
    shift = np.zeros_like(n_r) if shift is None else shift
    mean_r = np.divide(sum_r, n_r, out=np.zeros_like(n_r), where=ok)
    mean_b = np.divide(sum_b, n_b, out=np.zeros_like(n_b), where=ok) + shift
    var = variance * (
        np.divide(1.0, n_r, out=np.ones_like(n_r), where=ok)
        + np.divide(1.0, n_b, out=np.ones_like(n_b), where=ok)
    )
    diff = mean_r - mean_b
    return np.where(ok, np.sign(diff) * diff**2 / (2 * var), 0.0), mean_b, mean_r


def _deal_size_scan(
    grid: MonthGrid, peers: _Peers, reg_index: np.ndarray, config: DriftConfig, onsets: np.ndarray
) -> _Scan:
    """Mean log registered amount, recent against baseline, discounted by the same shift in the
    peer group (leave-one-out), with the program's pooled within-partner variance.
    ``expected``/``observed`` are geometric-mean deal sizes."""
    peer_logs = peer_index(grid.log_amount, peers, grid, config)
    w = _windows(grid, config, [grid.counts[REG], grid.log_amount, reg_index, peer_logs], onsets)
    ok = (w.recent[2] > 0) & (w.base[2] > 0)
    shift = np.divide(w.recent[3], w.recent[2], out=np.zeros_like(w.recent[2]), where=ok)
    shift -= np.divide(w.base[3], w.base[2], out=np.zeros_like(w.base[2]), where=ok)
    variance = _pooled_variance(grid.counts[REG], grid.log_amount, grid.log_amount_sq)
    llr, expected, observed = _mean_shift(w, variance, config.min_sized, shift)
    return _Scan(llr, np.exp(expected), np.exp(observed), onsets)


def _satisfaction_drop(grid: MonthGrid, config: DriftConfig, onsets: np.ndarray) -> np.ndarray:
    """(K, P) evidence that survey scores fell: recent mean against the partner's own baseline,
    decreases only. Surveys are quarterly, so this only ever adds to other evidence."""
    w = _windows(grid, config, [grid.counts[SAT], grid.satisfaction], onsets)
    variance = _pooled_variance(grid.counts[SAT], grid.satisfaction, grid.satisfaction_sq)
    llr = _mean_shift(w, variance, 1)[0]
    return np.maximum(-llr, 0.0)


def _pooled_variance(count: np.ndarray, total: np.ndarray, squares: np.ndarray) -> float:
    """Median within-partner variance of a measurement (1 without enough data)."""
    n = count.sum(axis=1)
    enough = n >= 4
    if not enough.any():
        return 1.0
    mean = total.sum(axis=1)[enough] / n[enough]
    second = squares.sum(axis=1)[enough] / n[enough]
    return max(float(np.median(second - mean**2)), 1e-3)


def _deal_cv2(grid: MonthGrid) -> tuple[np.ndarray, float]:
    """Each partner's mean won deal (1 without wins, or with wins of no amount) and the
    program's median squared coefficient of variation of won deal sizes."""
    wins = grid.counts[WON].sum(axis=1)
    revenue = grid.revenue.sum(axis=1)
    unit = np.divide(revenue, wins, out=np.ones(len(wins)), where=(wins > 0) & (revenue > 0))
    enough = (wins >= 5) & (revenue > 0)
    if not enough.any():
        return unit, 1.0
    second = grid.revenue_sq.sum(axis=1)[enough] / wins[enough]
    return unit, max(float(np.median(second / unit[enough] ** 2 - 1)), 0.0)


@dataclass(frozen=True)
class _Counts:
    """What the count detectors share with the anomaly features."""

    index: list[np.ndarray]
    """Per count stream, (P, M) peer index."""
    inv_kappa: list[float]
    """Per count stream, 1/κ of its negative-binomial dispersion."""


def _candidates(
    grid: MonthGrid, peers: _Peers, config: DriftConfig
) -> tuple[list[_Candidate], _Counts]:
    """Every metric's own detector, and the combined evidence of a decline (or rise)."""
    onsets = _onsets(grid, config)
    active = np.arange(grid.months)[None, :] >= grid.first[:, None]
    index = [peer_index(grid.counts[s], peers, grid, config) for s in COUNT_STREAMS]
    kappa = [_inverse_dispersion(grid.counts[s], index[s], active) for s in COUNT_STREAMS]
    scans = {
        s: _count_scan(
            grid.counts[s], index[s], grid, lambda r, s=s: 1.0 + r * kappa[s], config, onsets
        )
        for s in COMBINED
    }
    win_rate = _win_rate_scan(grid, config, onsets)
    out = [c.scan.best(STREAM_METRIC[s], "count_lr", config) for s, c in scans.items()]
    out.append(win_rate.best("win_rate", "g_test", config))
    out.append(
        _deal_size_scan(grid, peers, index[REG], config, onsets).best("deal_size", "t_test", config)
    )
    out.append(_revenue_candidate(grid, index[WON], kappa[WON], config, onsets))

    # Combined: the shared drop of registrations and activity, plus the one-sided drops of won
    # deals (they lag), the win rate and satisfaction.
    stacked = np.stack([scans[s].scan.llr for s in COMBINED])  # (S, K, P)
    down = (
        _shared_drop([scans[REG], scans[ACT]], config)
        + np.maximum(-scans[WON].scan.llr, 0.0)
        + np.maximum(-win_rate.llr, 0.0)
        + _satisfaction_drop(grid, config, onsets)
    )
    up = np.maximum(stacked, 0.0).sum(axis=0) if config.rises else np.zeros_like(down)
    rising = up > down
    lead = np.argmax(np.where(rising, stacked, -stacked), axis=0)  # the stream that moved most

    def lead_of(values: np.ndarray) -> np.ndarray:
        return np.take_along_axis(values, lead[None], 0)[0]

    combined = _Scan(
        np.where(rising, up, -down),
        lead_of(np.stack([scans[s].scan.expected for s in COMBINED])),
        lead_of(np.stack([scans[s].scan.observed for s in COMBINED])),
        onsets,
    )
    names = np.array([STREAM_METRIC[s] for s in COMBINED])
    out.append(combined.best(names[lead], "combined_lr", config))
    return out, _Counts(index, kappa)


def _revenue_candidate(
    grid: MonthGrid,
    won_index: np.ndarray,
    inv_kappa: float,
    config: DriftConfig,
    onsets: np.ndarray,
) -> _Candidate:
    """Won revenue in units of the partner's mean won deal, scanned like a count stream with the
    won-deal peer index (a dip is in how many deals close, not how big they are) and each deal's
    variance inflated by the spread of deal sizes."""
    unit, cv2 = _deal_cv2(grid)
    best = _count_scan(
        grid.revenue / unit[:, None],
        won_index,
        grid,
        lambda r: (1.0 + cv2) * (1.0 + r * inv_kappa),
        config,
        onsets,
    ).scan.best("revenue", "count_lr", config)
    return replace(best, expected=best.expected * unit, observed=best.observed * unit)


# ----------------------------------------------------------------------------- anomalies

ANOMALY_FEATURES = ("registrations", "deals", "lost", "activity", "largest_deal")


def anomaly_features(
    grid: MonthGrid, counts: _Counts, config: DriftConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(features (P, M, F), judged (P, M), expected (P, M, F), observed (P, M, F)) per
    partner-month: each count stream's residual against the partner's peer-discounted
    trailing baseline, scaled by its negative-binomial spread, and the month's largest
    registered deal in standard deviations of the partner's log deal size. Residuals, not
    levels, so a platinum partner's ordinary month is as ordinary as a registered one's."""
    n, m = grid.counts.shape[1:]
    months = np.arange(m)[None, :]
    start = np.clip(np.maximum(months - config.baseline_months, grid.first[:, None]), 0, m)
    span = months - np.maximum(start, grid.first[:, None])
    judged = span >= config.min_baseline_months
    ends = np.broadcast_to(months, (n, m))

    def trailing(x: np.ndarray) -> np.ndarray:
        cum = _cumulative(x)
        return np.take_along_axis(cum, ends, 1) - np.take_along_axis(cum, start, 1)

    features, expected, observed = (np.zeros((n, m, len(ANOMALY_FEATURES))) for _ in range(3))
    for s in COUNT_STREAMS:
        x, index = grid.counts[s], counts.index[s]
        i_base = trailing(index)
        mu = np.divide(trailing(x) * index, i_base, out=np.zeros((n, m)), where=i_base > 0)
        judged &= i_base > 0
        spread = np.sqrt(mu * (1.0 + mu * counts.inv_kappa[s]) + 0.5)
        features[..., s], expected[..., s], observed[..., s] = (x - mu) / spread, mu, x
    base_n = trailing(grid.counts[REG])
    sized = (base_n >= config.min_sized) & (grid.max_amount > 0)
    typical = np.divide(trailing(grid.log_amount), base_n, out=np.zeros((n, m)), where=sized)
    largest = np.log(np.maximum(grid.max_amount, 1.0))
    spread = np.sqrt(_pooled_variance(grid.counts[REG], grid.log_amount, grid.log_amount_sq))
    features[..., 4] = np.where(sized, (largest - typical) / spread, 0.0)
    expected[..., 4], observed[..., 4] = np.where(sized, np.exp(typical), 0), grid.max_amount
    return features, judged, expected, observed


def _anomalies(grid: MonthGrid, counts: _Counts, config: DriftConfig) -> pd.DataFrame:
    """IsolationForest fitted on a seeded sample of past partner-months; months of the last
    ``anomaly_months`` are flagged when they score above the ``1 - anomaly_rate`` quantile of
    that sample, or lie more than ``anomaly_margin`` above its range in some feature. The
    second rule is there because a forest cannot rank points outside the data it was grown on
    (every split falls inside the sample's range), so a burst far beyond any past month scores
    no higher than the sample's own extremes. The row reports the feature that deviates most."""
    features, judged, expected, observed = anomaly_features(grid, counts, config)
    m = grid.months
    recent_from = m - config.anomaly_months
    past = np.flatnonzero((judged & (np.arange(m)[None, :] < recent_from)).ravel())
    if len(past) < 50:
        return empty_flags()
    rng = np.random.default_rng(config.seed)
    sample = np.sort(rng.choice(past, size=min(config.anomaly_sample, len(past)), replace=False))
    train = features.reshape(-1, features.shape[2])[sample]
    forest = IsolationForest(n_estimators=config.anomaly_trees, random_state=config.seed)
    forest.fit(train)
    cut = np.quantile(-forest.score_samples(train), 1 - config.anomaly_rate)

    rows, months = np.nonzero(judged[:, recent_from:])
    months += recent_from
    recent = features[rows, months]
    score = -forest.score_samples(recent) if len(rows) else np.zeros(0)
    beyond = recent > train.max(axis=0) + config.anomaly_margin
    hit = (score >= cut) | beyond.any(axis=1)
    rows, months, score = rows[hit], months[hit], score[hit]
    order = np.lexsort((-score, rows))  # each partner's strongest month first
    first = order[np.r_[True, rows[order][1:] != rows[order][:-1]]] if len(order) else order
    rows, months, score = rows[first], months[first], score[first]
    which = np.argmax(np.abs(features[rows, months]), axis=1)
    return flag_frame(
        grid,
        rows,
        np.full(len(rows), "pattern"),
        "isolation_forest",
        expected[rows, months, which],
        observed[rows, months, which],
        months.astype(float),
        score,
    )


# ----------------------------------------------------------------------------- output


def empty_flags() -> pd.DataFrame:
    """No flags, with the columns and dtypes of a non-empty result."""
    return pd.DataFrame(
        {
            "partner_id": pd.Series(dtype=np.int64),
            "metric": pd.Series(dtype=object),
            "detector": pd.Series(dtype=object),
            "expected": pd.Series(dtype=float),
            "observed": pd.Series(dtype=float),
            "magnitude": pd.Series(dtype=float),
            "since": pd.Series(dtype="datetime64[ns]"),
            "score": pd.Series(dtype=float),
        }
    )


def flag_frame(
    grid: MonthGrid,
    rows: np.ndarray,
    metric: np.ndarray,
    detector: str,
    expected: np.ndarray,
    observed: np.ndarray,
    onset: np.ndarray,
    score: np.ndarray,
) -> pd.DataFrame:
    """Flags of the partners at grid ``rows`` in the output format (shared by the reference
    detectors); ``onset`` is a fractional month index of the grid."""
    magnitude = np.divide(
        observed - expected, expected, out=np.full(len(rows), np.nan), where=expected > 0
    )
    return pd.DataFrame(
        {
            "partner_id": grid.partner_ids[rows],
            "metric": metric,
            "detector": detector,
            "expected": expected,
            "observed": observed,
            "magnitude": magnitude,
            "since": grid.month_start(np.floor(onset).astype(np.int64)),
            "score": score,
        }
    )


def _flags(grid: MonthGrid, candidate: _Candidate, threshold: float) -> pd.DataFrame:
    rows = np.flatnonzero((candidate.score >= threshold) & (candidate.score > 0))
    return flag_frame(
        grid,
        rows,
        candidate.metric[rows],
        candidate.detector,
        candidate.expected[rows],
        candidate.observed[rows],
        candidate.onset[rows],
        candidate.score[rows],
    )


def detect_drift(
    events: pd.DataFrame,
    as_of: pd.Timestamp,
    peers: pd.Series | None = None,
    config: DriftConfig = DriftConfig(),
) -> pd.DataFrame:
    """Flags active as of ``as_of``: one row per partner and metric whose recent level differs
    from its own peer-discounted baseline (``score >= config.threshold``), plus ``pattern`` rows
    for unusual partner-months. Columns :data:`COLUMNS`; ``expected`` and ``observed`` are
    totals over the recent window [since, as_of) in the metric's units (count, USD, a rate, a
    geometric-mean deal size; for ``pattern`` the most deviant feature of the month),
    ``magnitude`` is ``observed / expected - 1`` (NaN when nothing was expected) and ``score``
    the evidence (log-likelihood ratio; IsolationForest score for ``pattern``). Only events with
    ``date < as_of`` are read. Sorted by partner and metric."""
    as_of = pd.Timestamp(as_of)
    if events.empty:
        return empty_flags()
    grid = build_grid(events, as_of, config.history_months)
    if not len(grid.partner_ids):
        return empty_flags()
    groups = _peers(grid, peers, config)
    candidates, counts = _candidates(grid, groups, config)
    frames = [_flags(grid, c, config.threshold) for c in candidates]
    frames.append(_anomalies(grid, counts, config))
    out = pd.concat([f for f in frames if len(f)] or [empty_flags()], ignore_index=True)
    out = out.sort_values(["partner_id", "metric", "score"], ascending=[True, True, False])
    out = out.drop_duplicates(["partner_id", "metric"]).reset_index(drop=True)
    return out.loc[:, list(COLUMNS)]
