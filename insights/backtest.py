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
from datetime import date, timedelta

import numpy as np
import pandas as pd

from config.program import Program
from insights.alert_rules import AT_RISK, PastAlert, due, findings
from insights.drift.config import DriftConfig
from insights.drift.detect import detect_drift
from insights.program_events import REGISTERED, WON
from insights.risk_features import DAY
from insights.risk_model import RiskConfig, RiskModel, build_snapshot, horizon_frame, metrics
from insights.risk_model import outcome as risk_outcome
from insights.risk_scoring import assess
from models.enums import AlertState, PartnerStatus

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
    """ROC-AUC, average precision and precision in the top 10 % of the model and of the
    baselines (days since the last won deal; BG/NBD expected purchases) at each date, against
    the label observed over the following horizon; for the model also its calibration: mean
    probability, Brier score, the base rate's Brier score (``brier_base``), BG/NBD's
    P(no won deal in the horizon) as a probability (``brier_bgnbd``) and the expected
    calibration error."""
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
            found = metrics(truth, score, probabilities=method == "at-risk model")
            if method == "at-risk model":
                found["brier_base"] = found["base_rate"] * (1 - found["base_rate"])
                if snapshot.process is not None:
                    silent = frame["p_silent"].to_numpy()[keep]
                    found["brier_bgnbd"] = float(np.mean((silent - truth) ** 2))
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


# ----------------------------------------------------------------------------- alerts


def replay_alerts(
    events: pd.DataFrame,
    partners: pd.DataFrame,
    program: Program,
    days: Sequence[date],
    *,
    seed: int = 0,
) -> pd.DataFrame:
    """The alerts the nightly job would have raised on each of ``days`` (oldest first): the
    assessment as at the end of the day before, then the program's threshold and cool-down
    through :func:`insights.alert_rules.due` exactly as :mod:`jobs.scoring` applies them, with
    every earlier replayed alert counted as past. One row per alert: ``day``, ``partner_id``,
    ``condition`` and whether it warns of a ``drop`` (at risk, or a drift flag below the
    expected). The daily cap only moves alerts into the manager's summary, so every due
    finding is an alert received. Every partner counts as active: a back-test cannot know who
    was active then, and today's status would leak who left."""
    rules = program.alerts
    everyone = partners.assign(status=PartnerStatus.ACTIVE.value)
    past: list[PastAlert] = []
    previous: dict[int, float] = {}
    rows = []
    for today in days:
        scores = assess(events, everyone, today - timedelta(days=1), program, seed=seed).scores
        found = findings(scores, rules.risk_threshold, previous)
        for finding in due(found, past, today, rules.cooldown_days):
            past.append(
                PastAlert(finding.partner_id, finding.condition, today, AlertState.OPEN, None)
            )
            flag = finding.detail.get("flag") or {}
            drop = finding.condition == AT_RISK or (flag.get("magnitude") or 0) < 0
            rows.append((pd.Timestamp(today), finding.partner_id, finding.condition, drop))
        previous = scores["risk"].astype(float).to_dict()
    return pd.DataFrame(rows, columns=["day", "partner_id", "condition", "drop"])


@dataclass(frozen=True)
class AlertEvaluation:
    """What a manager would have been told, against a generated program's truth.

    ``stable``: per quarter and per month of the assessed day, the share of stable partners
    with at least one alert (``any``) and of each kind (``at_risk``, ``drift``). ``recall``:
    share of injected drops and churn warned of (an at-risk alert or a drift flag of a drop) at
    most ``window_months`` after onset (onsets whose window the replay covers);
    ``delay_months``: median months from onset to that alert."""

    quarters: pd.DataFrame
    months: pd.DataFrame
    steady: int
    drops: int
    recall: float
    delay_months: float


def _stable_shares(alerts: pd.DataFrame, stable: pd.Index, period: str) -> pd.DataFrame:
    mine = alerts.loc[alerts["partner_id"].isin(stable)]
    when = (mine["day"] - DAY).dt.to_period(period)  # the day assessed, not the run's
    kind = np.where(mine["condition"] == AT_RISK, "at_risk", "drift")
    shares = {
        name: mine.loc[mask].groupby(when[mask])["partner_id"].nunique() / max(1, len(stable))
        for name, mask in (
            ("any", np.ones(len(mine), dtype=bool)),
            ("at_risk", kind == "at_risk"),
            ("drift", kind == "drift"),
        )
    }
    return pd.DataFrame(shares).fillna(0.0)


def evaluate_alerts(
    alerts: pd.DataFrame,
    truth: pd.DataFrame,
    days: Sequence[date],
    *,
    window_months: int = 2,
) -> AlertEvaluation:
    """Score :func:`replay_alerts` against ``truth`` (indexed by partner_id: ``pattern`` and
    ``onset``, a date), as :func:`drift_backtest` does for drift flags alone."""
    first, last = pd.Timestamp(days[0]), pd.Timestamp(days[-1])
    onset = pd.to_datetime(truth["onset"])
    changed = truth["pattern"].isin(["drop", "churned"]) & (onset >= first - MONTH)
    onsets = onset[changed & (onset + window_months * MONTH <= last)]
    stable = truth.index[truth["pattern"] == "stable"]
    periods = pd.PeriodIndex([pd.Timestamp(d) - DAY for d in days], freq="M")
    months = _stable_shares(alerts, stable, "M").reindex(periods.unique(), fill_value=0.0)
    quarters = _stable_shares(alerts, stable, "Q").reindex(
        periods.asfreq("Q").unique(), fill_value=0.0
    )
    warnings = alerts.loc[alerts["drop"]]  # a burst is no catch of a drop
    first_alert = warnings.merge(onsets.rename("onset"), left_on="partner_id", right_index=True)
    first_alert = (
        first_alert.loc[
            (first_alert["day"] > first_alert["onset"])
            & (first_alert["day"] <= first_alert["onset"] + window_months * MONTH)
        ]
        .groupby("partner_id")[["day", "onset"]]
        .min()
    )
    delays = (first_alert["day"] - first_alert["onset"]).dt.days / 30.44
    return AlertEvaluation(
        quarters=quarters,
        months=months,
        steady=len(stable),
        drops=len(onsets),
        recall=len(first_alert) / len(onsets) if len(onsets) else float("nan"),
        delay_months=float(delays.median()) if len(delays) else float("nan"),
    )
