"""Two simple drift detectors that :func:`insights.drift.detect.detect_drift` has to beat, run on
the same events frame and returning the same columns, so a benchmark can treat all three alike.

Both look at monthly *registration* counts (a sparse partner registers 1-3 deals a month but wins
well under one, so registrations are the stronger of the two simple signals) over complete
months only: ``as_of`` is rounded down to the first of its month. Both flag decreases only.

- :func:`poisson_reference`: the last two months' count against the partner's trailing-year rate
  scaled by the program-wide trend, one-sided lower-tail Poisson p-value.
- :func:`cusum_reference`: a lower CUSUM of the partner's monthly counts, standardised by its
  trailing-year mean and spread, over the last ``window`` months.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import poisson

from insights.drift.flags import empty_flags, flag_frame
from insights.drift.grid import MonthGrid, build_grid
from insights.drift.streams import REG, STREAM_KINDS

BASELINE_MONTHS = 12
MIN_BASELINE_MONTHS = 6


def _monthly(
    events: pd.DataFrame, as_of: pd.Timestamp, kind: str, months: int
) -> tuple[MonthGrid, np.ndarray]:
    """The grid of complete months before ``as_of`` and its (P, M) counts of ``kind``."""
    month_start = pd.Timestamp(as_of).to_period("M").start_time
    grid = build_grid(events, month_start, months)
    return grid, grid.counts[STREAM_KINDS.get(kind, REG)]


def poisson_reference(
    events: pd.DataFrame, as_of: pd.Timestamp, alpha: float = 0.01, kind: str = "registered"
) -> pd.DataFrame:
    """Flag partners whose last two months' count has a lower-tail Poisson p-value ≤ ``alpha``
    against ``2 × trailing-year monthly rate × program trend``, where the trend is the program's
    last-two-months total over its trailing-year rate (so a program-wide dip is discounted).
    ``score`` is ``-log10 p``."""
    if events.empty:
        return empty_flags()
    grid, x = _monthly(events, as_of, kind, BASELINE_MONTHS + 2)
    if not len(x):
        return empty_flags()
    m = x.shape[1]
    tenure = np.clip(m - 2 - np.maximum(grid.first, 0), 0, BASELINE_MONTHS)
    judged = tenure >= MIN_BASELINE_MONTHS
    base, recent = x[:, : m - 2].sum(axis=1), x[:, m - 2 :].sum(axis=1)
    program_rate = base[judged].sum() / BASELINE_MONTHS if judged.any() else 0.0
    trend = recent[judged].sum() / 2 / program_rate if program_rate > 0 else 1.0
    expected = 2 * np.divide(base, tenure, out=np.zeros(len(base)), where=judged) * trend
    p = poisson.cdf(recent, expected)
    score = -np.log10(np.maximum(p, 1e-300))
    rows = np.flatnonzero(judged & (expected > 0) & (p <= alpha))
    return flag_frame(
        grid,
        rows,
        np.full(len(rows), "registrations"),
        "poisson_reference",
        expected[rows],
        recent[rows],
        np.full(len(rows), float(m - 2)),
        score[rows],
    )


def cusum_reference(
    events: pd.DataFrame,
    as_of: pd.Timestamp,
    threshold: float = 4.0,
    kind: str = "registered",
    window: int = 6,
    slack: float = 0.5,
) -> pd.DataFrame:
    """Flag partners whose lower CUSUM ``S_t = max(0, S_{t-1} - z_t - slack)`` reaches
    ``threshold`` at the last complete month, with ``z_t`` the month's count standardised by the
    mean and standard deviation (at least √mean, the Poisson spread, and 0.5) of the 12 months
    before the ``window`` monitored months. ``since`` is the month the current excursion began;
    ``score`` is ``S``."""
    if events.empty:
        return empty_flags()
    grid, x = _monthly(events, as_of, kind, BASELINE_MONTHS + window)
    if not len(x):
        return empty_flags()
    n = len(x)
    baseline = x[:, :BASELINE_MONTHS]
    active = np.arange(BASELINE_MONTHS)[None, :] >= grid.first[:, None]
    months = active.sum(axis=1)
    judged = months >= MIN_BASELINE_MONTHS
    mean = np.divide((baseline * active).sum(1), months, out=np.zeros(n), where=judged)
    var = np.divide(
        (((baseline - mean[:, None]) * active) ** 2).sum(1), months, out=np.zeros(n), where=judged
    )
    spread = np.maximum.reduce([np.sqrt(var), np.sqrt(mean), np.full(n, 0.5)])
    cusum, began = np.zeros(n), np.full(n, float(BASELINE_MONTHS))
    for t in range(BASELINE_MONTHS, x.shape[1]):
        restart = cusum == 0
        began = np.where(restart, float(t), began)
        cusum = np.maximum(0.0, cusum - (x[:, t] - mean) / spread - slack)
    rows = np.flatnonzero(judged & (cusum >= threshold))
    span = x.shape[1] - began[rows]
    since = np.arange(x.shape[1])[None, :] >= began[rows, None]
    observed = (x[rows] * since).sum(axis=1)
    return flag_frame(
        grid,
        rows,
        np.full(len(rows), "registrations"),
        "cusum_reference",
        mean[rows] * span,
        observed,
        began[rows],
        cusum[rows],
    )
