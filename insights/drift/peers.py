"""Peer groups and the peer index a partner's expected share follows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from insights.drift.config import DriftConfig
from insights.drift.grid import MonthGrid


@dataclass(frozen=True)
class Peers:
    reference: np.ndarray
    """(P,) row of the partner's reference pool: its peer group, or the whole program (last row)
    when the group is too small."""
    members: np.ndarray
    """(P,) peer-group code (small groups included), for the group totals."""
    groups: int


def peer_groups(grid: MonthGrid, peers: pd.Series | None, config: DriftConfig) -> Peers:
    n = len(grid.partner_ids)
    if peers is None:
        members = np.zeros(n, dtype=np.int64)
    else:
        labels = peers.reindex(pd.Index(grid.partner_ids)).astype(object).fillna("(none)")
        members = pd.factorize(labels.to_numpy(), sort=True)[0].astype(np.int64)
    groups = int(members.max()) + 1 if n else 0
    size = np.bincount(members, minlength=groups)
    reference = np.where(size[members] >= config.min_peer_partners, members, groups)
    return Peers(reference, members, groups)


def peer_index(x: np.ndarray, peers: Peers, grid: MonthGrid, config: DriftConfig) -> np.ndarray:
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
