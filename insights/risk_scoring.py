"""The nightly assessment of every active partner: at-risk probability, band, reasons and drift
flags, as of one date.

Why it sits apart from the model: the model knows events, not partners. This module decides
*who* is scored (active partners who had signed by the date), what a partner with no history at
all gets, how a probability becomes a band the program's alert threshold understands, and joins
the reasons and the drift flags — the row a manager's alert, the digest and ``partnerbot score
--out`` all show. Pure pandas in and out; the database side is :mod:`insights.risk_store`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from config.program import Program
from insights.drift.config import DriftConfig
from insights.drift.detect import detect_drift
from insights.program_events import REGISTERED, WON, peer_groups
from insights.risk_factors import top_factors
from insights.risk_features import DAY
from insights.risk_model import RiskConfig, RiskModel
from models.enums import PartnerStatus

BANDS = ("low", "medium", "high")
MIN_TRAILING_DEALS = 4
"""A revenue drop counts only for partners with at least this many won deals in the trailing
year: below that, an empty quarter is the partner's rhythm (its inactivity still counts)."""


def risk_config(program: Program, *, seed: int = 0) -> RiskConfig:
    """The model a partner program runs: the ``at_risk`` label (no won deal and no registration
    over the horizon, or revenue below half its trailing average) over
    ``alerts.churn_horizon_days``, with registrations as a feature. Eight four-weekly snapshots
    on at most 15,000 sampled partners keep a nightly fit near-constant in program size (the
    population is learned as well from a sample); every partner is still scored. The program's
    threshold doubles as the precision the alerts must have (:func:`alerting`)."""
    return RiskConfig(
        horizon_days=program.alerts.churn_horizon_days,
        n_snapshots=8,
        step_days=28,
        validation_days=84,  # a multiple of step_days: the back-test reuses the snapshots
        max_training_rows=120_000,
        label="at_risk",
        won_kind=WON,
        registration_kind=REGISTERED,
        extra_kinds=(REGISTERED,),
        revenue_drop_ratio=program.alerts.revenue_drop_ratio,
        min_trailing_deals=MIN_TRAILING_DEALS,
        alert_precision=program.alerts.risk_threshold,
        seed=seed,
    )


def alerting(scored: pd.DataFrame, model: RiskModel, threshold: float) -> np.ndarray:
    """Which scored partners are at risk enough to alert on: at least ``threshold`` likely to
    go quiet (``p_quiet``), and no less likely than the model's own alert threshold — the
    lowest P(quiet) from which that share of the held-out partners really went quiet. The
    at-risk label also counts a thin quarter of revenue, which on a steady partner with lumpy
    deals is common: ranked by it, the riskiest partners were mostly steady ones, and a
    manager reads "at risk" as "likely to go quiet". Without ``p_quiet`` (the heuristic),
    the at-risk probability itself is held to ``threshold``."""
    if "p_quiet" not in scored.columns:
        return (scored["p_at_risk"] >= threshold).to_numpy()
    bar = max(threshold, model.alert_threshold or threshold)
    quiet = scored["p_quiet"].fillna(scored["p_at_risk"])
    return ((quiet >= bar) & (scored["p_at_risk"] >= threshold)).to_numpy()


def risk_band(risk: np.ndarray, threshold: float, alert: np.ndarray) -> np.ndarray:
    """``high`` from the program's alert threshold up where ``alert`` (:func:`alerting`) says
    so, ``medium`` from half of it, else ``low``."""
    high = (risk >= threshold) & alert
    return np.select([high, risk >= threshold / 2], ["high", "medium"], "low")


@dataclass(frozen=True)
class RiskAssessment:
    """One run's result. ``scores`` is indexed by partner_id with ``risk`` (0–1), ``risk_band``,
    ``method`` (model or heuristic), ``top_factors`` (list of sentences, for medium and high
    bands) and ``drift_flags`` (list of dicts: metric, detector, expected, observed,
    magnitude, since)."""

    as_of: date
    scores: pd.DataFrame
    model: RiskModel
    seconds: dict[str, float]

    @property
    def card(self) -> dict[str, Any]:
        return self.model.model_card


def _scored_partners(partners: pd.DataFrame, as_of: pd.Timestamp) -> pd.Index:
    """Active partners who had signed before ``as_of`` (unknown signing dates count)."""
    active = partners["status"].astype(str) == PartnerStatus.ACTIVE.value
    signed = partners["signed_at"].isna() | (partners["signed_at"] < as_of)
    return partners.index[active & signed]


def _no_history(partners: pd.DataFrame, ids: pd.Index, as_of: pd.Timestamp, horizon: int) -> Any:
    """Partners with no event at all: the longer they have been signed without a single deal,
    the likelier they stay silent — ``1 - exp(-tenure / horizon)``."""
    tenure = ((as_of - partners.loc[ids, "signed_at"]) / DAY).fillna(horizon).clip(lower=0)
    risk = 1.0 - np.exp(-tenure.to_numpy(float) / horizon)
    factors = [[f"no deal registered in {t:.0f} days since signing"] for t in tenure]
    return risk, factors


def _flags_by_partner(flags: pd.DataFrame, ids: pd.Index) -> pd.Series:
    """Drift flags as a list of plain dicts per partner (empty list when none)."""
    empty = pd.Series([[] for _ in ids], index=ids, dtype=object)
    if flags.empty:
        return empty
    plain = flags.assign(since=flags["since"].dt.strftime("%Y-%m-%d")).round(
        {"expected": 2, "observed": 2, "magnitude": 3, "score": 3}
    )
    columns = ["metric", "detector", "expected", "observed", "magnitude", "since"]
    # A rise from an expected zero has no relative size: None, which JSON can hold.
    shown = plain[columns].astype(object)
    records = shown.where(shown.notna(), None).to_dict("records")
    grouped: dict[int, list[dict[str, Any]]] = {}
    for partner, record in zip(plain["partner_id"].to_numpy(), records, strict=True):
        grouped.setdefault(int(partner), []).append(record)
    return pd.Series(
        [grouped.get(int(p), []) for p in ids], index=ids, dtype=object, name="drift_flags"
    )


def assess(
    events: pd.DataFrame,
    partners: pd.DataFrame,
    as_of: date,
    program: Program,
    *,
    seed: int = 0,
    drift: DriftConfig | None = None,
    threads: int = 1,
) -> RiskAssessment:
    """The assessment at the end of day ``as_of``: fit the at-risk model on history dated on or
    before it, score every active partner, explain the medium and high ones and attach drift
    flags. Reads nothing dated after ``as_of``; the same data and seed give the same result.

    ``threads`` caps the native thread pools (OpenMP, BLAS): their workers spin while they
    wait, and on a machine shared with the web process a fit with every core took five times
    longer than with one."""
    cutoff = pd.Timestamp(as_of) + DAY  # the models read events strictly before their cut-off
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    past = events.loc[events["date"] < cutoff]
    ids = _scored_partners(partners, cutoff)
    past = past.loc[past["partner_id"].isin(ids)]
    config = risk_config(program, seed=seed)
    with threadpool_limits(limits=threads):
        model = RiskModel(config).fit(past, cutoff)
        scored, features = model.score_with_features(past, cutoff)
    seconds["model"] = time.perf_counter() - started

    mark = time.perf_counter()
    known = ids.intersection(scored.index)
    unknown = ids.difference(scored.index)
    risk = pd.Series(np.nan, index=ids)
    risk[known] = scored.loc[known, "p_at_risk"]
    method = pd.Series(model.method or "heuristic", index=ids)
    method[known] = scored.loc[known, "method"]
    silent_risk, silent_factors = _no_history(partners, unknown, cutoff, config.horizon_days)
    risk[unknown] = silent_risk
    method[unknown] = "no history"
    threshold = program.alerts.risk_threshold
    alert = pd.Series(False, index=ids)
    alert[known] = alerting(scored.loc[known], model, threshold)
    alert[unknown] = risk[unknown] >= threshold
    band = pd.Series(risk_band(risk.to_numpy(), threshold, alert.to_numpy()), index=ids)

    factors = pd.Series([[] for _ in ids], index=ids, dtype=object)
    explain = band.index[(band != "low") & band.index.isin(known)]
    if len(explain):
        peers = peer_groups(partners)
        currency = program.info.currency
        factors[explain] = top_factors(past, cutoff, explain, features, peers, currency)
    factors[unknown] = pd.Series(silent_factors, index=unknown, dtype=object)
    seconds["reasons"] = time.perf_counter() - mark

    mark = time.perf_counter()
    with threadpool_limits(limits=threads):
        flags = detect_drift(past, cutoff, peer_groups(partners), drift or DriftConfig(seed=seed))
    seconds["drift"] = time.perf_counter() - mark

    scores = pd.DataFrame(
        {
            "risk": risk.clip(0, 1),
            "risk_band": band,
            "method": method,
            "top_factors": factors,
            "drift_flags": _flags_by_partner(flags, ids),
        }
    )
    scores.index.name = "partner_id"
    seconds["total"] = time.perf_counter() - started
    return RiskAssessment(as_of=as_of, scores=scores, model=model, seconds=seconds)
