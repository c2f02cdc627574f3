"""Digest messages within Slack's limits whatever the program's size and its names, and a
partner's QBR telling it nothing about any other partner."""

from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from config.program import PartnerView
from insights.digests import (
    AtRisk,
    Compared,
    FailedDeliveries,
    Mover,
    QbrDigest,
    Registrations,
    RisingPartner,
    TierChange,
    WeekFigures,
    WeeklyDigest,
    Win,
    parse_period,
    qbr_digests,
)
from insights.scorecard_store import StoredScorecard, compute_and_store
from messages.blocks import Message
from messages.digests import LISTED, qbr_messages, weekly_messages
from models import DealStatus, Partner
from tests.digest_data import PROGRAM, utc
from tests.seeding import add_deal
from tests.slack.limits import assert_within_limits, names

money = st.floats(min_value=0, max_value=1e13, allow_nan=False)
compared = st.builds(Compared, money, money, money)
shares = st.one_of(st.none(), st.floats(min_value=0, max_value=1))


def text_of(messages: list[Message]) -> str:
    return "\n".join(str(m.as_post()["blocks"]) + m.text for m in messages)


@settings(max_examples=40, deadline=None)
@given(
    program=names,
    numbers=st.tuples(compared, compared, compared, compared, compared),
    movers=st.lists(st.builds(Mover, st.integers(1, 10**6), names, names, money, money)),
    at_risk=st.lists(
        st.builds(
            AtRisk,
            st.integers(1, 10**6),
            names,
            names,
            st.floats(0, 1),
            names,
            st.lists(names, max_size=8),
            st.booleans(),
        ),
        max_size=150,
    ),
    changes=st.lists(
        st.builds(
            TierChange,
            st.integers(1, 10**6),
            names,
            names,
            names,
            st.sampled_from(["up", "down"]),
            st.booleans(),
        ),
        max_size=150,
    ),
    rising=st.lists(
        st.builds(RisingPartner, st.integers(1, 10**6), names, names, st.lists(names, max_size=3)),
        max_size=25,
    ),
    failed=st.lists(st.builds(FailedDeliveries, names, names, st.integers(1, 10**6))),
    scored=st.booleans(),
    trend=st.lists(
        st.builds(WeekFigures, st.just(parse_period("2026-W47")), money, money, money),
        max_size=13,
    ),
)
def test_weekly_digest_fits_slack(
    program: str,
    numbers: tuple[Compared, ...],
    movers: list[Mover],
    at_risk: list[AtRisk],
    changes: list[TierChange],
    rising: list[RisingPartner],
    failed: list[FailedDeliveries],
    scored: bool,
    trend: list[WeekFigures],
) -> None:
    revenue, sourced, influenced, won, pipeline = numbers
    digest = WeeklyDigest(
        program=program,
        currency="USD",
        week=parse_period("2026-W47"),
        risk_threshold=0.6,
        revenue=revenue,
        sourced=sourced,
        influenced=influenced,
        deals_won=won,
        pipeline=pipeline,
        movers_up=movers,
        movers_down=movers[::-1],
        registrations=Registrations(won, 1e9, 10**6, 10**6, 10**6),
        risk_as_of=date(2026, 11, 22) if scored else None,
        at_risk=at_risk,
        tier_month=date(2026, 10, 1) if scored else None,
        tier_changes=changes,
        rising=rising,
        undelivered=failed,
        trend=trend,
    )
    messages = weekly_messages(digest)
    assert_within_limits(messages)
    charts = [m.chart for m in messages if m.chart is not None]
    assert len(charts) == (1 if trend else 0)
    assert all(len(chart.labels) == len(chart.pipeline) == len(trend) for chart in charts)
    text = text_of(messages)
    if scored and len(at_risk) > LISTED:
        assert f"…and {len(at_risk) - LISTED} more." in text


def test_a_digest_too_long_for_one_message_is_split_not_cut() -> None:
    movers = [Mover(i, f"Partner {i:04d} " + "x" * 70, "gold", 1e6, 2e6) for i in range(2000)]
    digest = WeeklyDigest(
        program="Program",
        currency="EUR",
        week=parse_period("2026-W47"),
        risk_threshold=0.6,
        revenue=Compared(1, 2, 3),
        sourced=Compared(1, 2, 3),
        influenced=Compared(0, 0, 0),
        deals_won=Compared(1, 1, 1),
        pipeline=Compared(1, 1, 1),
        movers_up=movers,
        movers_down=[],
        registrations=Registrations(Compared(0, 0, 0), 0, 0, 0, 0),
        risk_as_of=None,
        at_risk=[],
        tier_month=None,
        tier_changes=[],
        rising=[],
        undelivered=[],
        trend=[WeekFigures(parse_period("2026-W47"), 1, 2, 3)],
    )
    messages = weekly_messages(digest)
    assert len(messages) > 1
    assert [m.chart is not None for m in messages].count(True) == 1
    assert_within_limits(messages)
    text = text_of(messages)
    assert all(f"Partner {i:04d} " in text for i in range(2000))


def scorecard(
    name: str, highlights: list[str], gaps: list[str], keep_gaps: tuple[str, ...] = ()
) -> StoredScorecard:
    return StoredScorecard(
        partner_id=1,
        external_id="P1",
        name=name,
        tier="silver",
        region="EMEA",
        month=date(2026, 9, 1),
        currency="USD",
        score=55.5,
        score_previous_month=50.0,
        score_previous_quarter=None,
        peer_group="silver · EMEA",
        peers=12,
        metrics={"sourced_revenue_3m": 1e6, "win_rate": 0.4, "satisfaction": None},
        previous_metrics={},
        percentiles={"revenue": 80.0, "win_rate": None},
        highlights=[{"text": h, "metric": "x", "direction": 1} for h in highlights],
        advice={
            "current": "silver",
            "recommended": "silver",
            "change": "down" if keep_gaps else "stay",
            "next_tier": "gold",
            "gaps": gaps,
            "keep_gaps": list(keep_gaps),
        },
        series={},
        computed_at=datetime(2026, 10, 1, 2),
    )


@settings(max_examples=40, deadline=None)
@given(
    name=names,
    tier=names,
    numbers=st.tuples(compared, compared, compared),
    target=st.one_of(st.none(), money),
    wins=st.lists(
        st.builds(Win, names, money, st.one_of(st.none(), names), st.just(date(2026, 8, 1))),
        max_size=60,
    ),
    highlights=st.lists(names, max_size=40),
    gaps=st.lists(names, max_size=40),
    keep_gaps=st.lists(names, max_size=3).map(tuple),
    scored=st.booleans(),
    rates=st.tuples(shares, st.one_of(st.none(), money)),
)
def test_qbr_fits_slack(
    name: str,
    tier: str,
    numbers: tuple[Compared, Compared, Compared],
    target: float | None,
    wins: list[Win],
    highlights: list[str],
    gaps: list[str],
    keep_gaps: tuple[str, ...],
    scored: bool,
    rates: tuple[float | None, float | None],
) -> None:
    sourced, influenced, pipeline = numbers
    digest = QbrDigest(
        partner_id=1,
        name=name,
        tier=tier,
        channel="C0P",
        quarter=parse_period("2026-Q3"),
        currency="USD",
        target=target or None,
        sourced=sourced,
        influenced=influenced,
        deals_won=len(wins),
        win_rate=rates[0],
        avg_deal_size=rates[1],
        wins=wins,
        pipeline=pipeline,
        registrations=10**6,
        certifications=10**6,
        new_certifications=10**6,
        scorecard=scorecard(name, highlights, gaps, keep_gaps) if scored else None,
    )
    assert_within_limits(qbr_messages(digest, PartnerView(tier_advice="proposed")))


def test_a_qbr_says_what_keeps_the_tier_a_downgrade_threatens_when_moves_are_shown() -> None:
    flat = Compared(0.0, 0.0, 0.0)
    card = scorecard("Acme", [], ["20 more score points"], ("1 more certification",))
    digest = QbrDigest(1, "Acme", "silver", "C0P", parse_period("2026-Q3"), "USD", None, flat,
                       flat, 0, None, None, [], flat, 0, 0, 0, card)  # fmt: skip
    text = text_of(qbr_messages(digest, PartnerView(tier_advice="proposed")))
    assert "*To keep silver:* 1 more certification." in text
    assert "*To reach gold:* 20 more score points." in text
    assert text.index("To keep silver") < text.index("To reach gold")

    default = text_of(qbr_messages(digest, PartnerView()))  # a downgrade no manager decided
    assert "keep silver" not in default
    assert "*To reach gold:* 20 more score points." in default


def test_qbr_names_no_other_partner(engine: Engine) -> None:
    """Alpha and Beta are peers (same tier and region) and Beta influenced one of Alpha's
    deals; Alpha's QBR still has neither Beta's name, nor its accounts, nor its figures."""
    with Session(engine) as session:
        ids = {}
        for name, target in (("Alpha Networks", 40_000), ("Beta Bravado Systems", 900_000)):
            partner = Partner(
                external_id=name[:4],
                name=name,
                tier="silver",
                region="EMEA",
                signed_at=date(2025, 1, 1),
                quarterly_target=target,
                slack_channel_id=f"C0{name[:4].upper()}",
            )
            session.add(partner)
            session.flush()
            ids[name[:4]] = partner.id
        for key, owner, amount, status, closed in (
            ("Alpha Customer", "Alph", 12_000, DealStatus.WON, "2026-08-10"),
            ("Alpha Prospect", "Alph", 8_000, DealStatus.APPROVED, None),
            ("Bravado Customer One", "Beta", 345_678, DealStatus.WON, "2026-08-12"),
            ("Bravado Customer Two", "Beta", 234_567, DealStatus.WON, "2026-09-01"),
            ("Bravado Prospect", "Beta", 456_789, DealStatus.PENDING, None),
            ("Bravado Lost", "Beta", 123_456, DealStatus.LOST, "2026-09-20"),
        ):
            influencers = [ids["Beta"]] if key == "Alpha Customer" else []
            add_deal(
                session,
                ids[owner],
                key,
                amount,
                status,
                utc("2026-07-01"),
                closed,
                influencers=influencers,
            )
        session.commit()
        compute_and_store(session, PROGRAM, date(2026, 10, 1))
        [alpha] = qbr_digests(session, PROGRAM, parse_period("2026-Q3"), [ids["Alph"]])
    messages = qbr_messages(alpha, PROGRAM.partner_view)
    text = text_of(messages)
    assert "Alpha Networks" in text
    assert "USD 12,000" in text
    assert "Alpha Customer" in text
    beta = ("Beta", "Bravado", "BETA", "345,678", "234,567", "456,789", "123,456", "900,000")
    for other in beta:
        assert other not in text
