"""Database tables and the engine/session setup. No business rules live here."""

from models.activities import PartnerActivity
from models.audit import AuditEntry
from models.base import Base
from models.deals import Account, DealRegistration, deal_influencers
from models.enums import ActivityKind, DealSource, DealStatus, PartnerStatus, PersonRole
from models.limits import RequestCount
from models.partners import Partner, Person
from models.scorecards import PartnerScorecard

__all__ = [
    "Account",
    "ActivityKind",
    "AuditEntry",
    "Base",
    "DealRegistration",
    "DealSource",
    "DealStatus",
    "Partner",
    "PartnerActivity",
    "PartnerScorecard",
    "PartnerStatus",
    "Person",
    "PersonRole",
    "RequestCount",
    "deal_influencers",
]
