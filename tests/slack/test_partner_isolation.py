"""Partner isolation over signed HTTP: what partner A's contact is told about a registration —
the answer, its shared channel, ``/deal status`` and ``/deal list`` — never carries the account
name partner B typed nor B's name as an influence partner. Staff see both."""

import pytest
from sqlalchemy.orm import Session, sessionmaker

from messages import deal_modals
from tests.slack.deal_steps import (
    posted_to,
    register_inline,
    registration_fields,
    shown,
    submit_registration,
)
from tests.slack.fake_slack import HOME_TEAM, FakeSlack
from tests.slack.payloads import multi_value
from tests.slack.running_app import RunningApp
from tests.slack.two_partners import (
    A_CHANNEL,
    A_CONTACT,
    A_TEAM,
    B_NAME,
    DESK,
    MANAGER,
    TwoPartners,
    add_two_partners,
)


@pytest.fixture
def partners(session_factory: sessionmaker[Session], fake_slack: FakeSlack) -> TwoPartners:
    return add_two_partners(session_factory, fake_slack)


def ask(app: RunningApp, text: str, user: str = A_CONTACT, team: str = A_TEAM) -> str:
    http, url = app.slash("/deal", text, user_id=user, team_id=team)
    return shown(app.answer(http, url))


@pytest.mark.parametrize(
    ("b_typed", "a_typed", "b_only"),
    [
        ("Kryptonite Project Skunkworks kryptonite.io", "K kryptonite.io", "Skunkworks"),
        ("Wayne Enterprises wayne.com", "Wayne Enterprises Inc wayne.com", None),
    ],
    ids=["other-name", "shorter-name"],
)
@pytest.mark.usefixtures("partners")
def test_a_partner_sees_only_the_account_name_it_typed(
    slack_app: RunningApp, fake_slack: FakeSlack, b_typed: str, a_typed: str, b_only: str | None
) -> None:
    register_inline(slack_app, f"{b_typed} 5k for zorblax", MANAGER, HOME_TEAM)
    fake_slack.clear()
    a_name = a_typed.rsplit(" ", 1)[0]
    b_name = b_typed.rsplit(" ", 1)[0]

    answer = register_inline(slack_app, f"{a_typed} 5k", A_CONTACT, A_TEAM)
    assert f"*R-000002* · {a_name} is recorded, but this account is already registered" in answer
    notice = shown(posted_to(fake_slack, A_CHANNEL)[0])
    status = ask(slack_app, "status R-000002")
    listing = ask(slack_app, "list")
    for seen in (answer, notice, status, listing):
        assert a_name in seen
        assert f"{b_name} " not in seen.replace(a_name, "")
        if b_only:
            assert b_only not in seen

    card = shown(posted_to(fake_slack, DESK)[0])  # the conflict card: staff see both names
    assert f"{b_name} (registered as {a_name})" in card
    staff = ask(slack_app, "status R-000002", MANAGER, HOME_TEAM)
    assert f"{b_name} (registered as {a_name})" in staff


def test_influence_partners_are_counted_not_named_to_a_partner(
    slack_app: RunningApp, fake_slack: FakeSlack, partners: TwoPartners
) -> None:
    fields = registration_fields(
        "Hooli",
        "hooli.com",
        "120000",
        partner=partners.a,
        **{deal_modals.INFLUENCERS: multi_value([str(partners.b)])},
    )
    submit_registration(slack_app, MANAGER, HOME_TEAM, fields)
    posted_to(fake_slack, DESK)
    assert "*Influence partners:* 1 other partner" in ask(slack_app, "status R-000001")
    assert B_NAME not in ask(slack_app, "status R-000001")
    staff = ask(slack_app, "status R-000001", MANAGER, HOME_TEAM)
    assert f"*Influence partners:* {B_NAME}" in staff
