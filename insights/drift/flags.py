"""The output: one row per flag, in the columns of :data:`COLUMNS`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from insights.drift.grid import MonthGrid

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
