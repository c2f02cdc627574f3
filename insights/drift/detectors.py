"""Change detectors: per metric and combined, each scanned over candidate onsets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from scipy.special import xlogy

from insights.drift.config import DriftConfig
from insights.drift.grid import MonthGrid, cumulative
from insights.drift.peers import Peers, peer_index
from insights.drift.statistics import binomial_llr, inverse_dispersion, pooled_variance
from insights.drift.streams import ACT, COMBINED, COUNT_STREAMS, LOST, REG, SAT, STREAM_METRIC, WON


@dataclass(frozen=True)
class Candidate:
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

    def best(self, metric: str | np.ndarray, detector: str, config: DriftConfig) -> Candidate:
        row = self.row(config)[None]

        def pick(values: np.ndarray) -> np.ndarray:
            return np.take_along_axis(values, row, 0)[0]

        return Candidate(
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
    cum = cumulative(stacked)
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
    grid: MonthGrid, peers: Peers, reg_index: np.ndarray, config: DriftConfig, onsets: np.ndarray
) -> _Scan:
    """Mean log registered amount, recent against baseline, discounted by the same shift in the
    peer group (leave-one-out), with the program's pooled within-partner variance.
    ``expected``/``observed`` are geometric-mean deal sizes."""
    peer_logs = peer_index(grid.log_amount, peers, grid, config)
    w = _windows(grid, config, [grid.counts[REG], grid.log_amount, reg_index, peer_logs], onsets)
    ok = (w.recent[2] > 0) & (w.base[2] > 0)
    shift = np.divide(w.recent[3], w.recent[2], out=np.zeros_like(w.recent[2]), where=ok)
    shift -= np.divide(w.base[3], w.base[2], out=np.zeros_like(w.base[2]), where=ok)
    variance = pooled_variance(grid.counts[REG], grid.log_amount, grid.log_amount_sq)
    llr, expected, observed = _mean_shift(w, variance, config.min_sized, shift)
    return _Scan(llr, np.exp(expected), np.exp(observed), onsets)


def _satisfaction_drop(grid: MonthGrid, config: DriftConfig, onsets: np.ndarray) -> np.ndarray:
    """(K, P) evidence that survey scores fell: recent mean against the partner's own baseline,
    decreases only. Surveys are quarterly, so this only ever adds to other evidence."""
    w = _windows(grid, config, [grid.counts[SAT], grid.satisfaction], onsets)
    variance = pooled_variance(grid.counts[SAT], grid.satisfaction, grid.satisfaction_sq)
    llr = _mean_shift(w, variance, 1)[0]
    return np.maximum(-llr, 0.0)


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
class Counts:
    """What the count detectors share with the anomaly features."""

    index: list[np.ndarray]
    """Per count stream, (P, M) peer index."""
    inv_kappa: list[float]
    """Per count stream, 1/κ of its negative-binomial dispersion."""


def change_candidates(
    grid: MonthGrid, peers: Peers, config: DriftConfig
) -> tuple[list[Candidate], Counts]:
    """Every metric's own detector, and the combined evidence of a decline (or rise)."""
    onsets = _onsets(grid, config)
    active = np.arange(grid.months)[None, :] >= grid.first[:, None]
    index = [peer_index(grid.counts[s], peers, grid, config) for s in COUNT_STREAMS]
    kappa = [inverse_dispersion(grid.counts[s], index[s], active) for s in COUNT_STREAMS]
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
    return out, Counts(index, kappa)


def _revenue_candidate(
    grid: MonthGrid,
    won_index: np.ndarray,
    inv_kappa: float,
    config: DriftConfig,
    onsets: np.ndarray,
) -> Candidate:
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
