"""Closed vocabularies shared by tables, importers and the domain."""

from enum import StrEnum


class PartnerStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    TERMINATED = "terminated"


class PersonRole(StrEnum):
    MANAGER = "manager"
    LEADERSHIP = "leadership"
    PARTNER = "partner"


class DealStatus(StrEnum):
    """Registration lifecycle: pending → approved/rejected/conflict → won/lost/expired."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CONFLICT = "conflict"
    WON = "won"
    LOST = "lost"
    EXPIRED = "expired"


ACTIVE_DEAL_STATUSES = (DealStatus.PENDING, DealStatus.APPROVED, DealStatus.CONFLICT)


class DealSource(StrEnum):
    """Whether the partner brought the opportunity (sourced) or helped close it (influenced)."""

    SOURCED = "sourced"
    INFLUENCED = "influenced"


class ActivityKind(StrEnum):
    CERTIFICATION = "certification"
    TRAINING = "training"
    MARKETING = "marketing"
    SATISFACTION = "satisfaction"
    MDF_SPEND = "mdf_spend"
    PROGRAM_COST = "program_cost"


class AlertState(StrEnum):
    """What the manager did with an alert: the feedback that silences a condition and labels
    the model's output for later evaluation."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    DISMISSED = "dismissed"


class OutboxStatus(StrEnum):
    """A queued Slack message: waiting (or retrying), delivered, or refused for good."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
