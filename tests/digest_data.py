"""A small program with a week (2026-W47) and a quarter to digest: two active partners and a
terminated one, their deals, certifications and risk scores. Shared by the digest tests."""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from config.program import parse_program
from insights.digests import parse_period
from models import (
    ActivityKind,
    DealSource,
    DealStatus,
    Partner,
    PartnerActivity,
    PartnerRiskScore,
    PartnerStatus,
    RiskRun,
)
from tests.seeding import add_deal

PROGRAM = parse_program(
    """
    [program]
    name = "Test Program"
    currency = "USD"

    [currencies]
    EUR = 1.10

    [[tiers]]
    name = "registered"
    min_score = 0

    [[tiers]]
    name = "silver"
    min_score = 40

    [[tiers]]
    name = "gold"
    min_score = 60

    [channels]
    leadership_digest = "C0LEAD"

    [alerts]
    risk_threshold = 0.6
    """,
    "inline",
)
WEEK = parse_period("2026-W47")
QUARTER = parse_period("2026-Q4")
WON = DealStatus.WON


def utc(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


def seed(session: Session) -> dict[str, int]:
    ids: dict[str, int] = {}
    for name, tier, target, channel, status in (
        ("Alpha", "silver", 40_000, "C0ALPHA", PartnerStatus.ACTIVE),
        ("Beta", "gold", 100_000, "C0BETA", PartnerStatus.ACTIVE),
        ("Gone", "silver", None, None, PartnerStatus.TERMINATED),
    ):
        partner = Partner(
            external_id=name,
            name=name,
            tier=tier,
            region="EMEA",
            status=status,
            signed_at=date(2024, 1, 1),
            quarterly_target=target,
            slack_channel_id=channel,
        )
        session.add(partner)
        session.flush()
        ids[name] = partner.id

    def deal(
        key: str,
        partner: str,
        amount: int,
        status: DealStatus,
        registered: str,
        closed: str | None = None,
        *,
        currency: str = "USD",
        source: DealSource = DealSource.SOURCED,
    ) -> None:
        add_deal(
            session,
            ids[partner],
            key,
            amount,
            status,
            utc(registered),
            closed,
            currency=currency,
            source=source,
            account=f"Customer {key}",
            product="Core Platform",
        )

    deal("D1", "Alpha", 10_000, WON, "2026-10-01", "2026-11-18")
    deal("D2", "Alpha", 1_000, WON, "2026-10-05", "2026-11-20", currency="EUR",
         source=DealSource.INFLUENCED)  # fmt: skip
    deal("D3", "Beta", 5_000, WON, "2026-09-01", "2026-11-10")
    deal("D4", "Beta", 20_000, WON, "2025-09-01", "2025-11-19")
    deal("D5", "Alpha", 7_000, DealStatus.PENDING, "2026-11-17")
    deal("D6", "Beta", 3_000, DealStatus.CONFLICT, "2026-11-21")
    deal("D7", "Beta", 4_000, DealStatus.LOST, "2026-10-01", "2026-11-19")
    deal("D8", "Gone", 50_000, WON, "2026-10-10", "2026-11-17")
    deal("D9", "Beta", 30_000, WON, "2026-09-15", "2026-10-20")
    for day in ("2026-05-01", "2026-11-02"):
        session.add(
            PartnerActivity(
                partner_id=ids["Alpha"],
                occurred_on=date.fromisoformat(day),
                kind=ActivityKind.CERTIFICATION,
                value=Decimal(1),
                detail=f"cert {day}",
            )
        )
    session.commit()
    return ids


def add_risk(session: Session, ids: dict[str, int]) -> None:
    """Scores of 15 and 22 November (Alpha newly at risk, Beta below the threshold, Gone
    terminated) and of 29 November, after the week: ignored."""
    run = RiskRun(
        as_of=date(2026, 11, 22), model_version="t", method="heuristic", card={},
        partners=3, seconds=0.1,
    )  # fmt: skip
    session.add(run)
    session.flush()
    for partner, day, risk, factors in (
        ("Alpha", "2026-11-15", 0.4, []),
        ("Alpha", "2026-11-22", 0.8, ["Won revenue fell 60% below its usual", "No marketing"]),
        ("Beta", "2026-11-22", 0.3, []),
        ("Gone", "2026-11-22", 0.9, ["Terminated"]),
        ("Beta", "2026-11-29", 0.95, ["Later"]),
    ):
        session.add(
            PartnerRiskScore(
                partner_id=ids[partner],
                as_of=date.fromisoformat(day),
                run_id=run.id,
                risk=risk,
                risk_band="high" if risk >= 0.6 else "low",
                top_factors=factors,
                drift_flags=[],
            )
        )
    session.commit()
