"""Reading registrations back: one by id (``/deal status``) and filtered lists (``/deal list``),
as plain ``DealView`` records that carry everything a card shows and routing needs.

Visibility is the caller's to enforce with :attr:`DealFilter.partner_id`; a registration is
looked up by id first and checked afterwards, so "not found" and "not yours" can be answered
with the same words.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from itertools import groupby
from typing import Any

from sqlalchemy import FromClause, Select, and_, bindparam, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from deals.routing import RoutingSubject
from models import Account, DealRegistration, DealSource, DealStatus, Partner, deal_influencers
from models.enums import ACTIVE_DEAL_STATUSES

_OWN_ID = re.compile(r"(?i)^r-?0*(\d{1,12})$|^0*(\d{1,12})$")
_ANY_ID = re.compile(r"^[\w.:/#-]{1,64}$")


def parse_deal_id(text: str) -> str | None:
    """The registration id someone typed, in stored form: "r-42", "R-000042" and "42" are all
    "R-000042"; an imported CRM id ("OPP-1234") is kept as typed. None if it cannot be an id."""
    text = text.strip()
    found = _OWN_ID.match(text)
    if found:
        return f"R-{int(found.group(1) or found.group(2)):06d}"
    return text if _ANY_ID.match(text) else None


@dataclass(frozen=True)
class DealView:
    external_id: str
    status: DealStatus
    source: DealSource
    partner_id: int
    partner_name: str
    partner_region: str
    partner_tier: str
    partner_specialties: tuple[str, ...]
    partner_channel: str | None
    partner_manager: str | None
    account_name: str
    """The account's name: the one its first registration typed, whoever's that was (staff)."""
    account_name_as_registered: str
    """The name this registration typed: the only one its partner is shown."""
    account_domain: str | None
    amount: Decimal
    currency: str
    product: str | None
    expected_close: date | None
    notes: str | None
    registered_at: datetime
    registered_by: str | None
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    expires_at: date | None
    influencers: tuple[str, ...] = ()
    """Names of the partners recorded as influencing the deal."""

    @property
    def routing_subject(self) -> RoutingSubject:
        return RoutingSubject(
            region=self.partner_region,
            tier=self.partner_tier,
            specialties=self.partner_specialties,
            product=self.product,
        )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_DEAL_STATUSES


@dataclass(frozen=True)
class DealFilter:
    """Criteria for :func:`find_deals`; the ones left None do not filter."""

    partner_id: int | None = None
    statuses: tuple[DealStatus, ...] | None = None
    registered_by: str | None = None
    managed_by: str | None = None
    """Slack id of the partner manager (``partners.manager_slack_id``)."""
    expiring_by: date | None = None
    """Approved registrations whose protection ends on or before this day, soonest first."""


def _views() -> Select[Any]:
    return select(
        DealRegistration.id,
        DealRegistration.external_id,
        DealRegistration.status,
        DealRegistration.source,
        DealRegistration.partner_id,
        Partner.name.label("partner_name"),
        Partner.region.label("partner_region"),
        Partner.tier.label("partner_tier"),
        Partner.specialties.label("partner_specialties"),
        Partner.slack_channel_id.label("partner_channel"),
        Partner.manager_slack_id.label("partner_manager"),
        Account.name.label("account_name"),
        func.coalesce(DealRegistration.account_name_as_registered, Account.name).label(
            "account_name_as_registered"
        ),
        Account.domain.label("account_domain"),
        DealRegistration.amount,
        DealRegistration.currency,
        DealRegistration.product,
        DealRegistration.expected_close,
        DealRegistration.notes,
        DealRegistration.registered_at,
        DealRegistration.registered_by,
        DealRegistration.decided_by,
        DealRegistration.decided_at,
        DealRegistration.decision_reason,
        DealRegistration.expires_at,
    ).select_from(
        DealRegistration.__table__.join(
            Partner.__table__, Partner.id == DealRegistration.partner_id
        ).join(Account.__table__, Account.id == DealRegistration.account_id)
    )


Order = tuple[tuple[str, bool], ...]
"""Column names, each with whether it sorts descending."""
NEWEST_FIRST: Order = (("registered_at", True), ("id", True))
SOONEST_EXPIRY_FIRST: Order = (("expires_at", False), ("id", False))

_CONDITIONS: dict[str, Any] = {
    "external_id": DealRegistration.external_id == bindparam("external_id"),
    "partner_id": DealRegistration.partner_id == bindparam("partner_id"),
    "statuses": DealRegistration.status.in_(bindparam("statuses", expanding=True)),
    "registered_by": DealRegistration.registered_by == bindparam("registered_by"),
    "managed_by": Partner.manager_slack_id == bindparam("managed_by"),
    "expiring_by": and_(
        DealRegistration.status == DealStatus.APPROVED,
        DealRegistration.expires_at <= bindparam("expiring_by"),
    ),
}
"""Every filter, its value a bound parameter of the same name."""


def _sort(columns: ReadOnlyColumnCollection[str, Any], order: Order) -> list[Any]:
    return [columns[name].desc() if descending else columns[name] for name, descending in order]


@cache
def _page_statement(filters: frozenset[str], order: Order, limit: int) -> Select[Any]:
    """Up to ``limit`` registrations matching ``filters`` in ``order`` after the first
    ``offset`` (a bound parameter), each with its influencers' names, in one round trip: the
    page is chosen first, then joined to its influencers (a row per influencer, by name). Built
    once per shape: building a statement costs more CPU than running it."""
    conditions = [_CONDITIONS[name] for name in sorted(filters)]
    chosen = _views().where(*conditions).order_by(*_sort(DealRegistration.__table__.c, order))
    page = chosen.limit(limit).offset(bindparam("offset")).subquery()
    influencer = Partner.__table__.alias("influencer")
    return (
        select(page, influencer.c.name.label("influencer"))
        .outerjoin(deal_influencers, deal_influencers.c.deal_id == page.c.id)
        .outerjoin(influencer, influencer.c.id == deal_influencers.c.partner_id)
        .order_by(*_sort(page.c, order), influencer.c.name)
    )


@cache
def _count_statement(filters: frozenset[str]) -> Select[Any]:
    """How many registrations match ``filters``. Every registration has its partner and
    account (non-null foreign keys), so the count joins only what a filter names."""
    counted: FromClause = DealRegistration.__table__
    if "managed_by" in filters:
        counted = counted.join(Partner.__table__, Partner.id == DealRegistration.partner_id)
    conditions = [_CONDITIONS[name] for name in sorted(filters)]
    return select(func.count()).select_from(counted).where(*conditions)


def _fetch(
    session: Session, values: dict[str, Any], order: Order, limit: int, offset: int = 0
) -> list[DealView]:
    """The registrations :func:`_page_statement` finds for filter ``values``, each row's
    influencers folded into its view. Plain columns, so run on the session's connection: the
    ORM's execution path would only add work."""
    statement = _page_statement(frozenset(values), order, limit)
    rows = session.connection().execute(statement, {**values, "offset": offset})
    views = []
    for _, group in groupby(rows, key=lambda row: row.id):
        rows_of_deal = list(group)
        fields = rows_of_deal[0]._asdict()
        del fields["id"], fields["influencer"]
        fields["partner_specialties"] = tuple(fields["partner_specialties"] or ())
        names = tuple(row.influencer for row in rows_of_deal if row.influencer is not None)
        views.append(DealView(**fields, influencers=names))
    return views


def deal_view(session: Session, external_id: str) -> DealView | None:
    """One registration by its id (as stored; see :func:`parse_deal_id`)."""
    found = _fetch(session, {"external_id": external_id}, NEWEST_FIRST, 1)
    return found[0] if found else None


def find_deals(
    session: Session, where: DealFilter, limit: int = 20, offset: int = 0
) -> tuple[list[DealView], int]:
    """Up to ``limit`` registrations matching ``where`` (newest first; soonest expiry first for
    ``expiring_by``) after the first ``offset``, and how many match in all, so a long list can
    say "and 130 more" and page on."""
    values: dict[str, Any] = {
        "partner_id": where.partner_id,
        "statuses": list(where.statuses) if where.statuses is not None else None,
        "registered_by": where.registered_by,
        "managed_by": where.managed_by,
        "expiring_by": where.expiring_by,
    }
    values = {name: value for name, value in values.items() if value is not None}
    order = SOONEST_EXPIRY_FIRST if where.expiring_by is not None else NEWEST_FIRST
    views = _fetch(session, values, order, limit, offset)
    total = len(views)
    if total == limit or offset:
        total = session.connection().scalar(_count_statement(frozenset(values)), values) or 0
    return views, total


def recently_held_accounts(session: Session, limit: int) -> list[tuple[str, str | None]]:
    """The name and domain of the accounts of the ``limit`` latest registrations still active:
    companies partners hold today, for showing the registration check on real names."""
    rows = session.execute(
        select(Account.name, Account.domain)
        .join(DealRegistration, DealRegistration.account_id == Account.id)
        .where(DealRegistration.status.in_(ACTIVE_DEAL_STATUSES))
        .order_by(DealRegistration.registered_at.desc())
        .limit(limit)
    )
    return [(name, domain) for name, domain in rows]


def last_registration_day(session: Session) -> date | None:
    """The day of the latest registration: where a program's data ends (None: no data)."""
    latest = session.scalar(select(func.max(DealRegistration.registered_at)))
    return latest.date() if latest else None
