"""What a partner manager decides about registrations: approve, reject, extend, and settle a
conflict by awarding the account to one partner or rejecting every claim.

Each function flushes and the caller commits (``with session_factory.begin() as session:``),
which releases the account locks that :func:`approve` and :func:`reject_conflict` take; a
:class:`DecisionError` is raised before anything is written, so the caller may commit or roll
back after one. Each change is audited (``deals.transitions``) and guarded by the status the
registration must still have, so a second click on the same button, or two managers deciding at
once, gets a :class:`DecisionError` instead of a second decision. Who may decide is the caller's
check (:func:`deals.routing.may_decide`).

A decision made on a card passes the :func:`claims_version` the card was rendered from; when the
account's claims have changed since (a rival registered, a claim was decided), the decision is
refused with :class:`StaleCardError`, under the account's locks, so nobody settles a conflict
without seeing every claim in it.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from config.program import Program
from deals.accounts import account_row
from deals.active_index import ActiveIndex
from deals.lookup import DealView, deal_view
from deals.registration import active_matches, lock_account
from deals.transitions import MovedRow, move
from models import DealRegistration, DealStatus

CONFLICT_LOST = "another partner's registration of this account was approved"


class DecisionError(Exception):
    """A decision that cannot be made; the message is worded for the person who tried."""


class StaleCardError(DecisionError):
    """The card decided on showed other claims on the account than there are now."""


@dataclass(frozen=True)
class Decided:
    """One registration a decision changed, for the announcements that follow."""

    external_id: str
    partner_id: int
    status: DealStatus
    expires_at: date | None


def _decided(rows: list[MovedRow]) -> list[Decided]:
    return [Decided(r.external_id, r.partner_id, r.status, r.expires_at) for r in rows]


def _current(session: Session, external_id: str) -> DealView:
    deal = deal_view(session, external_id)
    if deal is None:
        raise DecisionError(f"There is no registration {external_id}.")
    return deal


def _locked(session: Session, external_id: str) -> DealView:
    """The registration, read again after taking registration's advisory locks on its account,
    so decisions (and registrations) of one account run one after another."""
    deal = _current(session, external_id)
    lock_account(session, account_row(deal.account_name, deal.account_domain))
    return _current(session, external_id)


def claims_version(
    session: Session, deal: DealView, program: Program, index: ActiveIndex | None = None
) -> str:
    """A short fingerprint of the account's current claims (every active registration of the
    company ``deal`` names, and their statuses): what a card is rendered from."""
    threshold = program.registration.name_match_threshold
    rows = active_matches(session, deal.account_name, deal.account_domain, threshold, index)
    claims = sorted(
        {f"{deal.external_id}:{deal.status}", *(f"{r.external_id}:{r.status}" for r in rows)}
    )
    return hashlib.sha256(" ".join(claims).encode()).hexdigest()[:12]


def _unchanged(
    session: Session,
    deal: DealView,
    program: Program,
    index: ActiveIndex | None,
    shown: str | None,
) -> None:
    """Refuse a decision made on a card (``shown``: its claims version; None for a command)
    rendered from other claims than the account has now."""
    if shown is not None and shown != claims_version(session, deal, program, index):
        raise StaleCardError(
            f"The claims on {deal.account_name} changed since that card was posted, so nothing "
            f"was decided: here is the account as it stands now."
        )


def _undecided(
    session: Session,
    external_id: str,
    program: Program,
    index: ActiveIndex | None,
    shown: str | None,
    *,
    conflict_only: bool,
) -> DealView:
    """The registration to reject, under its account's locks: still awaiting a decision (in
    conflict, for ``conflict_only``) and shown as it stands (:func:`_unchanged`)."""
    deal = _locked(session, external_id)
    if conflict_only and deal.status is not DealStatus.CONFLICT:
        raise _not_in(deal, "in conflict")
    if deal.status not in (DealStatus.PENDING, DealStatus.CONFLICT):
        raise _not_in(deal, "pending")
    _unchanged(session, deal, program, index, shown)
    return deal


def _held_elsewhere(
    session: Session, deal: DealView, program: Program, index: ActiveIndex | None
) -> None:
    threshold = program.registration.name_match_threshold
    held = [
        r
        for r in active_matches(session, deal.account_name, deal.account_domain, threshold, index)
        if r.status == DealStatus.APPROVED and r.partner_id != deal.partner_id
    ]
    if held:
        raise DecisionError(
            f"{held[0].external_id}, another partner's registration of this account, is already "
            f"approved: one approved registration per account at a time."
        )


def _not_in(deal: DealView, wanted: str) -> DecisionError:
    decided = f" by <@{deal.decided_by}>" if deal.decided_by else ""
    return DecisionError(f"{deal.external_id} is {deal.status.value}{decided}, not {wanted}.")


def _decide(
    session: Session,
    external_id: str,
    expected: DealStatus,
    values: dict[str, Any],
    *,
    actor: str,
    action: str,
    detail: dict[str, object],
) -> list[MovedRow]:
    moved = move(
        session,
        (DealRegistration.external_id == external_id, DealRegistration.status == expected),
        {"decided_by": actor, "decided_at": func.now(), **values},
        actor=actor,
        action=action,
        detail=lambda _: detail,
    )
    if not moved:
        raise _not_in(_current(session, external_id), expected.value)
    return moved


def _conflict_group(
    session: Session, deal: DealView, program: Program, index: ActiveIndex | None
) -> list[MovedRow]:
    """The other registrations in conflict over the same company as ``deal``."""
    threshold = program.registration.name_match_threshold
    rows = active_matches(session, deal.account_name, deal.account_domain, threshold, index)
    return [
        r for r in rows if r.status == DealStatus.CONFLICT and r.external_id != deal.external_id
    ]


def conflict_claims(
    session: Session, deal: DealView, program: Program, index: ActiveIndex | None = None
) -> list[str]:
    """``deal`` and the other registrations in conflict over its company: what a conflict
    card about it shows."""
    rivals = _conflict_group(session, deal, program, index)
    return [deal.external_id, *(r.external_id for r in rivals)]


def _rejection(actor: str, reason: str) -> dict[str, Any]:
    return {
        "status": DealStatus.REJECTED,
        "decided_by": actor,
        "decided_at": func.now(),
        "decision_reason": reason,
    }


def approve(
    session: Session,
    external_id: str,
    *,
    actor: str,
    program: Program,
    today: date,
    index: ActiveIndex | None = None,
    shown: str | None = None,
) -> list[Decided]:
    """Approve a pending registration: protected for ``registration.expiry_days`` from today.
    Approving one in conflict awards the account to it and rejects the rival claims.
    Returns every registration changed, the approved one first."""
    deal = _locked(session, external_id)
    if deal.status in (DealStatus.PENDING, DealStatus.CONFLICT):
        _unchanged(session, deal, program, index, shown)
    expires = today + timedelta(days=program.registration.expiry_days)
    approved = {"status": DealStatus.APPROVED, "expires_at": expires, "decision_reason": None}
    if deal.status is DealStatus.CONFLICT:
        _held_elsewhere(session, deal, program, index)
        rivals = _conflict_group(session, deal, program, index)
        moved = _decide(
            session,
            external_id,
            DealStatus.CONFLICT,
            approved,
            actor=actor,
            action="award",
            detail={"over": [r.external_id for r in rivals], "expires_at": expires.isoformat()},
        )
        moved += move(
            session,
            (
                DealRegistration.external_id.in_([r.external_id for r in rivals]),
                DealRegistration.status == DealStatus.CONFLICT,
            ),
            _rejection(actor, CONFLICT_LOST),
            actor=actor,
            action="reject",
            detail=lambda _: {"reason": CONFLICT_LOST, "awarded_to": external_id},
        )
        return _decided(moved)
    if deal.status is not DealStatus.PENDING:
        raise _not_in(deal, "pending")
    _held_elsewhere(session, deal, program, index)
    moved = _decide(
        session,
        external_id,
        DealStatus.PENDING,
        approved,
        actor=actor,
        action="approve",
        detail={"expires_at": expires.isoformat()},
    )
    return _decided(moved)


def reject(
    session: Session,
    external_id: str,
    *,
    actor: str,
    reason: str,
    program: Program,
    index: ActiveIndex | None = None,
    shown: str | None = None,
) -> list[Decided]:
    """Reject a pending registration, or one claim of a conflict, with a reason the partner
    will read."""
    reason = reason.strip()
    if not reason:
        raise DecisionError("Say why: the partner is told the reason.")
    deal = _undecided(session, external_id, program, index, shown, conflict_only=False)
    moved = _decide(
        session,
        external_id,
        deal.status,
        {"status": DealStatus.REJECTED, "decision_reason": reason},
        actor=actor,
        action="reject",
        detail={"reason": reason},
    )
    return _decided(moved)


def reject_conflict(
    session: Session,
    external_id: str,
    *,
    actor: str,
    reason: str,
    program: Program,
    index: ActiveIndex | None = None,
    shown: str | None = None,
) -> list[Decided]:
    """Reject every claim in the conflict ``external_id`` belongs to."""
    reason = reason.strip() or "no partner's claim to this account was accepted"
    deal = _undecided(session, external_id, program, index, shown, conflict_only=True)
    ids = conflict_claims(session, deal, program, index)
    moved = move(
        session,
        (DealRegistration.external_id.in_(ids), DealRegistration.status == DealStatus.CONFLICT),
        _rejection(actor, reason),
        actor=actor,
        action="reject",
        detail=lambda _: {"reason": reason, "conflict": ids},
    )
    return _decided(moved)


def extend(
    session: Session, external_id: str, *, actor: str, days: int, program: Program, today: date
) -> list[Decided]:
    """Push an approved registration's expiry ``days`` further (from today if it has passed),
    at most ``registration.max_extension_days`` at a time."""
    limit = program.registration.max_extension_days
    if not 1 <= days <= limit:
        raise DecisionError(f"Extend by 1 to {limit} days at a time (got {days}).")
    deal = _current(session, external_id)
    if deal.status is not DealStatus.APPROVED:
        raise _not_in(deal, "approved")
    start = max(deal.expires_at or today, today)
    expires = start + timedelta(days=days)
    moved = move(
        session,
        (
            DealRegistration.external_id == external_id,
            DealRegistration.status == DealStatus.APPROVED,
        ),
        {"expires_at": expires},
        actor=actor,
        action="extend",
        detail=lambda _: {"days": days, "from": start.isoformat(), "to": expires.isoformat()},
    )
    if not moved:
        raise _not_in(_current(session, external_id), "approved")
    return _decided(moved)
