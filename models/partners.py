"""Partners and the people around them: staff and partner contacts."""

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONDocument, Timestamped, enum_column
from models.enums import PartnerStatus, PersonRole


class Partner(Timestamped, Base):
    __tablename__ = "partners"
    __table_args__ = (Index(None, "tier", "region"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(64))
    specialties: Mapped[list[str]] = mapped_column(JSONDocument, server_default=text("'[]'"))
    status: Mapped[PartnerStatus] = mapped_column(
        enum_column(PartnerStatus, "partner_status"), server_default=PartnerStatus.ACTIVE.value
    )
    signed_at: Mapped[date | None]
    first_revenue_at: Mapped[date | None]
    quarterly_target: Mapped[Decimal | None]
    manager_slack_id: Mapped[str | None] = mapped_column(String(32), index=True)
    slack_channel_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    slack_team_id: Mapped[str | None] = mapped_column(String(32), index=True)


class Person(Timestamped, Base):
    """Someone partnerbot knows by Slack id: a staff member, or a contact at a partner."""

    __tablename__ = "people"
    __table_args__ = (
        CheckConstraint(
            "(role = 'partner') = (partner_id IS NOT NULL)", name="partner_contact_has_partner"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[PersonRole] = mapped_column(enum_column(PersonRole, "person_role"))
    name: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(64))
    slack_team_id: Mapped[str | None] = mapped_column(String(32))
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
