"""Program overview for the demo and the terminal: partners by tier and region, revenue by
quarter, top partners, recent registrations. Plain data out; rendering lives elsewhere."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

from config.program import Program
from insights.money import converted
from models import Account, DealRegistration, DealStatus, Partner


@dataclass(frozen=True)
class QuarterRevenue:
    quarter: str
    won: Decimal
    deals: int


@dataclass(frozen=True)
class PartnerRevenue:
    partner_id: str
    name: str
    tier: str
    region: str
    revenue: Decimal
    deals: int


@dataclass(frozen=True)
class RecentRegistration:
    deal_id: str
    partner: str
    account: str
    amount: Decimal
    currency: str
    status: DealStatus
    registered_at: datetime


@dataclass(frozen=True)
class Overview:
    currency: str
    as_of: date
    partners: int
    by_tier_region: dict[tuple[str, str], int]
    quarters: list[QuarterRevenue]
    top_partners: list[PartnerRevenue]
    recent: list[RecentRegistration]
    deals: int


def _quarter_start(day: date, back: int = 0) -> date:
    index = day.year * 4 + (day.month - 1) // 3 - back
    return date(index // 4, (index % 4) * 3 + 1, 1)


def program_overview(
    session: Session, program: Program, as_of: date, quarters: int = 8, top: int = 10
) -> Overview:
    """Everything closed on or before ``as_of``; revenue is won deals in program currency."""
    won_value = converted(DealRegistration.amount, DealRegistration.currency, program)
    won = (DealRegistration.status == DealStatus.WON) & (DealRegistration.closed_at <= as_of)

    tier_region = session.execute(
        select(Partner.tier, Partner.region, func.count()).group_by(Partner.tier, Partner.region)
    ).all()
    by_tier_region = {(tier, region): count for tier, region, count in tier_region}

    first_quarter = _quarter_start(as_of, quarters - 1)
    year = extract("year", DealRegistration.closed_at)
    month = extract("month", DealRegistration.closed_at)
    per_month = session.execute(
        select(year, month, func.sum(won_value), func.count())
        .where(won, DealRegistration.closed_at >= first_quarter)
        .group_by(year, month)
    ).all()
    totals: dict[tuple[int, int], tuple[Decimal, int]] = {}
    for y, m, value, count in per_month:
        key = (int(y), (int(m) - 1) // 3)
        so_far, deals = totals.get(key, (Decimal(0), 0))
        totals[key] = (so_far + Decimal(value or 0), deals + count)
    quarter_rows = []
    for back in range(quarters - 1, -1, -1):
        start = _quarter_start(as_of, back)
        value, count = totals.get((start.year, (start.month - 1) // 3), (Decimal(0), 0))
        label = f"{start.year} Q{(start.month - 1) // 3 + 1}"
        if back == 0:  # the quarter still running: so far, not a quarter's revenue
            label += f" to {as_of:%b} {as_of.day}"
        quarter_rows.append(QuarterRevenue(label, value.quantize(Decimal("0.01")), count))

    year_ago = date(as_of.year - 1, as_of.month, min(as_of.day, 28))
    revenue = func.sum(won_value).label("revenue")
    leaders = session.execute(
        select(
            Partner.external_id, Partner.name, Partner.tier, Partner.region, revenue, func.count()
        )
        .join(DealRegistration, DealRegistration.partner_id == Partner.id)
        .where(won, DealRegistration.closed_at > year_ago)
        .group_by(Partner.id)
        .order_by(revenue.desc(), Partner.external_id)
        .limit(top)
    ).all()
    top_partners = [
        PartnerRevenue(pid, name, tier, region, Decimal(value).quantize(Decimal("0.01")), n)
        for pid, name, tier, region, value, n in leaders
    ]

    recent = session.execute(
        select(
            DealRegistration.external_id,
            Partner.name,
            Account.name,
            DealRegistration.amount,
            DealRegistration.currency,
            DealRegistration.status,
            DealRegistration.registered_at,
        )
        .join(Partner, Partner.id == DealRegistration.partner_id)
        .join(Account, Account.id == DealRegistration.account_id)
        .order_by(DealRegistration.registered_at.desc(), DealRegistration.id.desc())
        .limit(top)
    ).all()
    return Overview(
        currency=program.info.currency,
        as_of=as_of,
        partners=sum(by_tier_region.values()),
        by_tier_region=by_tier_region,
        quarters=quarter_rows,
        top_partners=top_partners,
        recent=[RecentRegistration(*row) for row in recent],
        deals=session.scalar(select(func.count()).select_from(DealRegistration)) or 0,
    )
