"""Deal registration: record a partner's claim on an end customer, spotting duplicates and
partner-vs-partner conflicts. Plain data in, dataclasses out; Slack and HTTP live elsewhere.

Rules (the channel-program norm "first to register wins"; the window and the name threshold are
the program file's ``[registration]`` table, :class:`config.program.Registration`):

* A new registration is compared with every *active* registration (pending, approved,
  conflict) of the same company: candidates are the accounts with our key (registrable domain,
  else normalised name) or our normalised name, all of them, plus look-alike names — from the
  in-memory index (:mod:`deals.active_index`) when the caller has one, else names starting
  with our first distinctive word — and :func:`deals.names.same_company` confirms them.
* The same partner already holds one: ``duplicate``, nothing is written.
* Another partner's claim still protects the account (:func:`protects`: pending or in conflict,
  whatever its age; approved and not expired), or is active and was registered within
  ``conflict_window_days``: the new registration is still recorded (a claim is never lost) with
  status ``conflict``, and the earlier pending/approved ones move to ``conflict`` too. A manager
  settles it; the default winner is the earliest by server timestamp, then id (:func:`winner`).
* Otherwise ``pending``.

Timestamps are the database server's (the column's ``now()`` default), never the client's: on
PostgreSQL that is the start of the registering transaction, i.e. when the request reached the
database, before it waited for any lock.

Concurrency. The caller owns the transaction (``with session_factory.begin() as session:``) and
should end it soon after :func:`register` returns, which only flushes. On PostgreSQL it first
takes transaction-scoped advisory locks (:func:`lock_account`) on the account's key and on its
look-alike keys (:func:`deals.names.lookalike_keys`: any two names that
:func:`~deals.names.same_company` matches share one, so "Acme Group" and "Acme Grp Holdings",
no domain, do too), held until the caller commits or rolls back, so registrations of one
company run one after another and each sees the ones committed before it; this needs READ
COMMITTED (the default). Unrelated names sharing a word wait for each other too, for a few
milliseconds. On SQLite the first statement is a write, which takes the database write lock, so
writers are serialised anyway.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from uuid import uuid4

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    delete,
    exists,
    func,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from config.program import Program
from deals.accounts import account_row
from deals.active_index import ActiveIndex
from deals.names import CompanyKey, company_key, is_generic, lookalike_keys, same_company
from deals.transitions import move
from models import Account, AuditEntry, DealRegistration, DealStatus, deal_influencers
from models.db import insert_new
from models.enums import ACTIVE_DEAL_STATUSES

OutcomeKind = Literal["registered", "duplicate", "conflict"]

CANDIDATE_LIMIT = 500
"""Most look-alike accounts (sharing the first word) the SQL fallback hands to Python; bounds
one check's cost for very common first words. Same-key and same-name accounts are never cut."""

_CONTESTABLE = (DealStatus.PENDING, DealStatus.APPROVED)


@dataclass(frozen=True)
class RegistrationRequest:
    partner_id: int
    """``partners.id`` of the registering partner."""
    account_name: str
    account_domain: str | None
    amount: Decimal
    currency: str
    product: str | None = None
    expected_close: date | None = None
    notes: str | None = None
    influence_partner_ids: list[int] = field(default_factory=list)
    registered_by: str = ""
    """Slack user id of whoever submitted it."""


@dataclass(frozen=True)
class RegistrationOutcome:
    """What happened. ``conflicting_ids`` is for the partner manager only: the partner must
    never learn who else registered the account or for how much."""

    kind: OutcomeKind
    external_id: str | None = None
    """The new registration's id; None for a duplicate (nothing was recorded)."""
    existing_external_id: str | None = None
    """For a duplicate: the partner's registration that already covers this account."""
    conflicting_ids: tuple[str, ...] = ()
    """For a conflict: the other partners' registrations, earliest first."""


def register(
    session: Session,
    request: RegistrationRequest,
    program: Program,
    index: ActiveIndex | None = None,
) -> RegistrationOutcome:
    """Record ``request`` under the rules above and flush. The caller commits, which releases
    the account's locks: for first-come-first-served to hold, the registration must be the
    transaction's last work, not followed by slow work such as posting to Slack. ``index``
    speeds up the look-alike search (:func:`active_matches`)."""
    if not request.account_name.strip():
        raise ValueError("account_name is required")
    rules = program.registration
    key = _company(request)
    account = account_row(request.account_name, key.domain)
    lock_account(session, account)
    account_id, created = _ensure_account(session, account)  # a write first: SQLite locks
    matches = active_matches(
        session,
        request.account_name,
        request.account_domain,
        rules.name_match_threshold,
        index,
    )
    own = [row for row in matches if row.partner_id == request.partner_id]
    if own:
        if created:  # a duplicate writes nothing, not even the account row it needed to look
            session.execute(delete(Account).where(Account.id == account_id))
        return RegistrationOutcome("duplicate", existing_external_id=own[0].external_id)

    deal = _insert(session, request, account_id)
    today = program.today(deal.registered_at)
    since = deal.registered_at - timedelta(days=rules.conflict_window_days)
    rivals = [row for row in matches if protects(row, today) or row.registered_at >= since]
    conflicting = tuple(row.external_id for row in rivals)
    if rivals:
        deal.status = DealStatus.CONFLICT
        _mark_conflicts(session, rivals, deal.external_id, request.registered_by)
    kind: OutcomeKind = "conflict" if rivals else "registered"
    session.add(
        AuditEntry(
            actor=request.registered_by,
            action="register",
            entity="deal",
            entity_id=deal.external_id,
            detail={
                "outcome": kind,
                "status": deal.status.value,
                "partner_id": request.partner_id,
                "account_key": account[0],
                "amount": str(request.amount),
                "currency": request.currency,
                "conflicts_with": list(conflicting),
            },
        )
    )
    session.flush()
    return RegistrationOutcome(kind, external_id=deal.external_id, conflicting_ids=conflicting)


def lock_account(session: Session, account: tuple[str, str, str, str | None]) -> None:
    """Serialise registrations and decisions of one company (an ``account_row`` tuple) until
    the transaction ends: PostgreSQL advisory locks on its account key and on its look-alike
    keys (:func:`deals.names.lookalike_keys`), of which any two look-alikes share one, taken in
    one statement in ascending order so two transactions never deadlock. A no-op on SQLite,
    whose writers are serialised anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key, name, _, domain = account
    locks = sorted({_lock_id(k) for k in {key, *lookalike_keys(company_key(name, domain))}})
    session.execute(
        text(
            "SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:locks AS bigint[]))"
            " WITH ORDINALITY AS l(k, n) ORDER BY n"
        ),
        {"locks": locks},
    )


def _lock_id(key: str) -> int:
    """A lock key as PostgreSQL's signed 64-bit advisory lock id (stable across processes)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), signed=True)


def active_matches(
    session: Session,
    name: str,
    domain: str | None,
    threshold: float,
    index: ActiveIndex | None = None,
) -> list[Row[Any]]:
    """Active registrations (pending, approved, conflict) of the company called ``name`` at
    ``domain``, earliest first: rows of registration id, external_id, partner_id, status,
    registered_at, expires_at and the account's name and domain. The check every registration runs.

    Candidates come from SQL — the same account key or normalised name, always, however many —
    and, for look-alike names, from ``index`` when it is ready, else from SQL names sharing the
    first distinctive word (at most ``CANDIDATE_LIMIT`` accounts); each is confirmed by
    :func:`deals.names.same_company`."""
    key = company_key(name, domain)
    account = account_row(name, key.domain)
    proposed = index.candidates(session, key, threshold) if index is not None else None
    rows = _candidates(session, account, proposed)
    if index is not None and proposed:
        active = {row.id for row in rows}
        index.forget(i for i in proposed if i not in active)
    return [row for row in rows if _names_same(key, row, threshold)]


def protects(claim: Row[Any], today: date) -> bool:
    """Whether an active registration (an :func:`active_matches` row) keeps the account from
    other partners on ``today``: while it awaits a decision, however long, and while its
    approval's protection runs. An approval whose protection lapsed protects no longer, even
    before ``partnerbot deals expire`` has moved it to ``expired``."""
    if claim.status != DealStatus.APPROVED:
        return True
    return claim.expires_at is not None and claim.expires_at >= today


def order_key(deal: DealRegistration) -> tuple[datetime, int]:
    """First come, first served: server timestamp, then id for equal timestamps."""
    return (deal.registered_at, deal.id)


def winner(deals: Iterable[DealRegistration]) -> DealRegistration:
    """The default winner of a conflict: the earliest registration by server timestamp."""
    return min(deals, key=order_key)


def expiring_within(session: Session, days: int, today: date) -> list[DealRegistration]:
    """Approved registrations whose protection ends between ``today`` and ``today + days``
    (inclusive), soonest first: the partners to remind."""
    stmt = (
        select(DealRegistration)
        .where(
            DealRegistration.status == DealStatus.APPROVED,
            DealRegistration.expires_at.between(today, today + timedelta(days=days)),
        )
        .order_by(DealRegistration.expires_at, DealRegistration.id)
    )
    return list(session.scalars(stmt))


def _protection_ended(today: date) -> tuple[ColumnElement[bool], ...]:
    """Approved registrations whose protection ended before ``today``."""
    return DealRegistration.status == DealStatus.APPROVED, DealRegistration.expires_at < today


def due_to_expire(session: Session, today: date, first: int) -> tuple[int, list[DealRegistration]]:
    """What :func:`expire_due` would expire on ``today``: how many, and the ``first`` whose
    protection ended longest ago, so a run can be checked before it changes anything."""
    due = _protection_ended(today)
    count = session.scalar(select(func.count()).select_from(DealRegistration).where(*due))
    rows = session.scalars(
        select(DealRegistration)
        .where(*due)
        .order_by(DealRegistration.expires_at, DealRegistration.id)
        .limit(first)
    )
    return count or 0, list(rows)


def expire_due(session: Session, today: date, actor: str = "cli:expire") -> int:
    """Move approved registrations whose protection ended before ``today`` to ``expired``,
    auditing each; the caller commits. Returns how many expired."""
    expired = move(
        session,
        _protection_ended(today),
        {"status": DealStatus.EXPIRED},
        actor=actor,
        action="expire",
        detail=lambda row: {"expires_at": row.expires_at.isoformat(), "today": today.isoformat()},
    )
    return len(expired)


# --- internals ------------------------------------------------------------------------------


def _company(request: RegistrationRequest) -> CompanyKey:
    """Free-mail domains (gmail.com) are dropped before keying the account, unlike a plain
    :func:`account_row`, so two gmail-addressed companies never share an account row."""
    return company_key(request.account_name, request.account_domain)


def _names_same(key: CompanyKey, row: Row[Any], threshold: float) -> bool:
    """Whether a candidate row (account name, domain) names the company ``key`` names."""
    return same_company(key, company_key(row.name, row.domain), threshold)


def _ensure_account(
    session: Session, account: tuple[str, str, str, str | None]
) -> tuple[int, bool]:
    """Find or create the account by ``account_key``, as the importer does: its id, and
    whether it was created now."""
    key, name, normalized, domain = account
    values = {"account_key": key, "name": name[:255], "normalized_name": normalized}
    created = insert_new(session, Account, values | {"domain": domain}, ["account_key"])
    account_id = session.scalar(select(Account.id).where(Account.account_key == key))
    assert account_id is not None
    return account_id, created


_CANDIDATE_COLUMNS = (
    DealRegistration.id,
    DealRegistration.external_id,
    DealRegistration.partner_id,
    DealRegistration.status,
    DealRegistration.registered_at,
    DealRegistration.expires_at,
    Account.name,
    Account.domain,
)


def _candidates(
    session: Session, account: tuple[str, str, str, str | None], proposed: list[int] | None
) -> list[Row[Any]]:
    """Active registrations that may name the same company, earliest first, each once. Indexed
    lookups only: accounts by key or normalised name (equality, or the first word's prefix when
    no index ``proposed`` registration ids), then their active registrations."""
    key, _, normalized, _ = account
    same_account = [Account.account_key == key, Account.normalized_name == normalized]
    same = Account.id.in_(_accounts(same_account))
    if proposed is not None:  # one round trip: two indexed lookups joined by UNION
        lookups = [_registrations_where(same)]
        if proposed:
            lookups.append(_registrations_where(DealRegistration.id.in_(proposed)))
        found = {row.id: row for row in session.execute(union_all(*lookups)).all()}
    else:
        found = {row.id: row for row in session.execute(_registrations_where(same)).all()}
        first = normalized.split(" ", 1)[0]
        if first and not is_generic(first) and first.isalnum():  # alnum: nothing to escape
            alike = [Account.normalized_name == first, Account.normalized_name.like(f"{first} %")]
            accounts = Account.id.in_(_accounts(alike).limit(CANDIDATE_LIMIT))
            found.update((r.id, r) for r in session.execute(_registrations_where(accounts)).all())
    return sorted(found.values(), key=lambda row: (row.registered_at, row.id))


def _accounts(conditions: list[Any]) -> Select[Any]:
    return select(Account.id).where(or_(*conditions))


def _registrations_where(where: Any) -> Select[Any]:
    return (
        select(*_CANDIDATE_COLUMNS)
        .join(Account, Account.id == DealRegistration.account_id)
        .where(where, DealRegistration.status.in_(ACTIVE_DEAL_STATUSES))
    )


def _insert(session: Session, request: RegistrationRequest, account_id: int) -> DealRegistration:
    """Insert as pending with a server timestamp, then give it its "R-" id."""
    deal = DealRegistration(
        external_id=f"tmp-{uuid4().hex}",
        partner_id=request.partner_id,
        account_id=account_id,
        account_name_as_registered=request.account_name.strip(),
        amount=request.amount,
        currency=request.currency,
        product=request.product,
        expected_close=request.expected_close,
        registered_by=request.registered_by,
        status=DealStatus.PENDING,
        notes=request.notes,
    )
    session.add(deal)
    session.flush()
    deal.external_id = _free_external_id(session, deal.id)
    influencers = dict.fromkeys(p for p in request.influence_partner_ids if p != request.partner_id)
    if influencers:
        session.execute(
            deal_influencers.insert(), [{"deal_id": deal.id, "partner_id": p} for p in influencers]
        )
    session.flush()
    session.refresh(deal, ["registered_at"])
    return deal


def _free_external_id(session: Session, deal_id: int) -> str:
    """ "R-000042"; a suffix is added if an imported CRM id already uses that text."""
    base = candidate = f"R-{deal_id:06d}"
    suffix = 1
    while session.scalar(select(exists().where(DealRegistration.external_id == candidate))):
        suffix += 1
        candidate = f"{base}-{suffix}"
    return candidate


def _mark_conflicts(session: Session, rivals: list[Row[Any]], new_id: str, actor: str) -> None:
    """Earlier pending/approved rivals become conflicts too (rows already in conflict stay)."""
    contested = [row for row in rivals if row.status in _CONTESTABLE]
    if not contested:
        return
    move(
        session,
        (
            DealRegistration.id.in_([row.id for row in contested]),
            DealRegistration.status.in_(_CONTESTABLE),
        ),
        {"status": DealStatus.CONFLICT},
        actor=actor,
        action="conflict",
        detail=lambda _: {"with": new_id},
    )
