"""Reading registrations back: one by id (``/deal status``) and filtered lists (``/deal list``),
as plain ``DealView`` records that carry everything a card shows and routing needs.

Visibility is the caller's to enforce with :attr:`DealFilter.partner_id`; a registration is
looked up by id first and checked afterwards, so "not found" and "not yours" can be answered
with the same words.
"""

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

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


def _view(row: Any) -> DealView:
    fields = row._asdict()
    del fields["id"]
    fields["partner_specialties"] = tuple(fields["partner_specialties"] or ())
    return DealView(**fields)


def _with_influencers(session: Session, ids: list[int], views: list[DealView]) -> list[DealView]:
    if not ids:
        return views
    names: dict[int, list[str]] = {}
    rows = session.execute(
        select(deal_influencers.c.deal_id, Partner.name)
        .join(Partner, Partner.id == deal_influencers.c.partner_id)
        .where(deal_influencers.c.deal_id.in_(ids))
        .order_by(Partner.name)
    )
    for deal_id, name in rows:
        names.setdefault(deal_id, []).append(name)
    return [
        replace(view, influencers=tuple(names[i])) if i in names else view
        for i, view in zip(ids, views, strict=True)
    ]


def deal_view(session: Session, external_id: str) -> DealView | None:
    """One registration by its id (as stored; see :func:`parse_deal_id`)."""
    row = session.execute(_views().where(DealRegistration.external_id == external_id)).first()
    if row is None:
        return None
    return _with_influencers(session, [row.id], [_view(row)])[0]


def find_deals(session: Session, where: DealFilter, limit: int = 20) -> tuple[list[DealView], int]:
    """Up to ``limit`` registrations matching ``where`` (newest first; soonest expiry first for
    ``expiring_by``) and how many match in all, so a long list can say "and 130 more"."""
    conditions = []
    if where.partner_id is not None:
        conditions.append(DealRegistration.partner_id == where.partner_id)
    if where.statuses is not None:
        conditions.append(DealRegistration.status.in_(where.statuses))
    if where.registered_by is not None:
        conditions.append(DealRegistration.registered_by == where.registered_by)
    if where.managed_by is not None:
        conditions.append(Partner.manager_slack_id == where.managed_by)
    if where.expiring_by is not None:
        conditions += [
            DealRegistration.status == DealStatus.APPROVED,
            DealRegistration.expires_at <= where.expiring_by,
        ]
        order = (DealRegistration.expires_at, DealRegistration.id)
    else:
        order = (DealRegistration.registered_at.desc(), DealRegistration.id.desc())
    rows = session.execute(_views().where(*conditions).order_by(*order).limit(limit)).all()
    total = len(rows)
    if total == limit:
        counted = _views().where(*conditions).with_only_columns(func.count())
        total = session.scalar(counted) or 0
    views = _with_influencers(session, [row.id for row in rows], [_view(row) for row in rows])
    return views, total
