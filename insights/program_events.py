"""The program's history as one *events* frame — the shape the risk and drift models read.

Why one frame: the models care about *when* things happened to a partner (a registration, a
won or lost deal, a certification) and how big they were, not about which table they came from.
One long frame of ``partner_id, date, amount, kind`` lets them filter everything on ``date <
as_of`` in one place (no look-ahead) and stay free of the database.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from insights.scorecard_metrics import ProgramFrames
from models.enums import ActivityKind, DealStatus

REGISTERED = "registered"
WON = DealStatus.WON.value
LOST = DealStatus.LOST.value
ACTIVITY_KINDS = (
    ActivityKind.CERTIFICATION.value,
    ActivityKind.TRAINING.value,
    ActivityKind.MARKETING.value,
    ActivityKind.SATISFACTION.value,
)
KINDS = (REGISTERED, WON, LOST, *ACTIVITY_KINDS)


def program_events(frames: ProgramFrames) -> pd.DataFrame:
    """One row per event, sorted by date: ``partner_id`` (int64), ``date`` (datetime64, naive
    UTC), ``amount`` (float: program currency for deals, the value for activities) and ``kind``
    (categorical over :data:`KINDS`). Every registration is a ``registered`` event whatever
    became of it; won and lost deals are events again on their close date."""
    deals = frames.deals
    status = deals["status"].astype(str)
    closed = deals["closed_at"].notna()
    parts = [
        _part(deals["partner_id"], deals["registered_at"], deals["amount"], REGISTERED),
        *(
            _part(
                deals.loc[mask, "partner_id"],
                deals.loc[mask, "closed_at"],
                deals.loc[mask, "amount"],
                kind,
            )
            for kind, mask in ((WON, closed & (status == WON)), (LOST, closed & (status == LOST)))
        ),
    ]
    activities = frames.activities
    activity_kind = activities["kind"].astype(str)
    for kind in ACTIVITY_KINDS:
        mine = activity_kind == kind
        parts.append(
            _part(
                activities.loc[mine, "partner_id"],
                activities.loc[mine, "occurred_on"],
                activities.loc[mine, "value"],
                kind,
            )
        )
    events = pd.concat(parts, ignore_index=True)
    events["kind"] = pd.Categorical(events["kind"], categories=KINDS)
    order = np.argsort(events["date"].to_numpy(), kind="stable")
    return events.take(order).reset_index(drop=True)


def _part(partner: pd.Series, when: pd.Series, amount: pd.Series, kind: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "partner_id": partner.to_numpy("int64"),
            "date": pd.to_datetime(when).to_numpy("datetime64[ns]"),
            "amount": amount.to_numpy("float64"),
            "kind": kind,
        }
    )


def peer_groups(partners: pd.DataFrame) -> pd.Series:
    """Each partner's peer group for drift and explanations: tier and region, the grouping the
    scorecards use, as one label."""
    return (partners["tier"].astype(str) + "/" + partners["region"].astype(str)).rename("peers")
