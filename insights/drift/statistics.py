"""Likelihood ratios and the spread of count streams and measurements."""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

_TINY = 1e-12


def binomial_llr(recent: np.ndarray, base: np.ndarray, p0: np.ndarray) -> np.ndarray:
    """Signed log-likelihood ratio of ``recent`` out of ``recent + base`` events against the
    share ``p0``: positive when the recent share is higher. Fractional counts are allowed
    (revenue in deal units)."""
    total = recent + base
    p0 = np.clip(p0, 1e-9, 1 - 1e-9)
    share = np.divide(recent, total, out=np.zeros_like(total), where=total > 0)
    llr = xlogy(recent, share / p0) + xlogy(base, (1 - share) / (1 - p0))
    return np.sign(share - p0) * np.maximum(llr, 0.0)


def inverse_dispersion(x: np.ndarray, index: np.ndarray, active: np.ndarray) -> float:
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


def pooled_variance(count: np.ndarray, total: np.ndarray, squares: np.ndarray) -> float:
    """Median within-partner variance of a measurement (1 without enough data)."""
    n = count.sum(axis=1)
    enough = n >= 4
    if not enough.any():
        return 1.0
    mean = total.sum(axis=1)[enough] / n[enough]
    second = squares.sum(axis=1)[enough] / n[enough]
    return max(float(np.median(second - mean**2)), 1e-3)
