"""The registration check with and without the in-memory look-alike index: the index finds
look-alikes the SQL fallback cannot (a typo in the first word), keeps up with registrations
committed after it was built, forgets what is no longer active, and neither path ever drops
a same-name or same-domain registration however many look-alikes there are."""

from decimal import Decimal

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from deals.active_index import ActiveIndex
from deals.names import company_key
from deals.registration import CANDIDATE_LIMIT, active_matches, register
from models import Account, DealRegistration, DealStatus
from models.db import make_session_factory
from tests.registrations import PROGRAM, partners, request

THRESHOLD = PROGRAM.registration.name_match_threshold


def registered(engine: Engine, index: ActiveIndex | None, partner: int, name: str) -> str:
    with make_session_factory(engine).begin() as session:
        outcome = register(session, request(partner, name), PROGRAM, index)
    return outcome.kind


def test_the_index_finds_a_typo_in_the_first_word(engine: Engine) -> None:
    first, second, third = partners(engine, 3)
    index = ActiveIndex(make_session_factory(engine))
    index.build()
    assert index.ready
    assert registered(engine, index, first, "Acme Manufacturing") == "registered"
    # Committed after the build: caught up before the check.
    assert registered(engine, index, second, "Acmee Manufacturing") == "conflict"
    # The SQL fallback looks for names sharing the first word only, so it misses this one.
    assert registered(engine, None, third, "Acmee Manufacturing GmbH") == "conflict"
    with make_session_factory(engine)() as session:
        fallback = active_matches(session, "Acme Manufacturing", None, THRESHOLD)
        indexed = active_matches(session, "Acme Manufacturing", None, THRESHOLD, index)
    assert len(fallback) == 1
    # The third registration is filed against the second's account (the same company).
    assert [row.name for row in indexed] == [
        "Acme Manufacturing",
        "Acmee Manufacturing",
        "Acmee Manufacturing",
    ]


def test_registrations_no_longer_active_are_forgotten(engine: Engine) -> None:
    [partner] = partners(engine, 1)
    factory = make_session_factory(engine)
    registered(engine, None, partner, "Hooli Analytics")
    index = ActiveIndex(factory)
    index.build()
    with factory() as session:
        session.execute(update(DealRegistration).values(status=DealStatus.LOST))
        session.commit()
        assert active_matches(session, "Hoolie Analytics", None, THRESHOLD, index) == []
        proposed = index.candidates(session, company_key("Hoolie Analytics", None), THRESHOLD)
    assert proposed == []


def test_same_name_is_never_cut_by_the_look_alike_limit(engine: Engine) -> None:
    """More look-alike accounts than the fallback reads, all registered before the one that
    repeats exactly: the exact one is still found, with and without the index."""
    first, second = partners(engine, 2)
    factory = make_session_factory(engine)
    with factory() as session:
        for n in range(CANDIDATE_LIMIT + 50):
            account = Account(
                account_key=f"n:copper look-alike {n}",
                name=f"Copper Look-alike {n}",
                normalized_name=f"copper look-alike {n}",
            )
            session.add(account)
            session.flush()
            session.add(
                DealRegistration(
                    external_id=f"CRM-{n}",
                    partner_id=first,
                    account_id=account.id,
                    amount=Decimal(1),
                    currency="USD",
                    status=DealStatus.PENDING,
                )
            )
        session.commit()
    assert registered(engine, None, first, "Copper Kettle Foods") == "registered"
    index = ActiveIndex(factory)
    index.build()
    with Session(engine) as session:
        for with_index in (None, index):
            rows = active_matches(session, "COPPER KETTLE FOODS", None, THRESHOLD, with_index)
            assert [row.name for row in rows] == ["Copper Kettle Foods"]
    assert registered(engine, None, second, "Copper Kettle Foods Inc.") == "conflict"
