"""Deal registration core: duplicates, partner-vs-partner conflicts, server timestamps, audit,
expiry, and (PostgreSQL) simultaneous submissions."""

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from deals.registration import (
    RegistrationOutcome,
    RegistrationRequest,
    expire_due,
    expiring_within,
    register,
    winner,
)
from models import Account, DealRegistration, DealStatus, deal_influencers
from models.db import make_session_factory
from tests.concurrency import run_together
from tests.registrations import (
    PROGRAM,
    audit,
    db_now,
    deals,
    existing_deal,
    partners,
    request,
    submit,
)


def test_registers_a_new_account_as_pending(engine: Engine) -> None:
    first, second = partners(engine, 2)
    outcome = submit(
        engine, request(first, "Acme Corp.", "https://www.acme.com", influence_partner_ids=[second])
    )
    assert outcome.kind == "registered"
    assert outcome.external_id is not None
    assert outcome.external_id.startswith("R-")
    assert outcome.conflicting_ids == ()
    deal = deals(engine)[outcome.external_id]
    assert deal.status == DealStatus.PENDING
    assert deal.partner_id == first
    assert deal.registered_by == f"U{first:04d}"
    assert deal.expires_at is None  # protection starts at approval
    with Session(engine) as session:
        account = session.get_one(Account, deal.account_id)
        assert (account.account_key, account.domain) == ("d:acme.com", "acme.com")
        links = session.execute(select(deal_influencers)).all()
        assert [(d, p) for d, p in links] == [(deal.id, second)]
    [entry] = audit(engine)
    assert (entry.actor, entry.action, entry.entity, entry.entity_id) == (
        f"U{first:04d}",
        "register",
        "deal",
        outcome.external_id,
    )
    assert entry.detail["outcome"] == "registered"


def test_same_partner_same_company_is_a_duplicate_and_writes_nothing(engine: Engine) -> None:
    [partner] = partners(engine, 1)
    first = submit(engine, request(partner, "Acme Corp.", "acme.com"))
    again = submit(engine, request(partner, "ACME Corporation", "https://eu.acme.com/contact"))
    assert again == RegistrationOutcome("duplicate", existing_external_id=first.external_id)
    assert list(deals(engine)) == [first.external_id]
    assert len(audit(engine)) == 1


def test_other_partner_within_window_puts_both_in_conflict(engine: Engine) -> None:
    early, late = partners(engine, 2)
    first = submit(engine, request(early, "Acme Corp.", "acme.com"))
    second = submit(engine, request(late, "ACME Corporation", "sales@acme.com"))
    assert second.kind == "conflict"
    assert second.conflicting_ids == (first.external_id,)
    rows = deals(engine)
    assert {d.status for d in rows.values()} == {DealStatus.CONFLICT}
    assert winner(rows.values()).external_id == first.external_id
    actions = [(e.action, e.entity_id, e.detail.get("outcome")) for e in audit(engine)]
    assert actions == [
        ("register", first.external_id, "registered"),
        ("conflict", first.external_id, None),
        ("register", second.external_id, "conflict"),
    ]


def test_a_third_partner_joins_an_existing_conflict(engine: Engine) -> None:
    a, b, c = partners(engine, 3)
    ids = [submit(engine, request(p, "Globex International", None)).external_id for p in (a, b)]
    third = submit(engine, request(c, "Globex Intl", None))
    assert third.kind == "conflict"
    assert third.conflicting_ids == tuple(ids)
    assert winner(deals(engine).values()).external_id == ids[0]


def test_a_protected_claim_conflicts_whatever_its_age(engine: Engine) -> None:
    """Registered long before the conflict window, but approved and protected until three
    weeks from now (or still awaiting a decision): a rival's claim is a conflict."""
    holder, waiting, rival = partners(engine, 3)
    long_ago = datetime.now(UTC) - timedelta(days=PROGRAM.registration.conflict_window_days + 5)
    until = date.today() + timedelta(days=20)
    existing_deal(engine, holder, "acme", "acme.com", registered_at=long_ago, expires_at=until)
    outcome = submit(engine, request(rival, "Acme Corp.", "acme.com"))
    assert (outcome.kind, outcome.conflicting_ids) == ("conflict", ("CRM-1",))
    assert {d.status for d in deals(engine).values()} == {DealStatus.CONFLICT}

    existing_deal(
        engine,
        waiting,
        "initech",
        "initech.com",
        registered_at=long_ago,
        external_id="CRM-2",
        status=DealStatus.PENDING,
    )
    assert submit(engine, request(rival, "Initech", "initech.com")).kind == "conflict"


def test_a_lapsed_approval_outside_the_window_does_not_conflict(engine: Engine) -> None:
    """Protection ended two days ago (the expiry job has not run yet) and the registration is
    older than the conflict window: the account is free."""
    old_partner, new_partner = partners(engine, 2)
    long_ago = datetime.now(UTC) - timedelta(days=PROGRAM.registration.conflict_window_days + 5)
    ended = date.today() - timedelta(days=2)
    existing_deal(engine, old_partner, "acme", "acme.com", registered_at=long_ago, expires_at=ended)
    outcome = submit(engine, request(new_partner, "Acme Corp.", "acme.com"))
    assert outcome.kind == "registered"
    rows = deals(engine)
    assert rows["CRM-1"].status == DealStatus.APPROVED
    assert outcome.external_id is not None
    assert rows[outcome.external_id].status == DealStatus.PENDING


def test_a_recent_active_claim_conflicts_even_once_its_protection_lapsed(engine: Engine) -> None:
    old_partner, new_partner = partners(engine, 2)
    ended = date.today() - timedelta(days=2)
    existing_deal(engine, old_partner, "acme", "acme.com", expires_at=ended)
    assert submit(engine, request(new_partner, "Acme Corp.", "acme.com")).kind == "conflict"


def test_inactive_registrations_are_ignored(engine: Engine) -> None:
    old_partner, new_partner = partners(engine, 2)
    existing_deal(engine, old_partner, "acme", "acme.com", status=DealStatus.LOST)
    assert submit(engine, request(new_partner, "Acme", "acme.com")).kind == "registered"
    assert submit(engine, request(old_partner, "Acme", "acme.com")).kind == "conflict"


def test_different_companies_sharing_a_word_do_not_conflict(engine: Engine) -> None:
    first, second = partners(engine, 2)
    assert submit(engine, request(first, "Acme Health", None)).kind == "registered"
    assert submit(engine, request(second, "Acme Foods", None)).kind == "registered"
    assert {d.status for d in deals(engine).values()} == {DealStatus.PENDING}


def test_registered_at_is_the_database_clock(engine: Engine) -> None:
    [partner] = partners(engine, 1)
    inserts: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO DEAL_REGISTRATIONS"):
            inserts.append(statement)

    before = db_now(engine)
    event.listen(engine, "before_cursor_execute", capture)
    try:
        outcome = submit(engine, request(partner, "Initech", "initech.com"))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    after = db_now(engine)
    assert inserts
    assert all("registered_at" not in s.split("VALUES")[0] for s in inserts)
    assert outcome.external_id is not None
    stored = deals(engine)[outcome.external_id].registered_at
    assert stored.tzinfo is not None
    # SQLite's CURRENT_TIMESTAMP has whole seconds.
    assert before.replace(microsecond=0) <= stored <= after


def test_external_id_skips_ids_taken_by_the_crm(engine: Engine) -> None:
    first, second = partners(engine, 2)
    existing_deal(engine, first, "hooli", "hooli.com", external_id="R-000002")
    outcome = submit(engine, request(second, "Umbrella Corp", "umbrella.com"))
    assert outcome.external_id == "R-000002-2"


def test_expiry(engine: Engine) -> None:
    [partner] = partners(engine, 1)
    today = date(2025, 6, 1)
    with Session(engine) as session:
        account = Account(account_key="n:x", name="X", normalized_name="x")
        session.add(account)
        session.flush()
        for external_id, status, expires in [
            ("past", DealStatus.APPROVED, today - timedelta(days=1)),
            ("today", DealStatus.APPROVED, today),
            ("soon", DealStatus.APPROVED, today + timedelta(days=14)),
            ("later", DealStatus.APPROVED, today + timedelta(days=15)),
            ("pending", DealStatus.PENDING, today - timedelta(days=3)),
        ]:
            session.add(
                DealRegistration(
                    external_id=external_id,
                    partner_id=partner,
                    account_id=account.id,
                    amount=Decimal(1),
                    currency="USD",
                    status=status,
                    expires_at=expires,
                )
            )
        session.commit()
    with make_session_factory(engine).begin() as session:
        assert [d.external_id for d in expiring_within(session, 14, today)] == ["today", "soon"]
        assert expire_due(session, today) == 1
        assert expire_due(session, today) == 0
    rows = deals(engine)
    assert rows["past"].status == DealStatus.EXPIRED
    assert rows["pending"].status == DealStatus.PENDING
    assert rows["today"].status == DealStatus.APPROVED
    [entry] = audit(engine)
    assert (entry.action, entry.entity_id, entry.actor) == ("expire", "past", "cli:expire")


# --- concurrency (PostgreSQL) ---------------------------------------------------------------


def run_registrations(
    engine: Engine, requests: list[RegistrationRequest]
) -> list[RegistrationOutcome]:
    """Submit every request from its own thread and session, released at the same instant."""
    outcomes = run_together(
        engine, [lambda session, r=r: register(session, r, PROGRAM) for r in requests]
    )
    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    if errors:
        raise errors[0]
    return [o for o in outcomes if isinstance(o, RegistrationOutcome)]


def test_fifty_partners_registering_the_same_account_at_once(postgres: Engine) -> None:
    ids = partners(postgres, 50)
    outcomes = run_registrations(postgres, [request(p, "Acme Corp.", "acme.com") for p in ids])
    # Serialised by the lock: the first recorded sees nobody, each later one sees all before it.
    assert sorted(o.kind for o in outcomes) == ["conflict"] * 49 + ["registered"]
    assert sorted(len(o.conflicting_ids) for o in outcomes) == list(range(50))
    rows = deals(postgres)
    assert len(rows) == 50  # none lost
    assert {d.partner_id for d in rows.values()} == set(ids)
    assert {d.status for d in rows.values()} == {DealStatus.CONFLICT}
    first = winner(rows.values())
    assert first.registered_at == min(d.registered_at for d in rows.values())
    assert len([e for e in audit(postgres) if e.action == "register"]) == 50
    with Session(postgres) as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 1


def test_the_account_stays_locked_until_the_caller_commits(postgres: Engine) -> None:
    """register() only flushes: its advisory locks last until the caller's unit of work ends,
    so another registration of the company waits for that commit, then sees the first."""
    first, second = partners(postgres, 2)
    rivals: list[RegistrationOutcome] = []
    done = threading.Event()

    def rival() -> None:
        rivals.append(submit(postgres, request(second, "Acme Corp.", "acme.com")))
        done.set()

    thread = threading.Thread(target=rival)
    with make_session_factory(postgres).begin() as session:
        mine = register(session, request(first, "Acme Corp.", "acme.com"), PROGRAM)
        thread.start()
        assert not done.wait(0.5)  # waiting on the account's lock
    thread.join(timeout=30)
    assert [(r.kind, r.conflicting_ids) for r in rivals] == [("conflict", (mine.external_id,))]


def test_one_partner_double_submitting_gets_one_registration(postgres: Engine) -> None:
    [partner] = partners(postgres, 1)
    outcomes = run_registrations(postgres, [request(partner, "Acme Corp.", "acme.com")] * 2)
    kinds = sorted(o.kind for o in outcomes)
    assert kinds == ["duplicate", "registered"]
    [registered] = [o for o in outcomes if o.kind == "registered"]
    [duplicate] = [o for o in outcomes if o.kind == "duplicate"]
    assert duplicate.existing_external_id == registered.external_id
    assert list(deals(postgres)) == [registered.external_id]


def test_look_alike_names_registered_at_once_know_of_each_other(engine: Engine) -> None:
    """40 pairs of look-alike names (different account keys, no domain), each pair registered
    at the same instant: two partners' pair ends in conflict, one partner's as a registration
    and a duplicate; never two registrations that do not know of each other."""
    ids = partners(engine, 40)
    for pair in range(40):
        first, second = ids[pair], ids[pair if pair % 2 else pair + 1]
        name = ["Bal", "Cor", "Dun", "Fim", "Gex", "Hov", "Jut", "Kip"][pair % 8] + [
            "mora",
            "nexi",
            "pulo",
            "quva",
            "rest",
        ][pair // 8]  # no two a typo apart
        requests = [request(first, f"{name} Group"), request(second, f"{name} Grp Holdings")]
        kinds = sorted(o.kind for o in run_registrations(engine, requests))
        assert kinds == ["duplicate" if first == second else "conflict", "registered"], name
    rows = deals(engine)
    assert len(rows) == 60
    assert sum(d.status is DealStatus.CONFLICT for d in rows.values()) == 40  # both of each
