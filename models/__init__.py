"""Database tables and the engine/session setup. No business rules live here."""

from models.activities import PartnerActivity
from models.audit import AuditEntry
from models.base import Base
from models.cards import DealCard
from models.deals import Account, DealRegistration, deal_influencers
from models.enums import (
    ActivityKind,
    AlertState,
    DealSource,
    DealStatus,
    OutboxStatus,
    PartnerStatus,
    PersonRole,
)
from models.monitoring import PartnerAlert, PartnerRiskScore, RiskRun
from models.outbox import JobRun, OutboxMessage
from models.partners import Partner, Person
from models.request_counts import RequestCount
from models.scorecards import PartnerScorecard

__all__ = [
    "Account",
    "ActivityKind",
    "AlertState",
    "AuditEntry",
    "Base",
    "DealCard",
    "DealRegistration",
    "DealSource",
    "DealStatus",
    "JobRun",
    "OutboxMessage",
    "OutboxStatus",
    "Partner",
    "PartnerActivity",
    "PartnerAlert",
    "PartnerRiskScore",
    "PartnerScorecard",
    "PartnerStatus",
    "Person",
    "PersonRole",
    "RequestCount",
    "RiskRun",
    "deal_influencers",
]
