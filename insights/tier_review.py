"""Tier changes the scorecards propose, and a manager's decision on one.

Why a decision at all: an upgrade can be granted at once, but programs have a human approve a
downgrade (the rules' ``downgrade_requires_approval``), and in both cases the partner's manager
should know before the partner does. The decision is a compare-and-set on the partner's tier —
a proposal made for a silver partner cannot move a partner someone already moved — and is
audited like every other change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from config.program import Program
from models import AuditEntry, Partner, PartnerScorecard, PartnerStatus


@dataclass(frozen=True)
class TierChange:
    partner_id: int
    name: str
    current: str
    recommended: str
    direction: Literal["up", "down"]
    needs_approval: bool


def proposed_tier_changes(
    session: Session, program: Program, month: date | None
) -> list[TierChange]:
    """Active partners whose scorecard of ``month`` recommends another tier than the one they
    hold now, upgrades first, then by name."""
    if month is None:
        return []
    order = {name: level for level, name in enumerate(program.tier_names)}
    rows = session.execute(
        select(Partner.id, Partner.name, Partner.tier, PartnerScorecard.recommended_tier)
        .join(Partner, Partner.id == PartnerScorecard.partner_id)
        .where(
            PartnerScorecard.month == month,
            func.lower(Partner.tier) != func.lower(PartnerScorecard.recommended_tier),
            Partner.status == PartnerStatus.ACTIVE,
        )
        .order_by(Partner.name)
    ).all()
    changes = []
    for partner_id, name, current, recommended in rows:
        up = order.get(recommended, 0) > order.get(current.lower(), 0)
        changes.append(
            TierChange(
                partner_id,
                name,
                current,
                recommended,
                "up" if up else "down",
                needs_approval=not up and program.tiering.downgrade_requires_approval,
            )
        )
    return sorted(changes, key=lambda c: (c.direction != "up", c.name))


@dataclass(frozen=True)
class TierDecision:
    changed: bool
    """False when the partner's tier was no longer ``current`` (decided already, or moved)."""
    tier: str
    """The partner's tier after the decision."""


def decide_tier(
    session: Session,
    partner_id: int,
    current: str,
    recommended: str,
    *,
    approve: bool,
    actor: str,
) -> TierDecision:
    """Approve (move the partner from ``current`` to ``recommended``) or decline (keep it) one
    proposal, audited. The caller commits."""
    if approve:
        moved = session.execute(
            update(Partner)
            .where(Partner.id == partner_id, Partner.tier == current)
            .values(tier=recommended, updated_at=func.now())
            .execution_options(synchronize_session=False)
        ).rowcount
    else:
        moved = int(session.scalar(select(Partner.tier).where(Partner.id == partner_id)) == current)
    if moved:
        session.add(
            AuditEntry(
                actor=actor,
                action="tier_approved" if approve else "tier_declined",
                entity="partner",
                entity_id=str(partner_id),
                detail={"from": current, "to": recommended},
            )
        )
    tier = session.scalar(select(Partner.tier).where(Partner.id == partner_id)) or current
    return TierDecision(changed=bool(moved), tier=tier)
