"""The entry point: drift flags of every partner as of a date."""

from __future__ import annotations

import numpy as np
import pandas as pd

from insights.drift.anomalies import anomaly_flags
from insights.drift.config import DriftConfig
from insights.drift.detectors import Candidate, change_candidates
from insights.drift.flags import COLUMNS, empty_flags, flag_frame
from insights.drift.grid import MonthGrid, build_grid
from insights.drift.peers import peer_groups


def _flags(grid: MonthGrid, candidate: Candidate, threshold: float) -> pd.DataFrame:
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
    groups = peer_groups(grid, peers, config)
    candidates, counts = change_candidates(grid, groups, config)
    frames = [_flags(grid, c, config.threshold) for c in candidates]
    frames.append(anomaly_flags(grid, counts, config))
    out = pd.concat([f for f in frames if len(f)] or [empty_flags()], ignore_index=True)
    out = out.sort_values(["partner_id", "metric", "score"], ascending=[True, True, False])
    out = out.drop_duplicates(["partner_id", "metric"]).reset_index(drop=True)
    return out.loc[:, list(COLUMNS)]
