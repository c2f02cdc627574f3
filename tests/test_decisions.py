"""Decisions on registrations, end to end against the database: approve, reject, award or
reject a conflict, extend; every change audited, and (PostgreSQL) two people deciding at once
get one decision and one refusal."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from config.program import Program, parse_program
from deals.decisions import (
    CONFLICT_LOST,
    Decided,
    DecisionError,
    StaleCardError,
    approve,
    claims_version,
    extend,
    reject,
    reject_conflict,
)
from deals.lookup import deal_view
from deals.registration import expire_due
from models import DealRegistration, DealStatus
from models.db import make_session_factory
from tests.concurrency import run_together
from tests.registrations import (
    audit,
    db_now,
    deals,
    existing_deal,
    partners,
    request,
    submit,
)

PROGRAM = Program()
TODAY = date(2025, 6, 1)
MANAGER = "UMGR00001"
OTHER_MANAGER = "UMGR00002"

T = TypeVar("T")


def program(toml: str) -> Program:
    return parse_program(toml, "test-program.toml")


def in_session(engine: Engine, action: Callable[[Session], T]) -> T:
    with make_session_factory(engine).begin() as session:
        return action(session)


def approve_deal(
    engine: Engine,
    external_id: str,
    *,
    actor: str = MANAGER,
    rules: Program = PROGRAM,
    today: date = TODAY,
) -> list[Decided]:
    return in_session(
        engine, lambda s: approve(s, external_id, actor=actor, program=rules, today=today)
    )


def reject_deal(
    engine: Engine, external_id: str, reason: str, actor: str = MANAGER
) -> list[Decided]:
    return in_session(
        engine, lambda s: reject(s, external_id, actor=actor, reason=reason, program=PROGRAM)
    )


def reject_group(engine: Engine, external_id: str, reason: str) -> list[Decided]:
    return in_session(
        engine,
        lambda s: reject_conflict(s, external_id, actor=MANAGER, reason=reason, program=PROGRAM),
    )


def extend_deal(
    engine: Engine, external_id: str, days: int, *, rules: Program = PROGRAM, today: date = TODAY
) -> list[Decided]:
    return in_session(
        engine,
        lambda s: extend(s, external_id, actor=MANAGER, days=days, program=rules, today=today),
    )


def registered(engine: Engine, partner_id: int, name: str, domain: str | None = None) -> str:
    outcome = submit(engine, request(partner_id, name, domain))
    assert outcome.external_id is not None
    return outcome.external_id


def conflict_of(
    engine: Engine, partner_ids: list[int], name: str = "Acme Corp.", domain: str = "acme.com"
) -> list[str]:
    """Each partner registering the same company within the window: every claim in conflict."""
    ids = [registered(engine, p, name, domain) for p in partner_ids]
    assert {deals(engine)[i].status for i in ids} == {DealStatus.CONFLICT}
    return ids


def shift_registered_at(engine: Engine, external_id: str, days: int) -> None:
    """Move a registration's server timestamp ``days`` into the past (as time passing would)."""
    with Session(engine) as session:
        deal = session.scalars(
            select(DealRegistration).where(DealRegistration.external_id == external_id)
        ).one()
        deal.registered_at = deal.registered_at - timedelta(days=days)
        session.commit()


def decision_audit(engine: Engine) -> list[tuple[str, str, str]]:
    """(action, registration, actor) of every audit entry after the registrations'."""
    return [
        (e.action, e.entity_id, e.actor)
        for e in audit(engine)
        if e.action not in {"register", "conflict"}
    ]


# --- approve --------------------------------------------------------------------------------


def test_approving_a_pending_registration_protects_it_from_today(engine: Engine) -> None:
    [partner] = partners(engine, 1)
    deal_id = registered(engine, partner, "Initech", "initech.com")
    rules = program("[registration]\nexpiry_days = 30\n")
    before = db_now(engine)
    changed = approve_deal(engine, deal_id, rules=rules)
    after = db_now(engine)
    expires = TODAY + timedelta(days=30)
    assert changed == [Decided(deal_id, partner, DealStatus.APPROVED, expires)]
    deal = deals(engine)[deal_id]
    assert (deal.status, deal.expires_at, deal.decided_by) == (
        DealStatus.APPROVED,
        expires,
        MANAGER,
    )
    assert deal.decision_reason is None
    assert deal.decided_at is not None
    # SQLite's CURRENT_TIMESTAMP has whole seconds.
    assert before.replace(microsecond=0) <= deal.decided_at <= after
    [entry] = [e for e in audit(engine) if e.action == "approve"]
    assert (entry.actor, entry.entity, entry.entity_id) == (MANAGER, "deal", deal_id)
    assert entry.detail == {"expires_at": expires.isoformat()}


def test_approving_twice_is_refused_naming_the_decision(engine: Engine) -> None:
    [partner] = partners(engine, 1)
    deal_id = registered(engine, partner, "Initech", "initech.com")
    approve_deal(engine, deal_id)
    refused = rf"^{deal_id} is approved by <@{MANAGER}>, not pending"
    with pytest.raises(DecisionError, match=refused):
        approve_deal(engine, deal_id, actor=OTHER_MANAGER, today=TODAY + timedelta(days=5))
    deal = deals(engine)[deal_id]
    assert (deal.decided_by, deal.expires_at) == (MANAGER, TODAY + timedelta(days=90))
    assert decision_audit(engine) == [("approve", deal_id, MANAGER)]


def test_deciding_an_unknown_registration_is_refused(engine: Engine) -> None:
    with pytest.raises(DecisionError, match="There is no registration R-999999"):
        approve_deal(engine, "R-999999")
    with pytest.raises(DecisionError, match="There is no registration R-999999"):
        reject_deal(engine, "R-999999", "not ours")
    assert audit(engine) == []


def test_a_rejected_registration_cannot_be_approved(engine: Engine) -> None:
    [partner] = partners(engine, 1)
    deal_id = registered(engine, partner, "Initech", "initech.com")
    reject_deal(engine, deal_id, "duplicate of a direct deal")
    with pytest.raises(DecisionError, match=f"{deal_id} is rejected by <@{MANAGER}>, not pending"):
        approve_deal(engine, deal_id)
    assert deals(engine)[deal_id].status == DealStatus.REJECTED


# --- reject ---------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_rejecting_needs_a_reason(engine: Engine, reason: str) -> None:
    [partner] = partners(engine, 1)
    deal_id = registered(engine, partner, "Initech", "initech.com")
    with pytest.raises(DecisionError, match="Say why"):
        reject_deal(engine, deal_id, reason)
    deal = deals(engine)[deal_id]
    assert (deal.status, deal.decided_by, deal.decision_reason) == (DealStatus.PENDING, None, None)
    assert decision_audit(engine) == []


def test_rejecting_records_the_reason_and_who(engine: Engine) -> None:
    [partner] = partners(engine, 1)
    deal_id = registered(engine, partner, "Initech", "initech.com")
    changed = reject_deal(engine, deal_id, "  Already a direct opportunity \n")
    assert changed == [Decided(deal_id, partner, DealStatus.REJECTED, None)]
    deal = deals(engine)[deal_id]
    assert (deal.status, deal.decided_by, deal.decision_reason) == (
        DealStatus.REJECTED,
        MANAGER,
        "Already a direct opportunity",
    )
    assert deal.decided_at is not None
    assert deal.expires_at is None
    [entry] = [e for e in audit(engine) if e.action == "reject"]
    assert (entry.actor, entry.entity_id) == (MANAGER, deal_id)
    assert entry.detail == {"reason": "Already a direct opportunity"}
    with pytest.raises(DecisionError, match=f"{deal_id} is rejected by <@{MANAGER}>"):
        reject_deal(engine, deal_id, "again", actor=OTHER_MANAGER)


def test_an_approved_registration_cannot_be_rejected(engine: Engine) -> None:
    [partner] = partners(engine, 1)
    deal_id = registered(engine, partner, "Initech", "initech.com")
    approve_deal(engine, deal_id)
    with pytest.raises(DecisionError, match=r"is approved by .*, not pending"):
        reject_deal(engine, deal_id, "changed my mind", actor=OTHER_MANAGER)
    assert deals(engine)[deal_id].status == DealStatus.APPROVED


def test_rejecting_one_claim_of_a_conflict_leaves_the_others(engine: Engine) -> None:
    first, second, third = conflict_of(engine, partners(engine, 3))
    reject_deal(engine, second, "no evidence of an opportunity")
    rows = deals(engine)
    assert rows[second].status == DealStatus.REJECTED
    assert {rows[first].status, rows[third].status} == {DealStatus.CONFLICT}
    # the remaining claims can still be settled
    changed = approve_deal(engine, third)
    assert [(d.external_id, d.status) for d in changed] == [
        (third, DealStatus.APPROVED),
        (first, DealStatus.REJECTED),
    ]


# --- conflicts ------------------------------------------------------------------------------


def test_approving_a_claim_in_conflict_awards_the_account(engine: Engine) -> None:
    first, second, third = conflict_of(engine, partners(engine, 3))
    changed = approve_deal(engine, second)
    expires = TODAY + timedelta(days=PROGRAM.registration.expiry_days)
    assert changed[0] == Decided(second, changed[0].partner_id, DealStatus.APPROVED, expires)
    assert sorted((d.external_id, d.status, d.expires_at) for d in changed[1:]) == [
        (first, DealStatus.REJECTED, None),
        (third, DealStatus.REJECTED, None),
    ]
    rows = deals(engine)
    assert (rows[second].status, rows[second].expires_at, rows[second].decided_by) == (
        DealStatus.APPROVED,
        expires,
        MANAGER,
    )
    for loser in (first, third):
        assert (rows[loser].status, rows[loser].decision_reason, rows[loser].decided_by) == (
            DealStatus.REJECTED,
            CONFLICT_LOST,
            MANAGER,
        )
        assert rows[loser].decided_at is not None
    entries = [e for e in audit(engine) if e.action in {"award", "reject"}]
    assert sorted((e.action, e.entity_id, e.actor) for e in entries) == [
        ("award", second, MANAGER),
        ("reject", first, MANAGER),
        ("reject", third, MANAGER),
    ]
    [award] = [e for e in entries if e.action == "award"]
    assert sorted(award.detail["over"]) == [first, third]  # type: ignore[arg-type]
    assert award.detail["expires_at"] == expires.isoformat()
    for entry in entries:
        if entry.action == "reject":
            assert entry.detail == {"reason": CONFLICT_LOST, "awarded_to": second}
    with pytest.raises(DecisionError, match=f"{first} is rejected"):
        approve_deal(engine, first, actor=OTHER_MANAGER)


def test_awarding_leaves_other_companies_alone(engine: Engine) -> None:
    a, b, c, d = partners(engine, 4)
    acme_a, acme_b = conflict_of(engine, [a, b])
    globex = conflict_of(engine, [c, d], "Globex Systems", "globex.com")
    approve_deal(engine, acme_b)
    rows = deals(engine)
    assert (rows[acme_a].status, rows[acme_b].status) == (DealStatus.REJECTED, DealStatus.APPROVED)
    assert {rows[g].status for g in globex} == {DealStatus.CONFLICT}


def test_rejecting_a_conflict_rejects_every_claim(engine: Engine) -> None:
    ids = conflict_of(engine, partners(engine, 3))
    changed = reject_group(engine, ids[1], "  customer is buying direct ")
    assert sorted(d.external_id for d in changed) == sorted(ids)
    assert {d.status for d in changed} == {DealStatus.REJECTED}
    rows = deals(engine)
    for deal_id in ids:
        assert (rows[deal_id].status, rows[deal_id].decision_reason, rows[deal_id].decided_by) == (
            DealStatus.REJECTED,
            "customer is buying direct",
            MANAGER,
        )
    entries = [e for e in audit(engine) if e.action == "reject"]
    assert sorted(e.entity_id for e in entries) == sorted(ids)
    assert all(e.detail["reason"] == "customer is buying direct" for e in entries)
    with pytest.raises(DecisionError, match=f"{ids[0]} is rejected .*not in conflict"):
        reject_group(engine, ids[0], "again")


def test_rejecting_a_conflict_without_a_reason_gives_a_default_one(engine: Engine) -> None:
    ids = conflict_of(engine, partners(engine, 2))
    reject_group(engine, ids[0], " ")
    reasons = {deals(engine)[i].decision_reason for i in ids}
    assert reasons == {"no partner's claim to this account was accepted"}


def test_reject_conflict_needs_a_registration_in_conflict(engine: Engine) -> None:
    [partner] = partners(engine, 1)
    deal_id = registered(engine, partner, "Initech", "initech.com")
    with pytest.raises(DecisionError, match=f"{deal_id} is pending, not in conflict"):
        reject_group(engine, deal_id, "no")
    assert deals(engine)[deal_id].status == DealStatus.PENDING


# --- cards rendered from other claims -------------------------------------------------------


def version_of(engine: Engine, external_id: str) -> str:
    """The claims version a card about ``external_id`` rendered now would carry."""

    def read(session: Session) -> str:
        view = deal_view(session, external_id)
        assert view is not None
        return claims_version(session, view, PROGRAM)

    return in_session(engine, read)


def test_a_decision_on_a_card_of_other_claims_is_refused(engine: Engine) -> None:
    """The card showed the first registration alone; a rival's claim came in since: neither
    approving nor rejecting from it decides anything. On the current card, it does."""
    first_partner, second_partner = partners(engine, 2)
    first = registered(engine, first_partner, "Acme Corp.", "acme.com")
    card = version_of(engine, first)
    registered(engine, second_partner, "Acme Corp.", "acme.com")
    assert version_of(engine, first) != card

    def approving(shown: str) -> Callable[[Session], list[Decided]]:
        return lambda s: approve(s, first, actor=MANAGER, program=PROGRAM, today=TODAY, shown=shown)

    with pytest.raises(StaleCardError, match="changed since that card was posted"):
        in_session(engine, approving(card))
    with pytest.raises(StaleCardError):
        in_session(
            engine,
            lambda s: reject(s, first, actor=MANAGER, reason="no", program=PROGRAM, shown=card),
        )
    with pytest.raises(StaleCardError):
        in_session(
            engine,
            lambda s: reject_conflict(
                s, first, actor=MANAGER, reason="", program=PROGRAM, shown=card
            ),
        )
    assert {d.status for d in deals(engine).values()} == {DealStatus.CONFLICT}
    assert decision_audit(engine) == []
    [awarded, _] = in_session(engine, approving(version_of(engine, first)))
    assert (awarded.external_id, awarded.status) == (first, DealStatus.APPROVED)


# --- one approved registration per account --------------------------------------------------


def held_by_another_partner(engine: Engine) -> tuple[str, str, int]:
    """An approved registration registered long ago (outside the conflict window) whose
    protection has lapsed but which the expiry job has not moved yet, a new pending one of the
    same company by another partner, and a third partner's id."""
    old_partner, new_partner, third_partner = partners(engine, 3)
    held = registered(engine, old_partner, "Acme Corp.", "acme.com")
    approve_deal(engine, held)
    shift_registered_at(engine, held, PROGRAM.registration.conflict_window_days + 110)
    outcome = submit(engine, request(new_partner, "ACME Corporation", "acme.com"))
    assert outcome.kind == "registered"  # lapsed and outside the window: no conflict
    assert outcome.external_id is not None
    return held, outcome.external_id, third_partner


def test_approving_is_refused_while_another_partner_holds_the_account(engine: Engine) -> None:
    held, pending, _ = held_by_another_partner(engine)
    with pytest.raises(DecisionError, match=rf"^{held}, another partner's .* already approved"):
        approve_deal(engine, pending)
    rows = deals(engine)
    assert (rows[held].status, rows[pending].status) == (DealStatus.APPROVED, DealStatus.PENDING)
    assert rows[pending].decided_by is None
    assert [a for a, _, _ in decision_audit(engine)] == ["approve"]  # the held one's only
    # once the old protection has ended, the new registration can be approved
    with make_session_factory(engine).begin() as session:
        assert expire_due(session, TODAY + timedelta(days=365)) == 1
    assert approve_deal(engine, pending)[0].status == DealStatus.APPROVED


def test_awarding_a_conflict_is_refused_while_another_partner_holds_the_account(
    engine: Engine,
) -> None:
    """The same rule when the new registrations are in conflict with each other: awarding one
    of them must not leave two approved registrations of one account."""
    held, second, third_partner = held_by_another_partner(engine)
    outcome = submit(engine, request(third_partner, "Acme Corp", "acme.com"))
    assert outcome.kind == "conflict"
    assert outcome.conflicting_ids == (second,)
    assert outcome.external_id is not None
    with pytest.raises(DecisionError, match=rf"^{held}, another partner's .* already approved"):
        approve_deal(engine, outcome.external_id)
    rows = deals(engine)
    assert [i for i, d in rows.items() if d.status == DealStatus.APPROVED] == [held]
    assert {rows[second].status, rows[outcome.external_id].status} == {DealStatus.CONFLICT}


# --- extend ---------------------------------------------------------------------------------


def approved_deal(engine: Engine) -> str:
    [partner] = partners(engine, 1)
    deal_id = registered(engine, partner, "Initech", "initech.com")
    approve_deal(engine, deal_id)
    return deal_id


def test_extending_adds_days_to_the_current_expiry(engine: Engine) -> None:
    deal_id = approved_deal(engine)
    expires = TODAY + timedelta(days=90)
    changed = extend_deal(engine, deal_id, 30, today=TODAY + timedelta(days=10))
    assert [(d.external_id, d.status, d.expires_at) for d in changed] == [
        (deal_id, DealStatus.APPROVED, expires + timedelta(days=30))
    ]
    assert deals(engine)[deal_id].expires_at == expires + timedelta(days=30)
    [entry] = [e for e in audit(engine) if e.action == "extend"]
    assert (entry.actor, entry.entity_id) == (MANAGER, deal_id)
    assert entry.detail == {
        "days": 30,
        "from": expires.isoformat(),
        "to": (expires + timedelta(days=30)).isoformat(),
    }


def test_extending_a_lapsed_protection_counts_from_today(engine: Engine) -> None:
    deal_id = approved_deal(engine)
    later = TODAY + timedelta(days=120)  # 30 days after it lapsed, before the expiry job ran
    extend_deal(engine, deal_id, 14, today=later)
    assert deals(engine)[deal_id].expires_at == later + timedelta(days=14)


def test_extensions_are_bounded(engine: Engine) -> None:
    deal_id = approved_deal(engine)
    limit = PROGRAM.registration.max_extension_days
    for days in (0, -5, limit + 1):
        with pytest.raises(DecisionError, match=rf"Extend by 1 to {limit} days .*\(got {days}\)"):
            extend_deal(engine, deal_id, days)
    assert deals(engine)[deal_id].expires_at == TODAY + timedelta(days=90)
    extend_deal(engine, deal_id, limit)
    assert deals(engine)[deal_id].expires_at == TODAY + timedelta(days=90 + limit)
    no_extensions = program("[registration]\nmax_extension_days = 0\n")
    with pytest.raises(DecisionError, match=r"Extend by 1 to 0 days"):
        extend_deal(engine, deal_id, 1, rules=no_extensions)
    assert [a for a, _, _ in decision_audit(engine)] == ["approve", "extend"]


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_only_approved_registrations_are_extended(engine: Engine, status: str) -> None:
    [partner] = partners(engine, 1)
    deal_id = registered(engine, partner, "Initech", "initech.com")
    if status == "rejected":
        reject_deal(engine, deal_id, "not qualified")
    with pytest.raises(DecisionError, match=f"{deal_id} is {status}.*, not approved"):
        extend_deal(engine, deal_id, 10)
    assert deals(engine)[deal_id].expires_at is None


# --- concurrency (PostgreSQL) ---------------------------------------------------------------


Outcome = list[Decided] | BaseException


def one_success_one_refusal(outcomes: list[Outcome]) -> tuple[list[Decided], DecisionError]:
    unexpected = [
        o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, DecisionError)
    ]
    assert unexpected == [], f"expected a DecisionError, got {unexpected!r}"
    successes = [o for o in outcomes if not isinstance(o, BaseException)]
    refusals = [o for o in outcomes if isinstance(o, DecisionError)]
    assert (len(successes), len(refusals)) == (1, 1), outcomes
    return successes[0], refusals[0]


def approver(external_id: str, actor: str) -> Callable[[Session], list[Decided]]:
    return lambda s: approve(s, external_id, actor=actor, program=PROGRAM, today=TODAY)


def test_two_managers_approving_at_once_make_one_decision(postgres: Engine) -> None:
    [partner] = partners(postgres, 1)
    deal_id = registered(postgres, partner, "Initech", "initech.com")
    outcomes = run_together(
        postgres,
        [approver(deal_id, MANAGER), approver(deal_id, OTHER_MANAGER)],
        meet="before",  # both have seen it pending: the compare-and-set must decide
    )
    [decided], refusal = one_success_one_refusal(outcomes)
    assert decided.status == DealStatus.APPROVED
    winner = deals(postgres)[deal_id].decided_by
    assert winner in {MANAGER, OTHER_MANAGER}
    assert str(refusal) == f"{deal_id} is approved by <@{winner}>, not pending."
    assert decision_audit(postgres) == [("approve", deal_id, winner)]


def test_approve_and_reject_at_once_make_one_decision(postgres: Engine) -> None:
    [partner] = partners(postgres, 1)
    deal_id = registered(postgres, partner, "Initech", "initech.com")

    def rejecter(s: Session) -> list[Decided]:
        return reject(s, deal_id, actor=OTHER_MANAGER, reason="not qualified", program=PROGRAM)

    outcomes = run_together(postgres, [approver(deal_id, MANAGER), rejecter], meet="before")
    [decided], _ = one_success_one_refusal(outcomes)
    assert deals(postgres)[deal_id].status == decided.status
    assert len(decision_audit(postgres)) == 1


def test_two_managers_awarding_rival_claims_at_once_make_one_decision(postgres: Engine) -> None:
    first, second = conflict_of(postgres, partners(postgres, 2))
    outcomes = run_together(
        postgres,
        [approver(first, MANAGER), approver(second, OTHER_MANAGER)],
        meet="after",  # each holds the claim it is awarding, then rejects the other's
    )
    [awarded, *_], refusal = one_success_one_refusal(outcomes)
    rows = deals(postgres)
    [loser] = {first, second} - {awarded.external_id}
    assert str(refusal).startswith(f"{loser} is rejected by <@{rows[loser].decided_by}>")
    assert [d.external_id for d in rows.values() if d.status == DealStatus.APPROVED] == [
        awarded.external_id
    ]


def test_approving_two_claims_on_one_account_at_once_approves_one(postgres: Engine) -> None:
    """Two pending registrations of one company of two partners, as a CRM import (which
    settles no conflicts) can leave them: approved one after the other, the second is
    refused; approved at the same instant, it must still be refused."""
    old_partner, new_partner = partners(postgres, 2)
    old, new = "CRM-1", "CRM-2"
    existing_deal(postgres, old_partner, "Acme Corp.", "acme.com", status=DealStatus.PENDING)
    with Session(postgres) as session:
        account_id = session.scalars(select(DealRegistration.account_id)).one()
        session.add(
            DealRegistration(
                external_id=new,
                partner_id=new_partner,
                account_id=account_id,
                status=DealStatus.PENDING,
                amount=1000,
                currency="USD",
            )
        )
        session.commit()
    assert {d.status for d in deals(postgres).values()} == {DealStatus.PENDING}
    outcomes = run_together(
        postgres,
        [approver(old, MANAGER), approver(new, OTHER_MANAGER)],
        meet="before",  # both have checked that nobody holds the account
    )
    _, refusal = one_success_one_refusal(outcomes)
    assert "already approved" in str(refusal)
    approved = [d for d in deals(postgres).values() if d.status == DealStatus.APPROVED]
    assert len(approved) == 1
