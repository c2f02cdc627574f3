"""At-risk partner model: trained on the program's own past, scored as of today.

Why it is built this way:

- **No look-ahead.** Training examples are rolling *snapshots* of history: features as of an
  earlier date ``s`` (events before ``s`` only) and a label from the window ``[s, s + h)``, where
  every window ends before ``as_of``. Nothing dated on or after ``as_of`` is ever read; the first
  thing every entry point does is drop it.
- **Horizons longer than the labelled past.** A live program rarely has a full horizon of
  labelled history behind its recent snapshots (a 39-week horizon needs 39 weeks of future per
  example). Label windows are therefore cut at ``as_of`` (``h = min(horizon, as_of - s)``) and
  the horizon enters the features through a BG/NBD purchase-process model fitted on each
  snapshot's own history: ``P(no purchase in h)`` and ``E[purchases in h]``. The classifier
  learns how the label relates to the process model's prediction for *its* window; at scoring the
  same features are computed for the full horizon. A logistic model on these features
  extrapolates that relation smoothly, which is why it is the first candidate.
- **Time-ordered model choice.** Candidate families are compared on an internal back-test whose
  cut-off is ``validation_days`` before ``as_of`` (trained on snapshots before that cut-off,
  validated on the window up to ``as_of``). The winner is refitted on all snapshots but the
  latest one(s) whose label window is the full horizon, which are held out to calibrate its
  probabilities: a probability is asked for over the full horizon, so it is calibrated there.
- **Honest fallback.** With too little labelled history there is nothing to learn from, and a
  fitted model would be noise presented as precision. :func:`heuristic_risk` then scores each
  partner against its own buying rhythm, and ``RiskModel.method`` says which was used.
"""

from __future__ import annotations

import io
import platform
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from insights.purchase_process import BetaGeometricNBD
from insights.risk_features import DAY, DEFAULT_WINDOWS_DAYS, risk_features

MODEL_VERSION = "risk-1.0"
Label = Literal["inactive", "revenue_drop", "at_risk"]
Family = Literal["logistic", "boosting"]
BLEND = "blend"
"""The mean of every family's calibrated probability: chosen when the back-test says the
families' errors differ enough for their average to beat each."""
Method = Literal["model", "heuristic"]
PROCESS_COLUMNS = ("p_alive", "p_silent", "logit_silent", "expected", "log_expected")
_EPS = 1e-9


@dataclass(frozen=True)
class RiskConfig:
    """Everything that shapes a fit; recorded verbatim in the model card."""

    horizon_days: int = 91
    label: Label = "inactive"
    """``inactive``: no won deal in the horizon. ``revenue_drop``: won revenue below
    ``revenue_drop_ratio`` of the trailing average. ``at_risk`` (what a partner program
    alerts on): no won deal *and* no ``registration_kind`` event in the horizon, or a drop."""
    n_snapshots: int = 16
    step_days: int = 14
    min_label_days: int = 28  # shorter windows say more about timing than about churn
    min_history_days: int = 28  # a snapshot needs this much history before it
    validation_days: int = 91  # internal back-test horizon (capped at horizon_days)
    families: tuple[Family, ...] = ("logistic", "boosting")
    calibration: Literal["sigmoid", "isotonic", "none"] = "sigmoid"
    calibration_snapshots: int = 1
    min_class_examples: int = 100  # per class, over all snapshots, to trust a learned model
    min_process_partners: int = 30
    max_training_rows: int = 400_000  # beyond this, a seeded sample of partners is trained on
    time_unit_days: float = 7.0  # BG/NBD time unit: weeks keep the parameters well scaled
    revenue_drop_ratio: float = 0.5
    trailing_periods: int = 4
    min_trailing_deals: int = 1
    windows_days: tuple[int, ...] = DEFAULT_WINDOWS_DAYS
    won_kind: str = "won"
    registration_kind: str = "registered"
    extra_kinds: tuple[str, ...] = ()
    alert_precision: float | None = None
    """With it, a second logistic model learns P(the partner goes quiet) — ``p_quiet`` beside
    ``p_at_risk`` in :meth:`RiskModel.score` — and :attr:`RiskModel.alert_threshold` is the
    lowest ``p_quiet`` from which at least this share of the held-out partners went quiet
    (:func:`precision_threshold`)."""
    min_alerts: int = 20  # the smallest held-out set a precision is read from
    seed: int = 0


# ----------------------------------------------------------------------------- snapshots


@dataclass(frozen=True)
class Snapshot:
    """Features of every partner known before ``as_of`` and the BG/NBD fitted on that history
    (``None`` when there are too few partners or no repeat purchases to fit it)."""

    as_of: pd.Timestamp
    features: pd.DataFrame
    process: BetaGeometricNBD | None


def _before(events: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Events dated before ``as_of``. Date-sorted input (what ``program_events`` gives) is cut
    with a binary search instead of a mask over every row — it runs once per snapshot."""
    dates = events["date"]
    if dates.is_monotonic_increasing:
        return events.iloc[: dates.searchsorted(as_of, side="left")]
    return events.loc[dates < as_of]


def _process_inputs(
    features: pd.DataFrame, unit: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T) in ``unit`` days. Partners without a won deal yet (known through other event
    kinds) count as first seen at their first event with no repeat purchase."""
    x = features["repeat_occasions"].clip(lower=0).fillna(0).to_numpy(float)
    big_t = features["tenure_days"].fillna(0).to_numpy(float) / unit
    t_x = np.minimum(features["span_days"].fillna(0).to_numpy(float) / unit, big_t)
    return x, t_x, big_t


def build_snapshot(
    events: pd.DataFrame, as_of: pd.Timestamp, config: RiskConfig | None = None
) -> Snapshot:
    """Features as of ``as_of`` plus a BG/NBD fitted on the same history."""
    config = config or RiskConfig()
    as_of = pd.Timestamp(as_of)
    features = risk_features(
        _before(events, as_of),
        as_of,
        windows_days=config.windows_days,
        won_kind=config.won_kind,
        extra_kinds=config.extra_kinds,
    )
    process = None
    x, t_x, big_t = _process_inputs(features, config.time_unit_days)
    if len(features) >= config.min_process_partners and np.count_nonzero(x) >= 5:
        process = BetaGeometricNBD.fit(x, t_x, big_t)
    return Snapshot(as_of=as_of, features=features, process=process)


def horizon_frame(snapshot: Snapshot, horizon_days: float, config: RiskConfig) -> pd.DataFrame:
    """Snapshot features plus the process model's view of the next ``horizon_days``."""
    frame = snapshot.features.copy()
    if snapshot.process is None:
        for col in PROCESS_COLUMNS:
            frame[col] = np.nan
        return frame
    x, t_x, big_t = _process_inputs(frame, config.time_unit_days)
    t = horizon_days / config.time_unit_days
    p_silent = np.clip(snapshot.process.p_no_purchase(x, t_x, big_t, t), _EPS, 1 - _EPS)
    expected = np.maximum(snapshot.process.expected_purchases(x, t_x, big_t, t), _EPS)
    frame["p_alive"] = snapshot.process.p_alive(x, t_x, big_t)
    frame["p_silent"] = p_silent
    frame["logit_silent"] = np.log(p_silent / (1 - p_silent))
    frame["expected"] = expected
    frame["log_expected"] = np.log(expected)
    return frame


def snapshot_dates(
    events: pd.DataFrame, as_of: pd.Timestamp, n_snapshots: int, config: RiskConfig
) -> list[pd.Timestamp]:
    """Oldest-first snapshot dates: every ``step_days`` back from ``as_of - min_label_days``,
    at most ``n_snapshots``, none with less than ``min_history_days`` of history behind it."""
    won = events
    if "kind" in events.columns:
        won = events.loc[events["kind"] == config.won_kind]
    won = _before(won, as_of)
    if won.empty:
        return []
    earliest = won["date"].min().normalize() + config.min_history_days * DAY
    latest = pd.Timestamp(as_of).normalize() - config.min_label_days * DAY
    dates = [latest - k * config.step_days * DAY for k in range(n_snapshots)]
    return sorted(d for d in dates if d >= earliest)


# ----------------------------------------------------------------------------- labels


def _won_in(
    events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, *kinds: str
) -> pd.DataFrame:
    window = events.loc[(events["date"] >= start) & (events["date"] < end)]
    if "kind" in window.columns:
        window = window.loc[window["kind"].isin(kinds)]
    return window


def inactive_label(
    events: pd.DataFrame,
    start: pd.Timestamp,
    days: float,
    partners: pd.Index,
    won_kind: str = "won",
    *also: str,
) -> pd.Series:
    """1 if the partner has no event of ``won_kind`` (or of the kinds in ``also``) in
    ``[start, start + days)``, else 0."""
    window = _won_in(events, start, start + days * DAY, won_kind, *also)
    return pd.Series((~partners.isin(window["partner_id"].unique())).astype(int), index=partners)


def trailing_revenue(
    events: pd.DataFrame,
    start: pd.Timestamp,
    days: float,
    partners: pd.Index,
    *,
    won_kind: str = "won",
    trailing_periods: int = 4,
) -> pd.DataFrame:
    """Per partner, over the ``trailing_periods`` windows of ``days`` before ``start``: the
    average won revenue per window (``average``) and the number of won deals (``deals``)."""
    span = days * DAY
    behind = _won_in(events, start - trailing_periods * span, start, won_kind)
    grouped = behind.groupby("partner_id")["amount"].agg(["sum", "size"])
    return pd.DataFrame(
        {
            "average": (grouped["sum"] / trailing_periods).reindex(partners, fill_value=0.0),
            "deals": grouped["size"].reindex(partners, fill_value=0),
        }
    )


def revenue_drop_label(
    events: pd.DataFrame,
    start: pd.Timestamp,
    days: float,
    partners: pd.Index,
    *,
    won_kind: str = "won",
    trailing_periods: int = 4,
    ratio: float = 0.5,
    min_trailing_deals: int = 1,
) -> pd.Series:
    """1 if won revenue in ``[start, start + days)`` falls below ``ratio`` times the partner's
    trailing average (:func:`trailing_revenue`). NaN where the trailing windows hold fewer
    than ``min_trailing_deals`` won deals or no revenue: for a partner who wins a deal every
    other quarter, an empty quarter is its rhythm, not a drop."""
    ahead = _won_in(events, start, start + days * DAY, won_kind)
    ahead = ahead.groupby("partner_id")["amount"].sum().reindex(partners, fill_value=0.0)
    trailing = trailing_revenue(
        events, start, days, partners, won_kind=won_kind, trailing_periods=trailing_periods
    )
    label = (ahead < ratio * trailing["average"]).astype(float)
    return label.where((trailing["average"] > 0) & (trailing["deals"] >= min_trailing_deals))


def quiet(
    events: pd.DataFrame, start: pd.Timestamp, days: float, partners: pd.Index, config: RiskConfig
) -> pd.Series:
    """1 if the partner went quiet over ``[start, start + days)``: no won deal and (for the
    ``at_risk`` label) no registration — what an at-risk alert warns of."""
    also = (config.registration_kind,) if config.label == "at_risk" else ()
    return inactive_label(events, start, days, partners, config.won_kind, *also)


def outcome(
    events: pd.DataFrame, start: pd.Timestamp, days: float, partners: pd.Index, config: RiskConfig
) -> pd.Series:
    """The configured label of each partner over ``[start, start + days)`` (NaN: undefined)."""
    if config.label == "inactive":
        return inactive_label(events, start, days, partners, config.won_kind)
    drop = revenue_drop_label(
        events,
        start,
        days,
        partners,
        won_kind=config.won_kind,
        trailing_periods=config.trailing_periods,
        ratio=config.revenue_drop_ratio,
        min_trailing_deals=config.min_trailing_deals,
    )
    if config.label == "revenue_drop":
        return drop
    return np.maximum(quiet(events, start, days, partners, config), drop.fillna(0)).astype(int)


# ----------------------------------------------------------------------------- training frame


def training_frame(
    events: pd.DataFrame,
    as_of: pd.Timestamp,
    horizon_days: int,
    n_snapshots: int,
    *,
    config: RiskConfig | None = None,
    cache: dict[pd.Timestamp, Snapshot] | None = None,
) -> pd.DataFrame:
    """Labelled examples from rolling snapshots before ``as_of``, indexed by (snapshot,
    partner_id), with a ``label_days`` column (the window actually observed, at most
    ``horizon_days``), the label ``y`` and whether the partner went ``quiet``. Only events
    before ``as_of`` are read. Snapshots where the purchase-process model cannot be fitted are
    skipped. ``cache`` lets callers share snapshots between several frames built from the same
    events."""
    config = config or RiskConfig()
    as_of = pd.Timestamp(as_of)
    past = _before(events, as_of)
    cache = {} if cache is None else cache
    parts = []
    for s in snapshot_dates(past, as_of, n_snapshots, config):
        if s not in cache:
            cache[s] = build_snapshot(past, s, config)
        if cache[s].process is None:
            continue  # without the process model the horizon features would be missing
        days = float(min(horizon_days, (as_of - s) / DAY))
        frame = horizon_frame(cache[s], days, config)
        frame["y"] = outcome(past, s, days, frame.index, config)
        frame["quiet"] = quiet(past, s, days, frame.index, config)
        frame = frame.loc[frame["y"].notna()]
        frame["label_days"] = days
        parts.append(frame.assign(snapshot=s).set_index("snapshot", append=True))
    if not parts:
        return pd.DataFrame(columns=["y", "quiet", "label_days"])
    out = pd.concat(parts).reorder_levels(["snapshot", "partner_id"])
    out["y"] = out["y"].astype(int)
    out["quiet"] = out["quiet"].astype(int)
    return out


# ----------------------------------------------------------------------------- estimators


def model_inputs(
    frame: pd.DataFrame, family: str, feature_columns: tuple[str, ...] = ()
) -> pd.DataFrame:
    """The columns a family sees. Logistic: the process model's view of the horizon and log
    money (few, monotone, NaN-free — they extrapolate to horizons longer than the training
    windows) plus, for each other event kind's count in ``feature_columns``, its log ratio to
    the won occasions of the same window — registrations *beyond* wins are the pipeline
    building up; registrations that were all won say nothing the purchase process has not
    said already. Boosting: ``feature_columns`` as they are (it handles NaN)."""
    if family == "boosting":
        return frame.loc[:, list(feature_columns)].astype(float)

    def log_money(col: str) -> pd.Series:
        return np.log1p(frame[col].clip(lower=0).fillna(0))

    columns = {
        "logit_silent": frame["logit_silent"],
        "log_expected": frame["log_expected"],
        "p_alive": frame["p_alive"],
        "log_amount_mean": log_money("amount_mean"),
        "log_amount_total": log_money("amount_total"),
    }
    for col in feature_columns:
        kind, window = col.split("_count_")
        columns[f"{kind}_beyond_wins_{window}"] = log_money(col) - log_money(f"occasions_{window}")
    return pd.DataFrame(columns, index=frame.index).fillna(0.0)


def _feature_columns(frame: pd.DataFrame, family: str, config: RiskConfig) -> tuple[str, ...]:
    if family == "boosting":
        skip = {"y", "quiet", "label_days"}  # what happened next is never a feature
        return tuple(c for c in frame.columns if c not in skip)
    prefixes = tuple(f"{kind}_count_" for kind in config.extra_kinds)
    return tuple(c for c in frame.columns if prefixes and c.startswith(prefixes))


def make_pipeline(family: str, feature_columns: tuple[str, ...], seed: int) -> Pipeline:
    """Unfitted pipeline for ``family``; the input step is stateless."""
    inputs = FunctionTransformer(
        model_inputs, kw_args={"family": family, "feature_columns": feature_columns}
    )
    if family == "logistic":
        return Pipeline(
            [
                ("inputs", inputs),
                ("scale", StandardScaler()),
                ("classifier", LogisticRegression(C=1.0, max_iter=5000)),
            ]
        )
    if family == "boosting":
        booster = HistGradientBoostingClassifier(
            max_iter=200,
            learning_rate=0.05,
            max_leaf_nodes=15,
            min_samples_leaf=200,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=seed,
        )
        return Pipeline([("inputs", inputs), ("classifier", booster)])
    raise ValueError(f"unknown model family {family!r}")


@dataclass(frozen=True)
class Blend:
    """Averages its members' probabilities (each member an estimator with ``predict_proba``)."""

    members: tuple[Any, ...]

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return np.mean([member.predict_proba(frame) for member in self.members], axis=0)


@dataclass
class _Fitted:
    pipeline: Pipeline
    estimator: Any  # the pipeline, or a CalibratedClassifierCV around it
    feature_columns: tuple[str, ...]
    calibration: dict[str, Any]
    held: pd.DataFrame  # the calibration rows, which the classifier never saw (may be empty)


def horizon_calibration_snapshots(train: pd.DataFrame, count: int) -> np.ndarray:
    """The latest ``count`` snapshots among those whose label window is the longest observed —
    the full horizon when the history holds one. Probabilities are asked for over the full
    horizon, and a window cut short at ``as_of`` has a higher share of silent partners: a
    calibrator fitted on the latest (shortest) window made every probability run high. When no
    window reaches the horizon (a short history, a long horizon), the longest ones are the
    nearest to what is asked."""
    days = train.groupby(level="snapshot")["label_days"].first()
    longest = np.sort(days.index[days >= days.max()].to_numpy())
    return longest[-count:]


def _fit_family(train: pd.DataFrame, family: str, config: RiskConfig) -> _Fitted:
    """Fit on every snapshot but the calibration ones (:func:`horizon_calibration_snapshots`) and
    calibrate on those, which the classifier never saw."""
    cols = _feature_columns(train, family, config)
    snaps = np.sort(train.index.get_level_values("snapshot").unique())
    held = (
        horizon_calibration_snapshots(train, config.calibration_snapshots)
        if config.calibration != "none"
        else []
    )
    is_cal = train.index.get_level_values("snapshot").isin(held)
    base_rows, cal_rows = train.loc[~is_cal], train.loc[is_cal]
    usable = (
        len(held) > 0
        and len(snaps) > len(held)
        and base_rows["y"].nunique() == 2
        and cal_rows["y"].nunique() == 2
    )
    pipeline = make_pipeline(family, cols, config.seed)
    if not usable:
        pipeline.fit(train, train["y"])
        return _Fitted(pipeline, pipeline, cols, {"method": "none"}, train.iloc[:0])
    pipeline.fit(base_rows, base_rows["y"])
    calibrated = CalibratedClassifierCV(FrozenEstimator(pipeline), method=config.calibration)
    calibrated.fit(cal_rows, cal_rows["y"])
    info = {
        "method": config.calibration,
        "snapshots": [pd.Timestamp(s).date().isoformat() for s in held],
        "rows": len(cal_rows),
    }
    return _Fitted(pipeline, calibrated, cols, info, cal_rows)


# ----------------------------------------------------------------------------- metrics, fallback


def precision_at_top(y: np.ndarray, score: np.ndarray, fraction: float = 0.10) -> float:
    """Share of positives among the ``fraction`` highest scores (ties broken by position)."""
    y, score = np.asarray(y), np.asarray(score, dtype=float)
    n = max(1, round(fraction * len(y)))
    top = np.argsort(-score, kind="stable")[:n]
    return float(y[top].mean())


def metrics(y: np.ndarray, p: np.ndarray, *, probabilities: bool = True) -> dict[str, float]:
    """ROC-AUC, average precision, precision in the top decile, base rate and (for
    probabilities) Brier score, mean probability and expected calibration error."""
    y = np.asarray(y)
    both = len(np.unique(y)) == 2
    out = {
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "average_precision": float(average_precision_score(y, p)) if both else float("nan"),
        "precision_top10": precision_at_top(y, p),
        "base_rate": float(y.mean()),
        "n": len(y),
    }
    if probabilities:
        out["brier"] = float(brier_score_loss(y, p))
        out["mean_p"] = float(np.mean(p))
        out["ece"] = reliability(y, p)[1]
    return out


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> tuple[pd.DataFrame, float]:
    """Calibration by decile of predicted probability — ``n``, ``predicted`` (mean) and
    ``observed`` (share of positives) — and the expected calibration error (the decile gaps
    weighted by their size): what says whether "70 %" means seven in ten."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    decile = np.minimum((pd.Series(p).rank(method="first", pct=True) * bins).to_numpy(), bins - 0.5)
    table = (
        pd.DataFrame({"decile": decile.astype(int) + 1, "predicted": p, "observed": y})
        .groupby("decile")
        .agg(n=("observed", "size"), predicted=("predicted", "mean"), observed=("observed", "mean"))
    )
    ece = float((table["n"] * (table["predicted"] - table["observed"]).abs()).sum() / len(y))
    return table, ece


def precision_threshold(
    p: np.ndarray, went_quiet: np.ndarray, precision: float, min_alerts: int
) -> float | None:
    """The lowest probability ``t`` such that, of the partners scored at least ``t``, at least
    ``precision`` went quiet (and there are at least ``min_alerts`` of them); None when no
    such set exists. A probability says how likely the label is, and the label also counts
    a lumpy quarter of revenue: a threshold read from who really went quiet is what makes
    "at risk" mean what a manager reads in it."""
    order = np.argsort(-np.asarray(p, dtype=float), kind="stable")
    ranked, hits = np.asarray(p, dtype=float)[order], np.asarray(went_quiet, dtype=float)[order]
    count = np.arange(1, len(hits) + 1)
    share = np.cumsum(hits) / count
    boundary = np.append(ranked[:-1] > ranked[1:], True)  # a threshold cannot split ties
    ok = np.flatnonzero((share >= precision) & (count >= min_alerts) & boundary)
    return float(ranked[ok[-1]]) if len(ok) else None


def heuristic_risk(features: pd.DataFrame, horizon_days: float) -> pd.Series:
    """P(no won deal within ``horizon_days``) from each partner's own rhythm — the fallback when
    there is too little labelled history to learn from.

    A live partner is assumed to buy as a Poisson process at one deal per usual gap (its mean gap;
    for partners with one deal, the program's median gap; with no repeat buyer anywhere, the
    horizon). It is alive with probability 1 until it is overdue, then loses a factor e for every
    further usual gap of silence: ``alive = exp(-max(0, recency / gap - 1))``. So
    ``P(inactive) = 1 - alive * (1 - exp(-horizon / gap))``: rising with silence, falling with
    buying frequency, and never claiming more than the rhythm supports."""
    gap = features["gap_mean"]
    fallback_gap = gap.median() if gap.notna().any() else float(horizon_days)
    gap = gap.fillna(fallback_gap).clip(lower=1.0)
    recency = features["recency_days"].fillna(features["tenure_days"]).fillna(0.0)
    alive = np.exp(-np.maximum(0.0, recency / gap - 1.0))
    p = 1.0 - alive * (1.0 - np.exp(-float(horizon_days) / gap))
    return p.rename("p_at_risk")


# ----------------------------------------------------------------------------- the model


@dataclass
class RiskModel:
    """Fit on history before ``as_of``; score P(label over the next ``horizon_days``).

    ``method`` is ``"model"`` when a classifier was learned and ``"heuristic"`` when labelled
    history was too short (see :func:`heuristic_risk`); ``model_card`` records the training
    window, snapshots, validation metrics, features, version and :func:`library_versions`."""

    config: RiskConfig = field(default_factory=RiskConfig)
    method: Method | None = None
    family: str | None = None
    as_of: pd.Timestamp | None = None
    pipeline: Pipeline | None = None  # the fitted classifier pipeline (before calibration)
    alert_threshold: float | None = None
    """:func:`precision_threshold` of ``p_quiet`` on the held-out calibration snapshot, when
    ``config.alert_precision`` is set and a learned model reached it."""
    model_card: dict[str, Any] = field(default_factory=dict)
    _estimator: Any = field(default=None, init=False, repr=False)  # calibrated pipeline
    _quiet: Any = field(default=None, init=False, repr=False)  # calibrated P(quiet), if any

    def fit(self, events: pd.DataFrame, as_of: pd.Timestamp) -> RiskModel:
        """Choose a family on the internal back-test, then fit it on every snapshot before
        ``as_of`` — or fall back to the heuristic when the labelled history is too short."""
        cfg = self.config
        as_of = pd.Timestamp(as_of).normalize()
        past = _training_sample(_before(events, as_of), cfg)  # nothing on or after as_of
        cache: dict[pd.Timestamp, Snapshot] = {}
        validation = self._validate(past, as_of, cache)
        train = training_frame(
            past, as_of, cfg.horizon_days, cfg.n_snapshots, config=cfg, cache=cache
        )
        self.as_of = as_of
        self.model_card = {
            "version": MODEL_VERSION,
            "label": cfg.label,
            "as_of": as_of.date().isoformat(),
            "horizon_days": cfg.horizon_days,
            "config": asdict(cfg),
            "validation": validation,
            "training": _describe_training(train),
            "libraries": library_versions(),
        }
        reason = _too_short(train, cfg)
        if reason is not None:
            self.method, self.family, self.pipeline, self._estimator = "heuristic", None, None, None
            self.alert_threshold, self._quiet = None, None
            self.model_card |= {"method": "heuristic", "fallback_reason": reason, "features": []}
            return self

        family = validation.get("chosen") or cfg.families[0]
        members = cfg.families if family == BLEND else (family,)
        fitted = {member: _fit_family(train, member, cfg) for member in members}
        self.method, self.family = "model", family
        first = fitted[members[0]]
        self.pipeline = first.pipeline
        estimators = tuple(f.estimator for f in fitted.values())
        self._estimator = estimators[0] if len(estimators) == 1 else Blend(estimators)
        self._fit_quiet(train)
        features: dict[str, None] = {}
        for member in fitted.values():
            inputs = member.pipeline.named_steps["inputs"].transform(train.head(1))
            features |= dict.fromkeys(inputs.columns)
        self.model_card |= {
            "method": "model",
            "family": family,
            "fallback_reason": None,
            "calibration": {member: f.calibration for member, f in fitted.items()},
            "features": list(features),
            "alert_threshold": self.alert_threshold,
        }
        if "logistic" in fitted:
            logistic = fitted["logistic"].pipeline
            inputs = logistic.named_steps["inputs"].transform(train.head(1))
            coef = logistic.named_steps["classifier"].coef_[0]
            self.model_card["coefficients"] = dict(
                zip(inputs.columns, np.round(coef, 4).tolist(), strict=True)
            )
        return self

    def _fit_quiet(self, train: pd.DataFrame) -> None:
        """P(quiet) and the alert threshold read from it, when ``alert_precision`` is set. A
        separate model because the label also counts revenue drops, which on partners with
        lumpy revenue are most of its positives: ranked by the label, the riskiest partners
        were mostly steady ones with a thin quarter, and few of them went quiet."""
        cfg = self.config
        self.alert_threshold, self._quiet = None, None
        if cfg.alert_precision is None or train["quiet"].nunique() < 2:
            return  # no partner ever went quiet (or all did): nothing to tell them apart by
        fitted = _fit_family(train.assign(y=train["quiet"]), "logistic", cfg)
        self._quiet = fitted.estimator
        if not fitted.held.empty:
            p = self._quiet.predict_proba(fitted.held)[:, 1]
            went_quiet = fitted.held["quiet"].to_numpy()
            self.alert_threshold = precision_threshold(
                p, went_quiet, cfg.alert_precision, cfg.min_alerts
            )

    @property
    def estimator(self) -> Any:
        """What scores: the calibrated pipeline, or the :class:`Blend` of them (None for the
        heuristic) — what a run persists."""
        return self._estimator

    def _validate(
        self, past: pd.DataFrame, as_of: pd.Timestamp, cache: dict[pd.Timestamp, Snapshot]
    ) -> dict[str, Any]:
        """Back-test every family with a cut-off ``validation_days`` before ``as_of``: train on
        snapshots before that cut-off, score it, compare with the window up to ``as_of``."""
        cfg = self.config
        days = min(cfg.validation_days, cfg.horizon_days)
        cutoff = as_of - days * DAY
        out: dict[str, Any] = {"cutoff": cutoff.date().isoformat(), "horizon_days": days}
        train = training_frame(past, cutoff, days, cfg.n_snapshots, config=cfg, cache=cache)
        reason = _too_short(train, cfg)
        if reason is not None:
            return out | {"skipped": reason, "chosen": None}
        snap = build_snapshot(past, cutoff, cfg)
        if snap.process is None:
            return out | {"skipped": "no purchase-process fit at the cut-off", "chosen": None}
        test = horizon_frame(snap, days, cfg)
        y = outcome(past, cutoff, days, test.index, cfg)
        keep = y.notna().to_numpy()
        test, y = test.loc[keep], y.loc[keep].astype(int).to_numpy()
        if len(np.unique(y)) < 2:
            return out | {"skipped": "one class only in the validation window", "chosen": None}
        scores: dict[str, dict[str, float]] = {}
        probabilities = {
            family: _fit_family(train, family, cfg).estimator.predict_proba(test)[:, 1]
            for family in cfg.families
        }
        if len(probabilities) > 1:
            probabilities[BLEND] = np.mean(list(probabilities.values()), axis=0)
        for candidate, p in probabilities.items():
            scores[candidate] = metrics(y, p)
        recency = test["recency_days"].fillna(test["tenure_days"]).to_numpy()
        scores["recency"] = metrics(y, recency, probabilities=False)
        scores["bgnbd_expected"] = metrics(y, -test["expected"].to_numpy(), probabilities=False)
        scores["heuristic"] = metrics(y, heuristic_risk(test, days).to_numpy())
        chosen = max(probabilities, key=lambda f: scores[f]["roc_auc"])
        table = reliability(y, probabilities[chosen])[0]
        deciles = {col: table[col].round(3).tolist() for col in ("predicted", "observed")}
        return out | {
            "metrics": scores,
            "chosen": chosen,
            "reliability": deciles,  # the chosen family's, by decile of its probability
            "training": _describe_training(train),
        }

    def predict_proba(self, events: pd.DataFrame, as_of: pd.Timestamp | None = None) -> pd.Series:
        """P(label over the next ``horizon_days``) per partner known before ``as_of`` (default:
        the fit date). Only events before ``as_of`` are read."""
        return self.score(events, as_of)["p_at_risk"]

    def score(self, events: pd.DataFrame, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
        """``p_at_risk`` and the ``method`` that produced it, per partner, and ``p_quiet`` when
        a learned model with ``alert_precision`` scored (see :meth:`_fit_quiet`). For the
        ``revenue_drop`` label, partners without trailing revenue get NaN: a drop from nothing
        is undefined."""
        return self.score_with_features(events, as_of)[0]

    def score_with_features(
        self, events: pd.DataFrame, as_of: pd.Timestamp | None = None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """:meth:`score` and the snapshot features it scored (what explanations are made of),
        so a nightly run builds the snapshot once."""
        if self.method is None or self.as_of is None:
            raise RuntimeError("RiskModel.fit must run before scoring")
        cfg = self.config
        as_of = self.as_of if as_of is None else pd.Timestamp(as_of).normalize()
        past = _before(events, as_of)
        snap = build_snapshot(past, as_of, cfg)
        frame = horizon_frame(snap, cfg.horizon_days, cfg)
        if self.method == "heuristic" or snap.process is None:
            p, method = heuristic_risk(frame, cfg.horizon_days).to_numpy(), "heuristic"
        else:
            p, method = self._estimator.predict_proba(frame)[:, 1], "model"
        out = pd.DataFrame({"p_at_risk": p, "method": method}, index=frame.index)
        if self._quiet is not None and method == "model":
            out["p_quiet"] = self._quiet.predict_proba(frame)[:, 1]
        if cfg.label == "revenue_drop":
            trailing = trailing_revenue(
                past,
                as_of,
                cfg.horizon_days,
                frame.index,
                won_kind=cfg.won_kind,
                trailing_periods=cfg.trailing_periods,
            )
            undefined = (trailing["average"] <= 0) | (trailing["deals"] < cfg.min_trailing_deals)
            out.loc[undefined.to_numpy(), "p_at_risk"] = np.nan
        return out, snap.features


def _training_sample(past: pd.DataFrame, cfg: RiskConfig) -> pd.DataFrame:
    """The events of a seeded random share of partners when every partner in every snapshot
    would exceed ``max_training_rows``. Sampling partners *before* building snapshots keeps a
    100,000-partner fit to the cost of a 25,000-partner one; the classifier and the purchase
    process describe the population, which a large sample describes as well. Scoring still
    covers every partner."""
    partners = np.sort(past["partner_id"].unique())
    share = cfg.max_training_rows / max(1, len(partners) * cfg.n_snapshots)
    if share >= 1:
        return past
    rng = np.random.default_rng(cfg.seed)
    kept = partners[rng.random(len(partners)) < share]
    return past.loc[past["partner_id"].isin(kept)]


def _too_short(train: pd.DataFrame, cfg: RiskConfig) -> str | None:
    """Why ``train`` cannot support a learned model, or None if it can."""
    if train.empty:
        return "no labelled snapshot: history shorter than min_history_days + min_label_days"
    n_snaps = train.index.get_level_values("snapshot").nunique()
    if n_snaps < 2:
        return f"{n_snaps} labelled snapshot(s); at least 2 are needed"
    counts = train["y"].value_counts()
    smallest = int(min(counts.get(0, 0), counts.get(1, 0)))
    if smallest < cfg.min_class_examples:
        return f"only {smallest} examples of the rarer class (< {cfg.min_class_examples})"
    if train["logit_silent"].isna().all():
        return "purchase-process model could not be fitted on any snapshot"
    return None


def _describe_training(train: pd.DataFrame) -> dict[str, Any]:
    if train.empty:
        return {"rows": 0, "snapshots": []}
    snaps = train.index.get_level_values("snapshot")
    per = train.groupby(level="snapshot").agg(days=("label_days", "first"), rate=("y", "mean"))
    return {
        "rows": len(train),
        "partners": int(train.index.get_level_values("partner_id").nunique()),
        "positive_rate": round(float(train["y"].mean()), 4),
        "first_snapshot": snaps.min().date().isoformat(),
        "last_snapshot": snaps.max().date().isoformat(),
        "snapshots": [s.date().isoformat() for s in per.index],
        "label_days": [int(d) for d in per["days"]],
        "positive_rate_by_snapshot": [round(float(r), 3) for r in per["rate"]],
    }


# ----------------------------------------------------------------------------- stored models


class IncompatibleModelError(RuntimeError):
    """A stored model was pickled by library versions this installation cannot trust."""


def library_versions() -> dict[str, str]:
    """The versions a pickled model depends on, recorded in its model card: a stored run then
    says what produced it, and :func:`load_estimator` can tell whether it may be unpickled."""
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }


def _release(version: str, parts: int) -> tuple[str, ...]:
    return tuple(version.split(".")[:parts])


def load_estimator(blob: bytes, card: Mapping[str, Any]) -> Any:
    """Unpickle a stored run's estimator (``RiskRun.model``, its ``card`` beside it), or raise
    :class:`IncompatibleModelError` without unpickling when the card's scikit-learn minor or
    numpy major version differs from this installation's (or is not recorded): estimators'
    internals change between scikit-learn minor versions and numpy 2 changed how arrays pickle,
    so such a model may fail to load or, worse, score wrongly. Retraining needs the program's
    events, which only the caller has: ``partnerbot score`` fits a new model."""
    stored, here = card.get("libraries") or {}, library_versions()
    problems = [
        f"{name} {stored.get(name, 'unrecorded')} (this installation: {here[name]})"
        for name, parts in (("scikit-learn", 2), ("numpy", 1))
        if _release(stored.get(name, ""), parts) != _release(here[name], parts)
    ]
    if problems:
        raise IncompatibleModelError(
            f"Not unpickling a risk model stored with {', '.join(problems)}: a model is only "
            "loaded by the scikit-learn minor and numpy major version that pickled it. Retrain "
            "it on this installation with `partnerbot score`."
        )
    return joblib.load(io.BytesIO(blob))
