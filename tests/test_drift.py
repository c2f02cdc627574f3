"""Drift detection on small hand-made programs: partners whose registrations, wins and
activities are Poisson around their own rate, with changes injected where a test needs them."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insights.drift.config import DriftConfig
from insights.drift.detect import detect_drift
from insights.drift.flags import COLUMNS, METRICS
from insights.drift_reference import cusum_reference, poisson_reference

START = pd.Timestamp("2023-01-01")
MONTHS = 30
KIND_RATES = {"registered": 1.0, "won": 0.35, "lost": 0.5, "training": 0.4, "marketing": 0.3}


def month(index: int) -> pd.Timestamp:
    return START + pd.DateOffset(months=index)


def program(
    partners: int = 120,
    seed: int = 0,
    factor: np.ndarray | None = None,
    months: int = MONTHS,
) -> pd.DataFrame:
    """Events of ``partners`` Poisson partners (1-4 registrations a month, wins and activities in
    proportion; partner 0, the one tests change, 3) over ``months``; ``factor`` (partners ×
    months) multiplies every rate."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(1.0, 4.0, partners)
    base[0] = 3.0
    factor = np.ones((partners, months)) if factor is None else factor
    starts = pd.date_range(START, periods=months + 1, freq="MS").to_numpy()
    frames = []
    for kind, share in KIND_RATES.items():
        counts = rng.poisson(base[:, None] * share * factor)
        pid = np.repeat(np.arange(partners), counts.sum(axis=1))
        m = np.repeat(np.tile(np.arange(months), partners), counts.ravel())
        width = starts[m + 1] - starts[m]
        frames.append(
            pd.DataFrame(
                {
                    "partner_id": pid.astype(np.int64),
                    "date": starts[m] + (rng.random(len(pid)) * width).astype("timedelta64[ns]"),
                    "amount": rng.lognormal(np.log(10_000), 0.8, len(pid)),
                    "kind": kind,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def flagged(flags: pd.DataFrame, partner: int) -> pd.DataFrame:
    return flags.loc[flags["partner_id"] == partner]


@pytest.fixture(scope="module")
def stable() -> pd.DataFrame:
    return program()


def test_abrupt_drop_is_flagged_with_metric_since_and_sign() -> None:
    factor = np.ones((120, MONTHS))
    factor[0, 26:] = 0.1
    flags = detect_drift(program(factor=factor), month(MONTHS))
    mine = flagged(flags, 0)
    assert not mine.empty
    top = mine.sort_values("score").iloc[-1]
    assert top["metric"] == "registrations"
    assert top["since"] == month(26)
    assert top["magnitude"] < -0.5
    assert top["observed"] < top["expected"]


def test_stable_poisson_partners_are_rarely_flagged(stable: pd.DataFrame) -> None:
    flags = detect_drift(stable, month(MONTHS))
    assert flags["partner_id"].nunique() <= 0.03 * 120


def test_program_wide_dip_flags_nobody() -> None:
    factor = np.ones((120, MONTHS))
    factor[:, -2:] = 0.4  # everyone: a market downturn, not a partner's problem
    flags = detect_drift(program(factor=factor), month(MONTHS))
    blamed = flags.loc[(flags["magnitude"] < 0) & (flags["since"] >= month(MONTHS - 2))]
    assert blamed.empty
    assert flags["partner_id"].nunique() <= 0.03 * 120  # no more than the usual false alarms


def test_burst_and_outsized_deal_are_unusual_patterns(stable: pd.DataFrame) -> None:
    as_of = month(MONTHS)
    last = month(MONTHS - 1)
    burst = pd.DataFrame(
        {
            "partner_id": 5,
            "date": last + pd.to_timedelta(np.arange(25), unit="h"),
            "amount": 10_000.0,
            "kind": "registered",
        }
    )
    outsized = pd.DataFrame(
        {
            "partner_id": [7],
            "date": [last + pd.Timedelta(days=3)],
            "amount": [5e6],
            "kind": "registered",
        }
    )
    flags = detect_drift(pd.concat([stable, burst, outsized], ignore_index=True), as_of)
    patterns = flags.loc[flags["metric"] == "pattern"]
    assert {5, 7} <= set(patterns["partner_id"])
    assert set(patterns["detector"]) == {"isolation_forest"}
    assert (patterns.loc[patterns["partner_id"] == 7, "observed"] == 5e6).all()
    assert (patterns.loc[patterns["partner_id"].isin([5, 7]), "since"] == last).all()


def test_later_events_change_nothing(stable: pd.DataFrame) -> None:
    as_of = month(24) + pd.Timedelta(days=10)
    later = stable.loc[stable["date"] >= as_of].assign(partner_id=lambda f: f["partner_id"] + 1000)
    extra = pd.concat([stable, later, stable.assign(date=stable["date"] + pd.DateOffset(years=3))])
    pd.testing.assert_frame_equal(
        detect_drift(stable, as_of), detect_drift(extra.reset_index(drop=True), as_of)
    )


def test_same_data_and_seed_give_the_same_frame(stable: pd.DataFrame) -> None:
    config = DriftConfig(seed=3)
    shuffled = stable.sample(frac=1.0, random_state=1).reset_index(drop=True)
    first = detect_drift(stable, month(MONTHS), config=config)
    pd.testing.assert_frame_equal(first, detect_drift(stable, month(MONTHS), config=config))
    pd.testing.assert_frame_equal(first, detect_drift(shuffled, month(MONTHS), config=config))


def test_peer_groups_discount_their_own_dip() -> None:
    """Half the program (one peer group) dips; with groups named nobody is blamed, without them
    the whole group stands out against the program."""
    factor = np.ones((120, MONTHS))
    factor[:60, -3:] = 0.1
    events = program(factor=factor)
    peers = pd.Series(np.where(np.arange(120) < 60, "gold/EMEA", "silver/NA"), index=range(120))
    grouped = detect_drift(events, month(MONTHS), peers)
    assert grouped.loc[grouped["magnitude"] < 0].empty
    alone = detect_drift(events, month(MONTHS))
    blamed = alone.loc[alone["magnitude"] < 0, "partner_id"]
    assert blamed.nunique() >= 5
    assert (blamed < 60).all()


def test_empty_and_single_partner_inputs() -> None:
    empty = detect_drift(program().iloc[:0], month(MONTHS))
    assert list(empty.columns) == list(COLUMNS)
    assert empty.empty
    one = program(partners=1)
    flags = detect_drift(one, month(MONTHS))
    assert list(flags.columns) == list(COLUMNS)
    factor = np.ones((1, MONTHS))
    factor[0, 25:] = 0.0
    quiet = detect_drift(program(partners=1, factor=factor), month(MONTHS))
    assert (quiet["partner_id"] == 0).all()
    assert not quiet.empty  # measured against the calendar when there are no peers


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 5),
            st.integers(0, 900),
            st.floats(0, 1e6, allow_nan=False),
            st.sampled_from(["registered", "won", "lost", "training", "satisfaction", "other"]),
        ),
        max_size=60,
    ),
    as_of_day=st.integers(0, 1000),
)
def test_any_small_input_gives_well_formed_flags(
    rows: list[tuple[int, int, float, str]], as_of_day: int
) -> None:
    events = pd.DataFrame(rows, columns=["partner_id", "day", "amount", "kind"])
    events["date"] = START + pd.to_timedelta(events.pop("day"), unit="D")
    events["partner_id"] = events["partner_id"].astype(np.int64)
    as_of = START + pd.Timedelta(days=as_of_day)
    for flags in (
        detect_drift(events, as_of),
        poisson_reference(events, as_of),
        cusum_reference(events, as_of),
    ):
        assert list(flags.columns) == list(COLUMNS)
        assert set(flags["metric"]) <= set(METRICS)
        assert set(flags["partner_id"]) <= set(events.loc[events["date"] < as_of, "partner_id"])
        assert (flags["since"] < as_of).all()
        assert np.isfinite(flags["score"]).all()


def test_references_flag_the_drop() -> None:
    factor = np.ones((120, MONTHS))
    factor[0, 27:] = 0.0
    events = program(factor=factor)
    for flags in (
        poisson_reference(events, month(MONTHS), alpha=0.01),
        cusum_reference(events, month(MONTHS), threshold=3.0),
    ):
        mine = flagged(flags, 0)
        assert len(mine) == 1
        assert mine["magnitude"].iloc[0] < -0.5
        assert mine["metric"].iloc[0] == "registrations"
