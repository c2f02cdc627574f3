"""Scorecard metrics on a tiny hand-made program whose every number is worked out below.

Four partners, scored for January–June 2025 (events from 2024 feed the trailing windows):

- Alpha (silver, needs 2 certifications, signed 2023-06-15, quarterly target 40,000)
- Beta (gold, needs 4, signed 2024-01-10, target 100,000): only lost deals in April
- Calm (tier "legacy", unknown to the program, no target): no deals, no activities at all
- Newbie (registered, needs 0, signed 2025-03-10, no target): brand new, first win in June

Rates: 1 EUR = 1.10 USD; CHF has no rate and counts 1:1.
"""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from math import hypot
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from config.program import parse_program
from insights.scorecard_metrics import METRICS, ProgramFrames, load_frames, monthly_metrics
from models import (
    DealSource,
    DealStatus,
    Partner,
    PartnerActivity,
)
from models.enums import ActivityKind
from tests.seeding import add_deal

PROGRAM = parse_program(
    """
    [program]
    currency = "USD"

    [currencies]
    EUR = 1.10

    [[tiers]]
    name = "registered"
    min_score = 0

    [[tiers]]
    name = "silver"
    min_score = 40
    min_certifications = 2

    [[tiers]]
    name = "gold"
    min_score = 60
    min_certifications = 4
    """,
    "inline",
)
MONTHS = pd.period_range("2025-01", "2025-06", freq="M")
NAN = float("nan")
WON, LOST = DealStatus.WON, DealStatus.LOST
INFLUENCED = DealSource.INFLUENCED


def utc(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def seed(session: Session) -> dict[str, int]:
    """Write the program through the ORM; returns the ids of partners (by name) and deals (by
    key)."""
    ids: dict[str, int] = {}
    for name, tier, signed, target in (
        ("Alpha", "silver", date(2023, 6, 15), Decimal(40_000)),
        ("Beta", "gold", date(2024, 1, 10), Decimal(100_000)),
        ("Calm", "legacy", date(2024, 5, 1), None),
        ("Newbie", "registered", date(2025, 3, 10), None),
    ):
        partner = Partner(
            external_id=name,
            name=name,
            tier=tier,
            region="EMEA",
            signed_at=signed,
            quarterly_target=target,
        )
        session.add(partner)
        session.flush()
        ids[name] = partner.id

    def deal(
        key: str,
        partner: str,
        amount: int,
        status: DealStatus,
        registered: datetime,
        closed: str | None = None,
        *,
        currency: str = "USD",
        source: DealSource = DealSource.SOURCED,
        expires: str | None = None,
        influencers: tuple[str, ...] = (),
    ) -> None:
        ids[key] = add_deal(
            session,
            ids[partner],
            key,
            amount,
            status,
            registered,
            closed,
            currency=currency,
            source=source,
            expires=expires,
            influencers=[ids[influencer] for influencer in influencers],
        ).id

    plus_two = timezone(timedelta(hours=2))
    # Alpha
    deal("A1", "Alpha", 10_000, WON, utc("2024-11-20"), "2024-12-15")  # 25 days
    deal(  # 20,000 EUR = 22,000 USD; 01:00 at +02:00 is 2025-01-04 23:00 UTC: 41 days
        "A2", "Alpha", 20_000, WON, datetime(2025, 1, 5, 1, tzinfo=plus_two), "2025-02-14",
        currency="EUR",
    )  # fmt: skip
    deal("A3", "Alpha", 5_000, LOST, utc("2024-12-01"), "2025-02-20")
    deal("A4", "Alpha", 8_000, WON, utc("2025-02-01"), "2025-03-03", source=INFLUENCED)  # 30 d
    deal("A5", "Alpha", 30_000, DealStatus.APPROVED, utc("2025-03-10"))
    deal("A6", "Alpha", 7_000, DealStatus.EXPIRED, utc("2025-01-10"), expires="2025-04-10")
    deal("A7", "Alpha", 9_000, DealStatus.REJECTED, utc("2025-01-15"))
    deal("A8", "Alpha", 4_000, WON, utc("2025-03-30", 23), "2025-03-31", currency="CHF")  # 1 d
    # Beta
    deal("B1", "Beta", 50_000, WON, utc("2024-12-20"), "2025-01-25", influencers=("Alpha",))
    deal("B2", "Beta", 12_000, LOST, utc("2025-03-01"), "2025-04-12")
    deal("B3", "Beta", 3_000, LOST, utc("2025-02-15"), "2025-04-20")
    deal(  # 10,000 EUR = 11,000 USD, 35 days
        "B5", "Beta", 10_000, WON, utc("2025-05-01"), "2025-06-05",
        currency="EUR", influencers=("Alpha", "Newbie"),
    )  # fmt: skip
    # Newbie
    deal("N1", "Newbie", 6_000, WON, utc("2025-04-01"), "2025-06-10")  # 70 days

    for partner, day, kind, value in (
        ("Alpha", "2024-08-01", ActivityKind.CERTIFICATION, 1),
        ("Alpha", "2025-02-10", ActivityKind.CERTIFICATION, 1),
        ("Alpha", "2025-04-05", ActivityKind.CERTIFICATION, 1),
        ("Alpha", "2024-12-05", ActivityKind.MARKETING, 1),
        ("Alpha", "2025-01-20", ActivityKind.MARKETING, 1),
        ("Alpha", "2025-03-15", ActivityKind.MARKETING, 1),
        ("Alpha", "2024-09-30", ActivityKind.SATISFACTION, 6),
        ("Alpha", "2025-01-31", ActivityKind.SATISFACTION, 8),
        ("Alpha", "2025-04-30", ActivityKind.SATISFACTION, 9),
        ("Alpha", "2024-07-15", ActivityKind.MDF_SPEND, 1_000),
        ("Alpha", "2025-02-01", ActivityKind.PROGRAM_COST, 500),
        ("Newbie", "2025-03-10", ActivityKind.PROGRAM_COST, 2_500),
        ("Newbie", "2025-03-11", ActivityKind.TRAINING, 1),  # counts nowhere
    ):
        session.add(
            PartnerActivity(
                partner_id=ids[partner],
                occurred_on=date.fromisoformat(day),
                kind=kind,
                value=Decimal(value),
                detail=f"{kind} {day}",
            )
        )
    session.commit()
    return ids


# Worked out by hand, January → June 2025.
EXPECTED: dict[str, dict[str, list[float]]] = {
    "Alpha": {
        # A2 (22,000 converted from EUR) in Feb, A8 (CHF, no rate: 4,000) in Mar; A4 is
        # influenced-sourced, so not here
        "sourced_revenue": [0, 22_000, 4_000, 0, 0, 0],
        # influence partner on B1 (Jan) and B5 (Jun), plus its own influenced A4 (Mar)
        "influenced_revenue": [50_000, 0, 8_000, 0, 0, 11_000],
        "revenue_share": [0, 1, 1, 0, 0, 0],
        "deals_won": [0, 1, 2, 0, 0, 0],
        # Jan: A1 (Dec) 1/1; Feb: A1, A2 won, A3 lost 2/3; Mar, Apr: A2, A4, A8 won, A3 lost;
        # May: A4, A8; Jun: nothing closed since April
        "win_rate": [1, 2 / 3, 0.75, 0.75, 1, NAN],
        # Jan: A1; Feb: (10,000 + 22,000) / 2; Mar, Apr: (22,000 + 8,000 + 4,000) / 3;
        # May: (8,000 + 4,000) / 2
        "avg_deal_size": [10_000, 16_000, 34_000 / 3, 34_000 / 3, 6_000, NAN],
        # medians of A1 25, A2 41, A4 30, A8 1 days by window
        "deal_velocity_days": [25, 33, 30, 30, 15.5, NAN],
        # Jan: A2 22,000 + A3 5,000 + A6 7,000; Feb: A4 8,000 + A6; Mar: A5 30,000 + A6 (A8
        # closed on the 31st); Apr on: A5 (A6 expired on 10 Apr); A7 rejected never counts
        "open_pipeline": [34_000, 15_000, 37_000, 30_000, 30_000, 30_000],
        "pipeline_coverage": [0.85, 0.375, 0.925, 0.75, 0.75, 0.75],
        "certifications": [1, 2, 2, 3, 3, 3],  # the first one from August 2024
        "certification_completion": [0.5, 1, 1, 1, 1, 1],  # capped at 1 with 3 of 2
        # Dec 5, Jan 20, Mar 15 in windows Nov–Jan … Apr–Jun
        "marketing_activities": [2, 2, 2, 1, 1, 0],
        # Jan, Feb: (6 Sep + 8 Jan) / 2; Mar: 8; Apr–Jun: (8 + 9 Apr) / 2
        "satisfaction": [7, 7, 8, 8.5, 8.5, 8.5],
        "trailing_revenue_12m": [10_000, 32_000, 36_000, 36_000, 36_000, 36_000],
        # sqrt(sum of squares) / sum of A1 (Dec), A2 (Feb), A8 (Mar)
        "revenue_12m_error": [1, hypot(10, 22) / 32, *[hypot(10, 22, 4) / 36] * 4],
        # cost: 1,000 MDF (Jul 2024), + 500 program cost from Feb
        "roi": [10, 32_000 / 1_500, 24, 24, 24, 24],
        "months_since_signed": [19, 20, 21, 22, 23, 24],
        "time_to_first_revenue_days": [549] * 6,  # 2023-06-15 → A1 closed 2024-12-15
    },
    "Beta": {
        "sourced_revenue": [50_000, 0, 0, 0, 0, 11_000],
        "influenced_revenue": [0] * 6,
        "revenue_share": [1, 0, 0, 0, 0, 11 / 17],  # June: Beta 11,000 + Newbie 6,000
        "deals_won": [1, 0, 0, 0, 0, 1],
        # April has only lost deals (B2, B3) and B1 (Jan) has left the window by then
        "win_rate": [1, 1, 1, 0, 0, 1 / 3],
        "avg_deal_size": [50_000, 50_000, 50_000, NAN, NAN, 11_000],
        "deal_velocity_days": [36, 36, 36, NAN, NAN, 35],
        # Feb: B3; Mar: B2 + B3; May: B5; lost in April, so not open at its end
        "open_pipeline": [0, 3_000, 15_000, 0, 11_000, 0],
        "pipeline_coverage": [0, 0.03, 0.15, 0, 0.11, 0],
        "certifications": [0] * 6,
        "certification_completion": [0] * 6,
        "marketing_activities": [0] * 6,
        "satisfaction": [NAN] * 6,
        "trailing_revenue_12m": [50_000] * 5 + [61_000],
        "revenue_12m_error": [1] * 5 + [hypot(50, 11) / 61],
        "roi": [NAN] * 6,  # no cost recorded
        "months_since_signed": [12, 13, 14, 15, 16, 17],
        "time_to_first_revenue_days": [381] * 6,  # 2024-01-10 → B1 closed 2025-01-25
    },
    "Calm": {  # no deals, no activities, a tier the program does not know
        "sourced_revenue": [0] * 6,
        "influenced_revenue": [0] * 6,
        "revenue_share": [0] * 6,
        "deals_won": [0] * 6,
        "win_rate": [NAN] * 6,
        "avg_deal_size": [NAN] * 6,
        "deal_velocity_days": [NAN] * 6,
        "open_pipeline": [0] * 6,
        "pipeline_coverage": [NAN] * 6,
        "certifications": [0] * 6,
        "certification_completion": [1] * 6,
        "marketing_activities": [0] * 6,
        "satisfaction": [NAN] * 6,
        "trailing_revenue_12m": [0] * 6,
        "revenue_12m_error": [NAN] * 6,
        "roi": [NAN] * 6,
        "months_since_signed": [8, 9, 10, 11, 12, 13],
        "time_to_first_revenue_days": [NAN] * 6,
    },
    "Newbie": {  # signed in March, first win (N1) closes 10 June
        "sourced_revenue": [0, 0, 0, 0, 0, 6_000],
        "influenced_revenue": [0, 0, 0, 0, 0, 11_000],  # B5
        "revenue_share": [0, 0, 0, 0, 0, 6 / 17],
        "deals_won": [0, 0, 0, 0, 0, 1],
        "win_rate": [NAN] * 5 + [1],
        "avg_deal_size": [NAN] * 5 + [6_000],
        "deal_velocity_days": [NAN] * 5 + [70],
        "open_pipeline": [0, 0, 0, 6_000, 6_000, 0],
        "pipeline_coverage": [NAN] * 6,  # no target
        "certifications": [0] * 6,
        "certification_completion": [1] * 6,  # "registered" requires none
        "marketing_activities": [0] * 6,
        "satisfaction": [NAN] * 6,
        "trailing_revenue_12m": [0] * 5 + [6_000],
        "revenue_12m_error": [NAN] * 5 + [1],  # one deal: its own size
        "roi": [NAN, NAN, 0, 0, 0, 6_000 / 2_500],  # program cost from March
        "months_since_signed": [-2, -1, 0, 1, 2, 3],
        "time_to_first_revenue_days": [NAN] * 5 + [92],  # 2025-03-10 → 2025-06-10
    },
}


@pytest.fixture
def program(engine: Engine) -> tuple[dict[str, int], ProgramFrames]:
    with Session(engine) as session:
        ids = seed(session)
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":  # timestamps must come back as UTC anyway
            session.execute(text("SET TIME ZONE 'Asia/Tokyo'"))
        return ids, load_frames(session, PROGRAM)


@pytest.mark.parametrize("partner", EXPECTED)
def test_metrics_match_the_hand_worked_values(
    program: tuple[dict[str, int], ProgramFrames], partner: str
) -> None:
    ids, frames = program
    metrics = monthly_metrics(frames, PROGRAM, MONTHS).loc[ids[partner]]
    wrong = {
        metric: metrics[metric].tolist()
        for metric, expected in EXPECTED[partner].items()
        if metrics[metric].tolist() != pytest.approx(expected, nan_ok=True)
    }
    assert wrong == {}


def test_expected_table_covers_every_metric() -> None:
    assert all(set(table) == set(METRICS) for table in EXPECTED.values())


def test_load_frames_types_converts_and_reads_utc(
    program: tuple[dict[str, int], ProgramFrames],
) -> None:
    ids, frames = program
    assert list(frames.partners.columns) == [
        "external_id",
        "name",
        "tier",
        "region",
        "status",
        "signed_at",
        "quarterly_target",
    ]
    assert frames.partners.loc[ids["Calm"], "status"] == "active"
    assert frames.partners.loc[ids["Calm"], "external_id"] == "Calm"
    assert np.isnan(frames.partners.loc[ids["Calm"], "quarterly_target"])
    assert frames.partners.loc[ids["Newbie"], "signed_at"] == pd.Timestamp("2025-03-10")

    deals = frames.deals.set_index("deal_id")
    assert len(deals) == 13
    a2 = deals.loc[ids["A2"]]
    assert a2["partner_id"] == ids["Alpha"]
    assert a2["amount"] == pytest.approx(22_000)  # EUR at 1.10
    assert a2["registered_at"] == pd.Timestamp("2025-01-04 23:00")  # naive UTC
    assert (a2["status"], a2["source"]) == ("won", "sourced")
    assert a2["closed_at"] == pd.Timestamp("2025-02-14")
    assert deals.loc[ids["A8"], "amount"] == pytest.approx(4_000)  # CHF: no rate, 1:1
    assert deals.loc[ids["A4"], "source"] == "influenced"
    assert deals.loc[ids["A6"], "expires_at"] == pd.Timestamp("2025-04-10")
    assert deals["closed_at"].isna().sum() == 3  # A5, A6, A7
    assert "currency" not in frames.deals.columns
    for column in ("registered_at", "closed_at", "expires_at"):
        assert pd.api.types.is_datetime64_dtype(frames.deals[column])
    assert frames.deals["deal_id"].dtype == np.int64

    influences = set(frames.influences.itertuples(index=False, name=None))
    assert influences == {
        (ids["B1"], ids["Alpha"]),
        (ids["B5"], ids["Alpha"]),
        (ids["B5"], ids["Newbie"]),
    }
    assert len(frames.activities) == 13
    assert frames.activities["value"].sum() == pytest.approx(3 + 3 + 23 + 1_000 + 3_000 + 1)


def test_every_partner_gets_every_month(program: tuple[dict[str, int], ProgramFrames]) -> None:
    ids, frames = program
    metrics = monthly_metrics(frames, PROGRAM, MONTHS)
    assert metrics.index.names == ["partner_id", "month"]
    partners = sorted(ids[name] for name in EXPECTED)
    assert list(metrics.index) == [(p, m) for p in partners for m in MONTHS]
    assert list(metrics.columns) == list(METRICS)
    assert (metrics.dtypes == "float64").all()


def test_months_may_be_any_subset(program: tuple[dict[str, int], ProgramFrames]) -> None:
    """Trailing windows reach before the requested months, whichever are asked for."""
    _, frames = program
    full = monthly_metrics(frames, PROGRAM, MONTHS)
    some = pd.PeriodIndex(["2025-06", "2025-02"], freq="M")
    picked = monthly_metrics(frames, PROGRAM, some)
    expected = full.loc[(slice(None), some), :].sort_index(
        level=["partner_id"], sort_remaining=False
    )
    pd.testing.assert_frame_equal(picked, expected.reindex(picked.index))


def test_no_partners_no_rows(engine: Engine) -> None:
    with Session(engine) as session:
        frames = load_frames(session, PROGRAM)
    metrics = monthly_metrics(frames, PROGRAM, MONTHS)
    assert metrics.empty
    assert list(metrics.columns) == list(METRICS)


def test_months_must_be_monthly() -> None:
    empty = ProgramFrames(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    with pytest.raises(ValueError, match="monthly"):
        monthly_metrics(empty, PROGRAM, pd.period_range("2025-01-01", periods=3, freq="D"))


# Property: on any deals, every month's revenue shares add up to 1 (or are all 0 when no
# revenue), revenue is conserved, and rates and pipelines stay in range.

deal_rows = st.lists(
    st.tuples(
        st.integers(0, 4),  # partner
        st.sampled_from([s.value for s in DealStatus]),
        st.sampled_from([s.value for s in DealSource]),
        st.integers(1, 100_000),  # amount
        st.integers(0, 500),  # registered, days after 2024-01-01
        st.integers(0, 200),  # days to close / expire
    ),
    max_size=60,
)


@settings(max_examples=40, deadline=None)
@given(deal_rows)
def test_shares_sum_to_one_and_revenue_is_conserved(rows: list[tuple[Any, ...]]) -> None:
    start = pd.Timestamp("2024-01-01")
    partners = pd.DataFrame(
        {
            "name": list("abcde"),
            "tier": "registered",
            "region": "NA",
            "status": "active",
            "signed_at": pd.NaT,
            "quarterly_target": 50_000.0,
        },
        index=pd.Index(range(1, 6), name="partner_id"),
    )
    table = pd.DataFrame(
        rows, columns=["partner", "status", "source", "amount", "registered", "days"]
    )
    registered = start + pd.to_timedelta(table["registered"], unit="D")
    ends = registered.dt.normalize() + pd.to_timedelta(table["days"], unit="D")
    deals = pd.DataFrame(
        {
            "deal_id": range(len(table)),
            "partner_id": table["partner"] + 1,
            "amount": table["amount"].astype(float),
            "status": table["status"],
            "source": table["source"],
            "registered_at": registered,
            "closed_at": ends.where(table["status"].isin(["won", "lost"])),
            "expires_at": ends.where(table["status"] == "expired"),
        }
    )
    nothing = pd.DataFrame({"deal_id": [], "partner_id": []}, dtype="int64")
    activities = pd.DataFrame(
        {
            "partner_id": pd.Series(dtype="int64"),
            "occurred_on": pd.Series(dtype="datetime64[us]"),
            "kind": pd.Series(dtype="str"),
            "value": pd.Series(dtype=float),
        }
    )
    months = pd.period_range("2024-01", "2026-01", freq="M")
    metrics = monthly_metrics(ProgramFrames(partners, deals, nothing, activities), PROGRAM, months)

    share = metrics["revenue_share"].groupby(level="month").sum()
    revenue = metrics["sourced_revenue"].groupby(level="month").sum()
    assert share[revenue > 0].tolist() == pytest.approx([1.0] * int((revenue > 0).sum()))
    assert (share[revenue == 0] == 0).all()
    sourced_won = deals[(deals["status"] == "won") & (deals["source"] == "sourced")]
    assert revenue.sum() == pytest.approx(sourced_won["amount"].sum())
    assert metrics["deals_won"].sum() == (deals["status"] == "won").sum()
    assert metrics["win_rate"].dropna().between(0, 1).all()
    assert (metrics["open_pipeline"] >= 0).all()
    assert metrics["deal_velocity_days"].dropna().ge(0).all()
