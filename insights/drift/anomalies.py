"""Unusual partner-months (a burst, an outsized deal): the ``pattern`` flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

from insights.drift.config import DriftConfig
from insights.drift.detectors import Counts
from insights.drift.flags import empty_flags, flag_frame
from insights.drift.grid import MonthGrid, cumulative
from insights.drift.statistics import pooled_variance
from insights.drift.streams import COUNT_STREAMS, REG

ANOMALY_FEATURES = ("registrations", "deals", "lost", "activity", "largest_deal")


def anomaly_features(
    grid: MonthGrid, counts: Counts, config: DriftConfig
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
        cum = cumulative(x)
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
    spread = np.sqrt(pooled_variance(grid.counts[REG], grid.log_amount, grid.log_amount_sq))
    features[..., 4] = np.where(sized, (largest - typical) / spread, 0.0)
    expected[..., 4], observed[..., 4] = np.where(sized, np.exp(typical), 0), grid.max_amount
    return features, judged, expected, observed


def anomaly_flags(grid: MonthGrid, counts: Counts, config: DriftConfig) -> pd.DataFrame:
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
