"""End-customer accounts and the deal registrations partners file against them."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped, enum_column
from models.enums import DealSource, DealStatus


class Account(Timestamped, Base):
    """An end customer. ``account_key`` is its identity: the web domain when known, else its
    normalised name, so the same company imported twice is one row."""

    __tablename__ = "accounts"
    __table_args__ = (
        # Pattern operators on PostgreSQL, so `LIKE 'acme %'` is an index lookup under any
        # collation (a plain index serves it only under "C"); equality lookups use it too.
        Index(
            "ix_accounts_normalized_name_pattern",
            "normalized_name",
            postgresql_ops={"normalized_name": "varchar_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    normalized_name: Mapped[str] = mapped_column(String(255))
    domain: Mapped[str | None] = mapped_column(String(255), index=True)
    country: Mapped[str | None] = mapped_column(String(64))


deal_influencers = Table(
    "deal_influencers",
    Base.metadata,
    Column("deal_id", ForeignKey("deal_registrations.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "partner_id", ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class DealRegistration(Timestamped, Base):
    __tablename__ = "deal_registrations"
    __table_args__ = (
        Index(None, "partner_id", "status"),
        Index(None, "account_id", "status"),
        Index(None, "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="RESTRICT"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="RESTRICT"))
    account_name_as_registered: Mapped[str | None] = mapped_column(String(255))
    """The account's name as this registration typed it. The account keeps the name of whoever
    registered it first, which may be another partner's: partners are shown this one. Null
    only where a writer did not know it (the account's name stands in)."""
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    product: Mapped[str | None] = mapped_column(String(200))
    stage: Mapped[str | None] = mapped_column(String(100))
    expected_close: Mapped[date | None]
    registered_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    """When the registration reached us, by the server's UTC clock: first come, first served."""
    registered_by: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[DealStatus] = mapped_column(enum_column(DealStatus, "deal_status"))
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[date | None]
    closed_at: Mapped[date | None]
    source: Mapped[DealSource] = mapped_column(
        enum_column(DealSource, "deal_source"), server_default=DealSource.SOURCED.value
    )
    notes: Mapped[str | None] = mapped_column(Text)
