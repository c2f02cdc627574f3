"""Writing deals for tests through the ORM, as the metric, scorecard and digest tests seed
their programs."""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from models import Account, DealRegistration, DealSource, DealStatus, deal_influencers


def add_deal(
    session: Session,
    partner_id: int,
    key: str,
    amount: int,
    status: DealStatus,
    registered: datetime,
    closed: str | None = None,
    *,
    currency: str = "USD",
    source: DealSource = DealSource.SOURCED,
    expires: str | None = None,
    account: str | None = None,
    product: str | None = None,
    influencers: Iterable[int] = (),
) -> DealRegistration:
    """A registration ``key`` of the partner for a new account (named ``account``, else
    ``key``), influenced by the partners ``influencers``; flushed, so it has its id."""
    customer = Account(account_key=key, name=account or key, normalized_name=key.lower())
    session.add(customer)
    session.flush()
    registration = DealRegistration(
        external_id=key,
        partner_id=partner_id,
        account_id=customer.id,
        amount=Decimal(amount),
        currency=currency,
        product=product,
        status=status,
        source=source,
        registered_at=registered,
        closed_at=date.fromisoformat(closed) if closed else None,
        expires_at=date.fromisoformat(expires) if expires else None,
    )
    session.add(registration)
    session.flush()
    for influencer in influencers:
        session.execute(
            deal_influencers.insert().values(deal_id=registration.id, partner_id=influencer)
        )
    return registration
