"""Back-tests on the program's own history: would the at-risk model have been right, and would
the drift detector have caught the drops that really happened?

Why on the program's own data: a model that beats baselines on someone else's customers may
still be noise on yours. Each back-test date is treated exactly as a nightly run would have
treated it — everything fitted on events before the date — and then compared with what the
database says happened next. Nothing here is used for scoring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from insights.drift.config import DriftConfig
from insights.drift.detect import detect_drift
from insights.program_events import REGISTERED, WON
from insights.risk_features import DAY
from insights.risk_model import RiskConfig, RiskModel, build_snapshot, horizon_frame, metrics
from insights.risk_model import outcome as risk_outcome

MONTH = pd.offsets.MonthBegin()


def backtest_dates(
    events: pd.DataFrame, horizon_days: int, count: int, step_days: int = 91
) -> list[pd.Timestamp]:
    """Up to ``count`` month starts, ``step_days`` apart, each with a full label horizon of
    history after it and at least a year before it; oldest first."""
    if events.empty:
        return []
    first, last = events["date"].min(), events["date"].max()
    latest = (last - horizon_days * DAY).to_period("M").to_timestamp()
    dates = [(latest - k * step_days * DAY).to_period("M").to_timestamp() for k in range(count)]
    return sorted(d for d in dates if d - first >= 365 * DAY)


def risk_backtest(
    events: pd.DataFrame, config: RiskConfig, dates: Sequence[pd.Timestamp]
) -> pd.DataFrame:
    """ROC-AUC, average precision and precision in the top 10 % of the model and of three
    baselines (days since the last won deal; BG/NBD expected purchases; the rhythm heuristic)
    at each date, against the label observed over the following horizon."""
    rows = []
    for as_of in dates:
        model = RiskModel(config).fit(events, as_of)
        scored = model.score(events, as_of)
        snapshot = build_snapshot(events.loc[events["date"] < as_of], as_of, config)
        frame = horizon_frame(snapshot, config.horizon_days, config)
        y = risk_outcome(events, as_of, config.horizon_days, frame.index, config)
        keep = y.notna().to_numpy()
        truth = y[keep].astype(int).to_numpy()
        candidates = {
            "at-risk model": scored["p_at_risk"].to_numpy()[keep],
            "recency": frame["recency_days"].fillna(frame["tenure_days"]).to_numpy()[keep],
        }
        if snapshot.process is not None:
            candidates["BG/NBD expected"] = -frame["expected"].to_numpy()[keep]
        for method, score in candidates.items():
            found = metrics(truth, score, probabilities=False)
            chosen = model.family or model.method
            rows.append({"as_of": as_of.date(), "method": method, "model": chosen, **found})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class DriftEvaluation:
    """How the detector did against the drops that happened: ``recall`` of drops flagged within
    ``window_months`` of onset, median ``delay_months`` of those caught, and the share of
    steady partners flagged per quarter (``false_alarm_rate``)."""

    drops: int
    steady: int
    recall: float
    delay_months: float
    false_alarm_rate: float


def realised_drops(
    events: pd.DataFrame, months: pd.DatetimeIndex, *, ratio: float = 0.4, min_rate: float = 2.0
) -> tuple[pd.Series, pd.Index]:
    """From history alone: partners whose won deals plus registrations over three months fell
    below ``ratio`` of their previous twelve months' rate (at least ``min_rate`` a month) — the
    onset is the first of those three months; and the *steady* partners, who kept within
    ±40 % of that rate (and at least ``min_rate``) at every month. Partners in neither set are
    left out of both counts."""
    kinds = events.loc[events["kind"].isin([WON, REGISTERED])]
    monthly = (
        kinds.assign(month=kinds["date"].dt.to_period("M").dt.to_timestamp())
        .groupby(["partner_id", "month"], observed=True)
        .size()
        .unstack(fill_value=0)
    )
    span = pd.date_range(months.min() - 12 * MONTH, months.max() + 2 * MONTH, freq="MS")
    grid = monthly.reindex(columns=span, fill_value=0).to_numpy(float)
    onsets = pd.Series(pd.NaT, index=monthly.index, dtype="datetime64[ns]")
    steady = np.ones(len(grid), dtype=bool)
    for month in months:
        k = span.get_loc(month)
        base = grid[:, k - 12 : k].mean(axis=1)
        ahead = grid[:, k : k + 3].mean(axis=1)
        eligible = base >= min_rate
        dropped = eligible & (ahead < ratio * base) & onsets.isna().to_numpy()
        onsets[dropped] = month
        steady &= eligible & (np.abs(ahead - base) <= 0.4 * base)
    return onsets.dropna(), monthly.index[steady]


def truth_drops(truth: pd.DataFrame, months: pd.DatetimeIndex) -> tuple[pd.Series, pd.Index]:
    """The same two sets from a generated program's ``truth.csv`` (indexed by partner_id):
    abrupt ``drop`` and ``churned`` partners with an onset among ``months``, and the
    ``stable`` partners."""
    onset = pd.to_datetime(truth["onset"])
    dropped = truth["pattern"].isin(["drop", "churned"]) & onset.isin(months)
    return onset[dropped], truth.index[truth["pattern"] == "stable"]


def drift_backtest(
    events: pd.DataFrame,
    peers: pd.Series | None,
    months: pd.DatetimeIndex,
    config: DriftConfig | None = None,
    *,
    truth: pd.DataFrame | None = None,
    window_months: int = 2,
) -> DriftEvaluation:
    """Run the detector as of each month start in ``months`` (events before it only) and score
    it against the drops that happened: :func:`realised_drops`, or with a generated program's
    ``truth`` the injected ones (:func:`truth_drops`)."""
    if truth is None:
        onsets, steady = realised_drops(events, months)
    else:
        onsets, steady = truth_drops(truth, months)
    flagged: dict[int, list[pd.Timestamp]] = {}
    steady_flags: set[tuple[int, pd.Period]] = set()
    steady_ids = set(steady.tolist())
    for month in months:
        flags = detect_drift(events, month, peers, config or DriftConfig())
        drops = flags.loc[flags["magnitude"] < 0, "partner_id"].unique()
        for partner in drops:
            flagged.setdefault(int(partner), []).append(month)
        quarter = month.to_period("Q")
        steady_flags |= {(int(p), quarter) for p in drops if p in steady_ids}
    delays = []
    for partner, onset in onsets.items():
        caught = [m for m in flagged.get(int(partner), []) if onset <= m]
        if caught and caught[0] <= onset + window_months * MONTH:
            delays.append((caught[0].year - onset.year) * 12 + caught[0].month - onset.month)
    quarters = max(1, len({m.to_period("Q") for m in months}))
    return DriftEvaluation(
        drops=len(onsets),
        steady=len(steady),
        recall=len(delays) / len(onsets) if len(onsets) else float("nan"),
        delay_months=float(np.median(delays)) if delays else float("nan"),
        false_alarm_rate=len(steady_flags) / max(1, len(steady)) / quarters,
    )
