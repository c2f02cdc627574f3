"""At-risk model: point-in-time features, no look-ahead, determinism and the short-history
fallback. Everything runs on small hand-made or simulated programs (no database)."""

import io
import json
from collections.abc import Iterator
from dataclasses import replace

import joblib
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import check_grad
from threadpoolctl import threadpool_limits

from insights.purchase_process import BetaGeometricNBD, _log_likelihood
from insights.risk_features import risk_features
from insights.risk_model import (
    BLEND,
    IncompatibleModelError,
    RiskConfig,
    RiskModel,
    build_snapshot,
    heuristic_risk,
    horizon_frame,
    inactive_label,
    library_versions,
    load_estimator,
    revenue_drop_label,
    training_frame,
)

D0 = pd.Timestamp("2024-01-01")


def day(n: int) -> pd.Timestamp:
    return D0 + pd.Timedelta(days=n)


def events_frame(rows: list[tuple[str, int, float]], kind: str | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["partner_id", "day", "amount"])
    frame["date"] = D0 + pd.to_timedelta(frame.pop("day"), unit="D")
    if kind is not None:
        frame["kind"] = kind
    return frame


def simulated_program(n: int = 400, days: int = 540, seed: int = 7) -> pd.DataFrame:
    """Partners buying as Poisson processes (heterogeneous rates) until an exponential dropout,
    joining over the first 60 days."""
    rng = np.random.default_rng(seed)
    join = rng.integers(0, 60, n)
    rate = rng.gamma(1.0, 1 / 25, n)
    life = rng.exponential(250, n)
    rows = []
    for i in range(n):
        t = float(join[i])
        rows.append((f"p{i:04d}", int(t), float(rng.gamma(2, 50))))
        while True:
            t += rng.exponential(1 / rate[i])
            if t >= min(days, join[i] + life[i]):
                break
            rows.append((f"p{i:04d}", int(t), float(rng.gamma(2, 50))))
    return events_frame(rows)


# ----------------------------------------------------------------------------- features


def test_features_on_a_hand_made_history() -> None:
    events = events_frame(
        [
            ("a", 1, 10.0),
            ("a", 11, 20.0),
            ("a", 31, 30.0),
            ("a", 31, 5.0),  # same day: one occasion of 35
            ("a", 45, 99.0),  # after as_of: invisible
            ("b", 20, 7.0),
        ]
    )
    f = risk_features(events, day(41))
    assert list(f.index) == ["a", "b"]
    a, b = f.loc["a"], f.loc["b"]
    assert a["recency_days"] == 10
    assert a["tenure_days"] == 40
    assert a["span_days"] == 30
    assert (a["occasions"], a["repeat_occasions"], a["won_events"]) == (3, 2, 4)
    assert a["amount_total"] == pytest.approx(65.0)
    assert a["amount_mean"] == pytest.approx(65.0 / 3)
    assert a["amount_last"] == pytest.approx(35.0)
    assert (a["gap_mean"], a["gap_last"], a["gap_max"]) == (15, 20, 20)
    assert a["gap_trend"] == pytest.approx(2.0)  # last gap 20 vs earlier mean 10
    assert a["gap_ratio"] == pytest.approx(10 / 15)
    assert a["occasions_30d"] == 2  # days 11 (30 days back) and 31
    assert a["amount_30d"] == pytest.approx(55.0)
    assert (b["recency_days"], b["tenure_days"], b["repeat_occasions"]) == (21, 21, 0)
    assert np.isnan(b["gap_mean"])
    assert np.isnan(b["gap_ratio"])


def test_other_event_kinds_are_optional_features() -> None:
    won = events_frame([("a", 1, 10.0), ("a", 11, 20.0)], kind="won")
    registered = events_frame([("a", 5, 0.0), ("c", 30, 0.0), ("c", 35, 0.0)], "registration")
    events = pd.concat([won, registered], ignore_index=True)
    plain = risk_features(events, day(41))
    assert list(plain.index) == ["a"]  # registrations ignored unless asked for
    f = risk_features(events, day(41), extra_kinds=("registration",))
    assert list(f.index) == ["a", "c"]
    assert f.loc["a", "registration_count_90d"] == 1
    assert f.loc["c", "registration_count_30d"] == 2
    assert f.loc["c", "registration_recency_days"] == 6
    assert f.loc["c", "occasions"] == 0
    assert np.isnan(f.loc["c", "recency_days"])
    assert f.loc["c", "tenure_days"] == 11


def test_labels() -> None:
    events = events_frame([("a", 1, 100.0), ("a", 50, 10.0), ("b", 1, 100.0), ("b", 45, 90.0)])
    partners = pd.Index(["a", "b", "c"])
    assert inactive_label(events, day(40), 20, partners).tolist() == [0, 0, 1]
    drop = revenue_drop_label(events, day(40), 20, partners, trailing_periods=2)
    # trailing average over days 0..39 in two 20-day windows: a 50, b 50; c has none.
    assert drop.loc["a"] == 1
    assert drop.loc["b"] == 0
    assert np.isnan(drop.loc["c"])


# ----------------------------------------------------------------------------- purchase process


def test_bgnbd_gradient_and_probabilities() -> None:
    x = np.array([0.0, 1.0, 3.0, 7.0])
    t_x = np.array([0.0, 4.0, 10.0, 30.0])
    big_t = np.array([20.0, 20.0, 30.0, 31.0])
    w = np.ones(4)
    params = np.log([0.5, 3.0, 0.8, 2.0])
    err = check_grad(
        lambda p: _log_likelihood(p, x, t_x, big_t, w)[0],
        lambda p: _log_likelihood(p, x, t_x, big_t, w)[1],
        params,
    )
    assert err < 1e-4
    model = BetaGeometricNBD(r=0.5, alpha=3.0, a=0.8, b=2.0, log_likelihood=0.0, n_partners=4)
    assert model.p_alive(x, t_x, big_t)[0] == 1.0  # no repeat purchase: cannot have dropped out
    short, long = model.p_no_purchase(x, t_x, big_t, 4.0), model.p_no_purchase(x, t_x, big_t, 40.0)
    assert np.all((long <= short) & (long > 0) & (short < 1))
    assert np.all(model.expected_purchases(x, t_x, big_t, 10.0) > 0)


# ----------------------------------------------------------------------------- the model


CONFIG = RiskConfig(horizon_days=91, n_snapshots=8, step_days=21, validation_days=56)


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """OpenMP boosting on a busy shared machine can spin for seconds; one thread is plenty."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def program() -> pd.DataFrame:
    return simulated_program(n=300)


@pytest.fixture(scope="module")
def fitted(program: pd.DataFrame) -> tuple[RiskModel, pd.Series]:
    model = RiskModel(CONFIG).fit(program, day(360))
    return model, model.predict_proba(program, day(360))


def test_trains_on_past_snapshots_only(fitted: tuple[RiskModel, pd.Series]) -> None:
    model, scores = fitted
    assert model.method == "model"
    training = model.model_card["training"]
    for snapshot, days in zip(training["snapshots"], training["label_days"], strict=True):
        assert pd.Timestamp(snapshot) + pd.Timedelta(days=days) <= day(360)
    assert model.model_card["validation"]["chosen"] in (*CONFIG.families, BLEND)
    assert scores.between(0, 1).all()
    assert scores.index.is_unique


def test_a_stored_model_loads_only_with_the_library_versions_that_pickled_it(
    program: pd.DataFrame, fitted: tuple[RiskModel, pd.Series]
) -> None:
    model = fitted[0]
    buffer = io.BytesIO()
    joblib.dump(model.estimator, buffer, compress=3)  # as insights.risk_store stores a run
    card = json.loads(json.dumps(model.model_card, default=str))
    assert card["libraries"] == library_versions()
    snapshot = build_snapshot(program[program["date"] < day(360)], day(360), CONFIG)
    frame = horizon_frame(snapshot, CONFIG.horizon_days, CONFIG)
    loaded = load_estimator(buffer.getvalue(), card)
    np.testing.assert_array_equal(loaded.predict_proba(frame), model.estimator.predict_proba(frame))

    here = library_versions()
    major, minor, *_ = here["scikit-learn"].split(".")
    older = f"{major}.{int(minor) - 1}.2"
    other_numpy = "1.26.4" if here["numpy"].startswith("2.") else "2.1.0"
    for libraries, named in [
        (here | {"scikit-learn": older}, f"scikit-learn {older}"),
        (here | {"numpy": other_numpy}, f"numpy {other_numpy}"),
        ({}, "scikit-learn unrecorded"),
    ]:
        with pytest.raises(IncompatibleModelError, match=named):  # b"": never unpickled
            load_estimator(b"", card | {"libraries": libraries})
    patch = here | {"scikit-learn": f"{major}.{minor}.99", "python": "3.99.0"}
    assert load_estimator(buffer.getvalue(), card | {"libraries": patch}) is not None


def test_events_after_as_of_change_nothing(
    program: pd.DataFrame, fitted: tuple[RiskModel, pd.Series]
) -> None:
    model, scores = fitted
    future = events_frame(
        [(pid, 360 + k, 1e6) for k, pid in enumerate(program["partner_id"].unique()[:200])]
        + [("newcomer", 361, 5.0), ("newcomer", 400, 5.0)]
    )
    more = pd.concat([program, future], ignore_index=True).sample(frac=1.0, random_state=1)
    again = RiskModel(CONFIG).fit(more, day(360))
    pd.testing.assert_series_equal(again.predict_proba(more, day(360)), scores, check_exact=True)
    assert again.model_card == model.model_card
    pd.testing.assert_frame_equal(
        training_frame(more, day(360), 91, 4, config=CONFIG),
        training_frame(program, day(360), 91, 4, config=CONFIG),
    )


@pytest.mark.slow
def test_same_data_and_seed_give_identical_scores(program: pd.DataFrame) -> None:
    # The logistic family is deterministic by construction (the leakage test refits it and
    # compares exactly); boosting is the family with a random state.
    boosted = replace(CONFIG, families=("boosting",), seed=3)
    first = RiskModel(boosted).fit(program, day(360)).predict_proba(program, day(360))
    second = RiskModel(boosted).fit(program, day(360)).predict_proba(program, day(360))
    pd.testing.assert_series_equal(first, second, check_exact=True)


def test_short_history_falls_back_to_the_heuristic(program: pd.DataFrame) -> None:
    young = program.loc[program["date"] < day(40)]
    model = RiskModel(CONFIG).fit(young, day(40))
    assert model.method == "heuristic"
    assert model.model_card["fallback_reason"]
    scored = model.score(young)
    assert (scored["method"] == "heuristic").all()
    expected = heuristic_risk(risk_features(young, day(40)), CONFIG.horizon_days)
    pd.testing.assert_series_equal(scored["p_at_risk"], expected)


def test_heuristic_follows_the_partners_rhythm() -> None:
    # a: every 10 days, last 5 days ago; b: same rhythm, 30 days silent; c: one deal.
    rows = [("a", 75), ("a", 85), ("a", 95), ("b", 50), ("b", 60), ("b", 70), ("c", 90)]
    events = events_frame([(pid, n, 1.0) for pid, n in rows])
    p = heuristic_risk(risk_features(events, day(100)), horizon_days=30)
    assert p["a"] == pytest.approx(np.exp(-3.0))  # on rhythm: only the Poisson silence
    assert p["b"] == pytest.approx(1 - np.exp(-2.0) * (1 - np.exp(-3.0)))  # two gaps overdue
    assert p["c"] == pytest.approx(np.exp(-3.0))  # one deal: the program's median gap


def test_revenue_drop_label_is_an_option(program: pd.DataFrame) -> None:
    config = replace(CONFIG, label="revenue_drop", trailing_periods=2)
    model = RiskModel(config).fit(program, day(360))
    assert model.method == "model"
    assert model.model_card["label"] == "revenue_drop"
    scored = model.score(program)
    window = program["date"].between(day(360 - 2 * 91), day(360), inclusive="left")
    recent = program.loc[window, "partner_id"].unique()
    undefined = ~scored.index.isin(recent)  # no trailing revenue: a drop is undefined
    assert undefined.any()
    assert scored.loc[undefined, "p_at_risk"].isna().all()
    assert scored.loc[~undefined, "p_at_risk"].between(0, 1).all()


def test_probabilities_are_calibrated_on_a_full_horizon_window(
    fitted: tuple[RiskModel, pd.Series],
) -> None:
    # The latest snapshots' windows are cut at as_of (28, 49, 70 days): more partners are
    # silent over a short window, and a calibrator fitted there made every probability high.
    model = fitted[0]
    training = model.model_card["training"]
    full = [
        s for s, d in zip(training["snapshots"], training["label_days"], strict=True) if d == 91
    ]
    for calibration in model.model_card["calibration"].values():
        assert calibration["snapshots"] == [full[-1]]


def test_what_happened_next_is_never_a_feature(program: pd.DataFrame) -> None:
    config = replace(CONFIG, families=("boosting",), alert_precision=0.6)
    model = RiskModel(config).fit(program, day(360))
    assert {"y", "quiet", "label_days"}.isdisjoint(model.model_card["features"])
    scored = model.score(program)
    assert scored["p_quiet"].between(0, 1).all()
    # the inactive label is going quiet: both models learn the same thing
    assert scored["p_quiet"].corr(scored["p_at_risk"]) > 0.9
