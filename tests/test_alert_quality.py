"""Alerts a manager can trust (issue 18): which at-risk partners are alerted on, and the one
measure of alert quality — the share of stable partners alerted, recall of injected drops and
the delay — on hand-made data (no database, no model fit)."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from insights.alert_rules import AT_RISK, findings
from insights.backtest import evaluate_alerts
from insights.risk_model import RiskModel, precision_threshold
from insights.risk_scoring import alerting, risk_band


def test_the_alert_threshold_is_read_from_who_went_quiet() -> None:
    p = np.array([0.9, 0.8, 0.8, 0.7, 0.6, 0.5, 0.4])
    quiet = np.array([1, 1, 0, 1, 0, 0, 0])
    # from 0.7 down: 3 of 4 went quiet; from 0.6: 3 of 5; 0.8 cannot be split.
    assert precision_threshold(p, quiet, 0.75, min_alerts=1) == 0.7
    assert precision_threshold(p, quiet, 0.6, min_alerts=1) == 0.6
    assert precision_threshold(p, quiet, 0.6, min_alerts=6) is None
    assert precision_threshold(p, quiet, 1.0, min_alerts=1) == 0.9


def test_an_alert_needs_the_partner_likely_to_go_quiet() -> None:
    scored = pd.DataFrame(
        {"p_at_risk": [0.9, 0.9, 0.7, 0.5], "p_quiet": [0.2, 0.7, 0.65, 0.9]},
        index=[1, 2, 3, 4],
    )
    model = RiskModel()
    assert alerting(scored, model, 0.6).tolist() == [False, True, True, False]
    model.alert_threshold = 0.68  # the held-out partners needed more to be 60 % quiet
    assert alerting(scored, model, 0.6).tolist() == [False, True, False, False]
    heuristic = scored.drop(columns="p_quiet")  # no quiet model: the probability itself
    assert alerting(heuristic, model, 0.6).tolist() == [True, True, True, False]
    bands = risk_band(scored["p_at_risk"].to_numpy(), 0.6, alerting(scored, model, 0.6))
    assert bands.tolist() == ["medium", "high", "medium", "medium"]


def test_only_the_high_band_raises_an_at_risk_alert() -> None:
    scores = pd.DataFrame(
        {
            "risk": [0.9, 0.9],
            "risk_band": ["medium", "high"],
            "top_factors": [["won less"], ["won less"]],
            "drift_flags": [[], []],
        },
        index=[1, 2],
    )
    assert [(f.partner_id, f.condition) for f in findings(scores, 0.6)] == [(2, AT_RISK)]


def test_alert_quality_counts_every_alert_a_stable_partner_receives() -> None:
    days = [date(2026, m, d) for m in range(1, 7) for d in (1, 15)]
    truth = pd.DataFrame(
        {
            "pattern": ["stable"] * 4 + ["drop", "churned", "drop"],
            "onset": [None] * 4 + ["2026-02-01", "2026-02-01", "2026-03-01"],
        },
        index=pd.Index(range(1, 8), name="partner_id"),
    )
    alerts = pd.DataFrame(
        [
            ("2026-01-15", 1, "drift:deals"),  # assessed 14 Jan: Q1, January
            ("2026-02-01", 1, AT_RISK),  # assessed 31 Jan: the same partner, January again
            ("2026-04-01", 2, AT_RISK),  # assessed 31 Mar: Q1, March
            ("2026-04-15", 3, "drift:registrations"),  # Q2, April
            ("2026-02-15", 5, AT_RISK),  # 14 days after onset
            ("2026-04-15", 6, "drift:activity"),  # too late: 2.5 months after onset
            ("2026-01-15", 7, AT_RISK),  # before onset: not a catch
            ("2026-03-15", 7, "drift:deals"),  # a burst: no catch of a drop either
        ],
        columns=["day", "partner_id", "condition"],
    ).assign(day=lambda f: pd.to_datetime(f["day"]), drop=lambda f: f.index != 7)
    found = evaluate_alerts(alerts, truth, days)
    assert (found.steady, found.drops) == (4, 3)
    assert found.quarters.loc[pd.Period("2026Q1"), "any"] == pytest.approx(2 / 4)
    assert found.quarters.loc[pd.Period("2026Q1"), "at_risk"] == pytest.approx(2 / 4)
    assert found.quarters.loc[pd.Period("2026Q1"), "drift"] == pytest.approx(1 / 4)
    assert found.quarters.loc[pd.Period("2026Q2"), "any"] == pytest.approx(1 / 4)
    assert found.months.loc[pd.Period("2026-01"), "any"] == pytest.approx(1 / 4)
    assert found.months.loc[pd.Period("2026-05"), "any"] == 0
    assert found.recall == pytest.approx(1 / 3)
    assert found.delay_months == pytest.approx(14 / 30.44)
