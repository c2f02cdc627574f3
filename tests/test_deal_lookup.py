"""Reading registrations back: ids as people type them, one registration's view, and the
filtered lists behind ``/deal list``."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from deals.lookup import DealFilter, DealView, deal_view, find_deals, parse_deal_id
from deals.routing import RoutingSubject
from models import Account, DealRegistration, DealSource, DealStatus, Partner, deal_influencers
from tests.registrations import deals, request, submit

# --- parse_deal_id --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("r-42", "R-000042"),
        ("R-42", "R-000042"),
        ("r42", "R-000042"),
        ("R-000042", "R-000042"),
        ("42", "R-000042"),
        (" 0042 ", "R-000042"),
        ("\tR-1234567\n", "R-1234567"),
        ("999999999999", "R-999999999999"),
        ("OPP-1234", "OPP-1234"),
        ("opp-1234", "opp-1234"),  # CRM ids are kept exactly as typed
        ("006Dn00000AbCdE", "006Dn00000AbCdE"),
        ("SF:0061/x#2", "SF:0061/x#2"),
        ("x" * 64, "x" * 64),
    ],
)
def test_parse_deal_id_normalises_our_ids_and_keeps_crm_ids(typed: str, stored: str) -> None:
    assert parse_deal_id(typed) == stored


@pytest.mark.parametrize(
    "typed", ["", "   ", "a b", "R- 42", "acme corp", "x" * 65, "R-42;DROP", "<@U123>"]
)
def test_parse_deal_id_rejects_what_cannot_be_an_id(typed: str) -> None:
    assert parse_deal_id(typed) is None


ID_LIKE = st.from_regex(r"\s*[\w.:/#-]{0,70}\s*", fullmatch=True)
"""Mostly things that are (or nearly are) ids, so the accepting branches get exercised too."""


@given(st.one_of(st.text(), ID_LIKE))
def test_parse_deal_id_never_raises_and_gives_a_clean_id(text: str) -> None:
    parsed = parse_deal_id(text)
    if parsed is None:
        return
    assert parsed
    assert len(parsed) <= 64
    assert not any(c.isspace() for c in parsed)
    assert parse_deal_id(parsed) == parsed  # the stored form parses to itself


@given(st.integers(min_value=0, max_value=10**12 - 1), st.sampled_from(["r-", "R-", "r", "", "0"]))
def test_parse_deal_id_finds_the_number_however_it_is_written(number: int, prefix: str) -> None:
    assert parse_deal_id(f"{prefix}{number}") == f"R-{number:06d}"


# --- fixtures -------------------------------------------------------------------------------


def add_partner(session: Session, key: str, **extra: Any) -> int:
    values: dict[str, Any] = {
        "external_id": key,
        "name": f"Partner {key}",
        "tier": "silver",
        "region": "EMEA",
    }
    values.update(extra)
    partner = Partner(**values)
    session.add(partner)
    session.flush()
    return partner.id


BASE = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def add_deal(
    session: Session,
    external_id: str,
    partner_id: int,
    *,
    hours: int,
    status: DealStatus = DealStatus.PENDING,
    expires_at: date | None = None,
    registered_by: str | None = None,
) -> None:
    """A registration of its own account, registered ``hours`` after BASE."""
    account = Account(
        account_key=f"n:{external_id.lower()}",
        name=f"Customer {external_id}",
        normalized_name=f"customer {external_id.lower()}",
    )
    session.add(account)
    session.flush()
    session.add(
        DealRegistration(
            external_id=external_id,
            partner_id=partner_id,
            account_id=account.id,
            amount=Decimal(1000),
            currency="USD",
            status=status,
            registered_at=BASE + timedelta(hours=hours),
            registered_by=registered_by,
            expires_at=expires_at,
        )
    )
    session.flush()


def ids(views: list[DealView]) -> list[str]:
    return [v.external_id for v in views]


# --- deal_view ------------------------------------------------------------------------------


def test_deal_view_carries_partner_account_and_influencers(engine: Engine) -> None:
    with Session(engine) as session:
        owner = add_partner(
            session,
            "P1",
            name="Northwind Solutions",
            tier="gold",
            region="APAC",
            specialties=["Security", "Cloud"],
            slack_channel_id="C0NORTH",
            manager_slack_id="UMGR1",
        )
        zeta = add_partner(session, "P2", name="Zeta Consulting")
        alpha = add_partner(session, "P3", name="Alpha Advisors")
        session.commit()
    outcome = submit(
        engine,
        request(
            owner,
            "Acme Corp.",
            "https://www.acme.com",
            expected_close=date(2025, 9, 30),
            notes="Renewal plus expansion",
            influence_partner_ids=[zeta, alpha],
        ),
    )
    assert outcome.external_id is not None
    stored = deals(engine)[outcome.external_id]
    with Session(engine) as session:
        view = deal_view(session, outcome.external_id)
    assert view == DealView(
        external_id=outcome.external_id,
        status=DealStatus.PENDING,
        source=DealSource.SOURCED,
        partner_id=owner,
        partner_name="Northwind Solutions",
        partner_region="APAC",
        partner_tier="gold",
        partner_specialties=("Security", "Cloud"),
        partner_channel="C0NORTH",
        partner_manager="UMGR1",
        account_name="Acme Corp.",
        account_name_as_registered="Acme Corp.",
        account_domain="acme.com",
        amount=Decimal("25000.00"),
        currency="USD",
        product="Platform",
        expected_close=date(2025, 9, 30),
        notes="Renewal plus expansion",
        registered_at=stored.registered_at,
        registered_by=f"U{owner:04d}",
        decided_by=None,
        decided_at=None,
        decision_reason=None,
        expires_at=None,
        influencers=("Alpha Advisors", "Zeta Consulting"),  # by name
    )
    assert view.is_active
    assert view.routing_subject == RoutingSubject(
        region="APAC", tier="gold", specialties=("Security", "Cloud"), product="Platform"
    )


def test_deal_view_of_an_unknown_id_is_none(engine: Engine) -> None:
    with Session(engine) as session:
        partner = add_partner(session, "P1")
        add_deal(session, "R-000001", partner, hours=0)
        session.commit()
        assert deal_view(session, "R-000002") is None
        assert deal_view(session, "r-000001") is None  # stored form only: see parse_deal_id
        view = deal_view(session, "R-000001")
    assert view is not None
    assert view.influencers == ()
    assert view.partner_specialties == ()
    assert view.account_domain is None


def test_a_closed_registration_is_not_active(engine: Engine) -> None:
    with Session(engine) as session:
        partner = add_partner(session, "P1")
        add_deal(session, "R-000001", partner, hours=0, status=DealStatus.EXPIRED)
        session.commit()
        view = deal_view(session, "R-000001")
    assert view is not None
    assert not view.is_active


# --- find_deals -----------------------------------------------------------------------------


@pytest.fixture
def book(engine: Engine) -> dict[str, int]:
    """Three partners (two managed by UMGR1) and their registrations:

    ======  =======  ==========  ========  ==========
    id      partner  registered  status    expires
    ======  =======  ==========  ========  ==========
    A-1     a        +0h by UA   pending
    A-2     a        +1h by UA2  approved  2025-07-10
    A-3     a        +2h by UA   approved  2025-06-15
    B-1     b        +3h by UB   approved  2025-06-20
    B-2     b        +4h by UB   rejected  2025-06-01
    C-1     c        +5h by UC   approved  2025-05-01
    C-2     c        +6h by UC   conflict
    ======  =======  ==========  ========  ==========
    """
    with Session(engine) as session:
        a = add_partner(session, "a", manager_slack_id="UMGR1")
        b = add_partner(session, "b", manager_slack_id="UMGR2")
        c = add_partner(session, "c", manager_slack_id="UMGR1")
        approved, rejected = DealStatus.APPROVED, DealStatus.REJECTED
        rows: list[tuple[str, int, DealStatus, date | None, str]] = [
            ("A-1", a, DealStatus.PENDING, None, "UA"),
            ("A-2", a, approved, date(2025, 7, 10), "UA2"),
            ("A-3", a, approved, date(2025, 6, 15), "UA"),
            ("B-1", b, approved, date(2025, 6, 20), "UB"),
            ("B-2", b, rejected, date(2025, 6, 1), "UB"),
            ("C-1", c, approved, date(2025, 5, 1), "UC"),
            ("C-2", c, DealStatus.CONFLICT, None, "UC"),
        ]
        for hours, (external_id, partner, status, expires, by) in enumerate(rows):
            add_deal(
                session,
                external_id,
                partner,
                hours=hours,
                status=status,
                expires_at=expires,
                registered_by=by,
            )
        session.commit()
        return {"a": a, "b": b, "c": c}


def found(engine: Engine, where: DealFilter, limit: int = 20) -> tuple[list[str], int]:
    with Session(engine) as session:
        views, total = find_deals(session, where, limit)
    return ids(views), total


def test_find_deals_without_criteria_lists_everything_newest_first(
    engine: Engine, book: dict[str, int]
) -> None:
    assert found(engine, DealFilter()) == (["C-2", "C-1", "B-2", "B-1", "A-3", "A-2", "A-1"], 7)


def test_find_deals_by_partner(engine: Engine, book: dict[str, int]) -> None:
    assert found(engine, DealFilter(partner_id=book["a"])) == (["A-3", "A-2", "A-1"], 3)
    assert found(engine, DealFilter(partner_id=book["b"])) == (["B-2", "B-1"], 2)
    assert found(engine, DealFilter(partner_id=book["c"] + 100)) == ([], 0)


def test_find_deals_by_status(engine: Engine, book: dict[str, int]) -> None:
    active = (DealStatus.PENDING, DealStatus.CONFLICT)
    assert found(engine, DealFilter(statuses=active)) == (["C-2", "A-1"], 2)
    assert found(engine, DealFilter(statuses=(DealStatus.WON,))) == ([], 0)
    assert found(engine, DealFilter(statuses=())) == ([], 0)


def test_find_deals_by_who_registered_and_who_manages(engine: Engine, book: dict[str, int]) -> None:
    assert found(engine, DealFilter(registered_by="UA")) == (["A-3", "A-1"], 2)
    assert found(engine, DealFilter(managed_by="UMGR1")) == (
        ["C-2", "C-1", "A-3", "A-2", "A-1"],
        5,
    )
    assert found(engine, DealFilter(managed_by="UMGR9")) == ([], 0)


def test_find_deals_combines_criteria(engine: Engine, book: dict[str, int]) -> None:
    where = DealFilter(managed_by="UMGR1", statuses=(DealStatus.APPROVED,), registered_by="UA")
    assert found(engine, where) == (["A-3"], 1)


def test_find_deals_expiring_lists_approved_ones_soonest_first(
    engine: Engine, book: dict[str, int]
) -> None:
    # B-2 expires in range but is rejected; A-2 expires after the date.
    assert found(engine, DealFilter(expiring_by=date(2025, 6, 20))) == (["C-1", "A-3", "B-1"], 3)
    assert found(engine, DealFilter(expiring_by=date(2025, 6, 15))) == (["C-1", "A-3"], 2)
    assert found(engine, DealFilter(expiring_by=date(2025, 4, 30))) == ([], 0)
    mine = DealFilter(expiring_by=date(2025, 12, 31), partner_id=book["a"])
    assert found(engine, mine) == (["A-3", "A-2"], 2)


def test_find_deals_counts_every_match_beyond_the_limit(
    engine: Engine, book: dict[str, int]
) -> None:
    assert found(engine, DealFilter(), limit=3) == (["C-2", "C-1", "B-2"], 7)
    assert found(engine, DealFilter(managed_by="UMGR1"), limit=2) == (["C-2", "C-1"], 5)
    expiring = DealFilter(expiring_by=date(2025, 12, 31))
    assert found(engine, expiring, limit=2) == (["C-1", "A-3"], 4)
    # exactly as many as the limit: the count agrees
    assert found(engine, DealFilter(partner_id=book["a"]), limit=3) == (["A-3", "A-2", "A-1"], 3)


def test_find_deals_counts_many_rows(engine: Engine) -> None:
    with Session(engine) as session:
        partner = add_partner(session, "P1", manager_slack_id="UMGR1")
        other = add_partner(session, "P2", manager_slack_id="UMGR2")
        for i in range(45):
            add_deal(session, f"R-{i:06d}", partner if i % 3 else other, hours=i)
        session.commit()
    listed, total = found(engine, DealFilter(managed_by="UMGR1"), limit=20)
    assert total == 30
    assert listed == [f"R-{i:06d}" for i in range(44, -1, -1) if i % 3][:20]


def test_find_deals_attaches_influencers_to_the_right_rows(engine: Engine) -> None:
    with Session(engine) as session:
        owner = add_partner(session, "P1")
        helper_b = add_partner(session, "P2", name="Bravo")
        helper_a = add_partner(session, "P3", name="Alpha")
        for i, external_id in enumerate(["X-1", "X-2", "X-3"]):
            add_deal(session, external_id, owner, hours=i)
        rows = {d.external_id: d.id for d in session.query(DealRegistration)}
        session.execute(
            deal_influencers.insert(),
            [
                {"deal_id": rows["X-1"], "partner_id": helper_b},
                {"deal_id": rows["X-1"], "partner_id": helper_a},
                {"deal_id": rows["X-3"], "partner_id": helper_b},
            ],
        )
        session.commit()
        views, total = find_deals(session, DealFilter(partner_id=owner))
    assert total == 3
    assert {v.external_id: v.influencers for v in views} == {
        "X-3": ("Bravo",),
        "X-2": (),
        "X-1": ("Alpha", "Bravo"),
    }
