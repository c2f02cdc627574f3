"""Deal registration end to end, through the doors Slack uses: signed slash commands and
``payload=`` interactivity to the running app, and what the fake Slack then received — the
modal opened, the ephemeral answers, the approval and conflict cards posted to the routed
manager, the announcements in each partner's channel.

Routing comes from the shipped example program: EMEA partners go to ``UMGREMEA01``, everyone
else (not platinum) to the ``C0DEALDESK`` channel."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.commands._deal_args import OpenRegisterForm, parse
from messages import deal_messages, deal_modals
from models import AuditEntry, DealRegistration, DealStatus, Partner, Person, PersonRole
from tests.programs import EXAMPLE_PROGRAM
from tests.seeding import add_deal
from tests.slack.deal_steps import (
    COMMAND_CHANNEL,
    card_buttons,
    click,
    decoded,
    posted_to,
    register_inline,
    registration_fields,
    shown,
    submit_registration,
)
from tests.slack.fake_slack import HOME_TEAM, FakeSlack, direct_message
from tests.slack.payloads import (
    block_actions,
    block_suggestion,
    date_value,
    multi_value,
    text_value,
    view_submission,
)
from tests.slack.running_app import RunningApp

EMEA_APPROVER = "UMGREMEA01"
DESK = "C0DEALDESK"
NA_MANAGER = "U0NAMGR"
BOSS = "U0BOSS"
ACME_TEAM, GLOBEX_TEAM = "T0ACME", "T0GLOBEX"
ACME_CONTACT, GLOBEX_CONTACT = "U0ACMEANN", "U0GLOBEXBOB"
ACME_CHANNEL, GLOBEX_CHANNEL = "C0SHAREDACME", "C0SHAREDGLOBEX"


@dataclass(frozen=True)
class Program:
    acme: int
    globex: int


@pytest.fixture
def program(session_factory: sessionmaker[Session], fake_slack: FakeSlack) -> Program:
    """Acme (EMEA, routed to the EMEA approver) and Globex (NA, routed to the deal desk), each
    with a contact in its own Slack team and a shared channel; two managers and leadership."""
    with session_factory.begin() as session:
        acme = Partner(
            external_id="P-ACME",
            name="Acme Resellers",
            tier="gold",
            region="EMEA",
            slack_team_id=ACME_TEAM,
            slack_channel_id=ACME_CHANNEL,
            manager_slack_id=EMEA_APPROVER,
        )
        globex = Partner(
            external_id="P-GLOBEX",
            name="Globex Systems",
            tier="silver",
            region="NA",
            slack_team_id=GLOBEX_TEAM,
            slack_channel_id=GLOBEX_CHANNEL,
            manager_slack_id=NA_MANAGER,
        )
        session.add_all([acme, globex])
        session.flush()
        session.add_all(
            [
                Person(slack_user_id=EMEA_APPROVER, role=PersonRole.MANAGER, region="EMEA"),
                Person(slack_user_id=NA_MANAGER, role=PersonRole.MANAGER, region="NA"),
                Person(slack_user_id=BOSS, role=PersonRole.LEADERSHIP),
                Person(slack_user_id=ACME_CONTACT, role=PersonRole.PARTNER, partner_id=acme.id),
                Person(slack_user_id=GLOBEX_CONTACT, role=PersonRole.PARTNER, partner_id=globex.id),
            ]
        )
        ids = Program(acme.id, globex.id)
    for user in (EMEA_APPROVER, NA_MANAGER, BOSS):
        fake_slack.add_user(user, HOME_TEAM)
    fake_slack.add_user(ACME_CONTACT, ACME_TEAM)
    fake_slack.add_user(GLOBEX_CONTACT, GLOBEX_TEAM)
    return ids


def deal_ids(session_factory: sessionmaker[Session]) -> dict[str, DealStatus]:
    with session_factory() as session:
        rows = session.execute(select(DealRegistration.external_id, DealRegistration.status))
        return dict(rows.all())


# --- registering --------------------------------------------------------------------------


@pytest.mark.usefixtures("program")
def test_partner_contact_registers_through_the_modal(
    slack_app: RunningApp, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    http, _ = slack_app.slash("/deal", "register", user_id=ACME_CONTACT, team_id=ACME_TEAM)
    assert (http.status, http.body) == (200, b"")
    opened = fake_slack.wait_for(lambda r: r.name == "views.open")[0]
    view = decoded(opened.body["view"])
    assert view["callback_id"] == deal_modals.REGISTER_VIEW
    blocks = {block.get("block_id") for block in view["blocks"]}
    assert {"account_name", "account_domain", "amount", "currency", "expected_close"} <= blocks
    assert deal_modals.PARTNER not in blocks  # a contact registers for their own partner only
    assert deal_modals.INFLUENCERS not in blocks
    assert "Registering for *Acme Resellers*" in json.dumps(view)
    fake_slack.clear()

    fields = registration_fields(
        "Initech GmbH",
        "https://www.initech.de/kontakt",
        "48k",
        **{deal_modals.EXPECTED_CLOSE: date_value("2027-03-31")},
    )
    http = submit_registration(slack_app, ACME_CONTACT, ACME_TEAM, fields)
    assert (http.status, http.body) == (200, b"")

    answer = fake_slack.wait_for(lambda r: r.name == "chat.postEphemeral")[0]
    assert (answer.body["channel"], answer.body["user"]) == (COMMAND_CHANNEL, ACME_CONTACT)
    assert "Registered *R-000001* · Initech GmbH · USD 48,000 for Acme Resellers" in shown(answer)

    card = posted_to(fake_slack, EMEA_APPROVER)[0]
    buttons = [
        element["action_id"]
        for block in decoded(card.body["blocks"])
        for element in block.get("elements", [])
        if element.get("type") == "button"
    ]
    assert buttons == [deal_messages.APPROVE, deal_messages.REJECT]
    assert "initech.de" in shown(card)
    assert "2027-03-31" in shown(card)
    notice = posted_to(fake_slack, ACME_CHANNEL)[0]
    assert "registered *R-000001* · Initech GmbH" in shown(notice)
    assert deal_ids(session_factory) == {"R-000001": DealStatus.PENDING}


@pytest.mark.usefixtures("program")
def test_modal_errors_are_shown_under_the_fields_and_nothing_is_recorded(
    slack_app: RunningApp, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    fields = registration_fields("Initech", "not a domain", "lots")
    http = submit_registration(slack_app, ACME_CONTACT, ACME_TEAM, fields)
    assert http.status == 200
    body = http.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {deal_modals.ACCOUNT_DOMAIN, deal_modals.AMOUNT}
    assert "not an amount" in body["errors"][deal_modals.AMOUNT]
    slack_app.assert_quiet()
    assert deal_ids(session_factory) == {}


def test_staff_pick_the_partner_and_influencers_from_a_search(
    slack_app: RunningApp,
    fake_slack: FakeSlack,
    session_factory: sessionmaker[Session],
    program: Program,
) -> None:
    slack_app.slash("/deal", "register", user_id=NA_MANAGER)
    view = decoded(fake_slack.wait_for(lambda r: r.name == "views.open")[0].body["view"])
    blocks = {block.get("block_id") for block in view["blocks"]}
    assert {deal_modals.PARTNER, deal_modals.INFLUENCERS} <= blocks

    suggestion = block_suggestion(
        user_id=NA_MANAGER, team_id=HOME_TEAM, action_id=deal_modals.PARTNER, value="glob"
    )
    options = slack_app.interact(suggestion).json()["options"]
    assert [o["value"] for o in options] == [str(program.globex)]
    assert options[0]["text"]["text"].startswith("Globex Systems")

    fields = registration_fields(
        "Hooli",
        "hooli.com",
        "$120,000",
        partner=program.globex,
        **{deal_modals.INFLUENCERS: multi_value([str(program.acme)])},
    )
    submit_registration(slack_app, NA_MANAGER, HOME_TEAM, fields)
    card = posted_to(fake_slack, DESK)[0]
    assert "Globex Systems" in shown(card)
    assert "Influence partners:* Acme Resellers" in shown(card)


@pytest.mark.usefixtures("program")
def test_partner_contacts_get_no_partner_names_from_the_search(
    slack_app: RunningApp, fake_slack: FakeSlack
) -> None:
    suggestion = block_suggestion(
        user_id=ACME_CONTACT, team_id=ACME_TEAM, action_id=deal_modals.PARTNER, value="glob"
    )
    assert slack_app.interact(suggestion).json() == {"options": []}


@pytest.mark.usefixtures("program")
def test_inline_registration_by_staff_names_the_partner(
    slack_app: RunningApp, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    answer = register_inline(
        slack_app, "Umbrella Corp umbrella.com 75000 EUR for globex", NA_MANAGER, ""
    )
    assert "Registered *R-000001* · Umbrella Corp · EUR 75,000 for Globex Systems" in answer
    assert "Registration to approve" in shown(posted_to(fake_slack, DESK)[0])

    answer = register_inline(slack_app, "Soylent soylent.com 5000", NA_MANAGER, "")
    assert "say which partner" in answer
    answer = register_inline(slack_app, "Soylent soylent.com 5000 for Nobody Ltd", NA_MANAGER, "")
    assert "I know no partner called `Nobody Ltd`" in answer
    answer = register_inline(slack_app, "Soylent soylent.com 5000 CHF for globex", BOSS, "")
    assert "not `CHF`" in answer
    assert deal_ids(session_factory) == {"R-000001": DealStatus.PENDING}


@pytest.mark.usefixtures("program")
def test_the_cards_go_out_once_the_registration_is_committed(
    slack_app: RunningApp, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    """Slack's answer to the approval card held back: the registration is already committed
    (visible to another connection, its account's locks released), so a slow Slack never holds
    up the next registration of the same company."""
    release = fake_slack.hold("chat.postMessage")
    http, url = slack_app.slash(
        "/deal", "register Initech initech.com 1000", user_id=ACME_CONTACT, team_id=ACME_TEAM
    )
    try:
        posted_to(fake_slack, EMEA_APPROVER)
        assert deal_ids(session_factory) == {"R-000001": DealStatus.PENDING}
        rival = register_inline(slack_app, "Initech initech.com 900", GLOBEX_CONTACT, GLOBEX_TEAM)
        assert "R-000002" in rival
    finally:
        release.set()
    assert "Registered *R-000001*" in shown(slack_app.answer(http, url))


@pytest.mark.usefixtures("program")
def test_same_partner_registering_again_is_refused_with_the_existing_id(
    slack_app: RunningApp, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    register_inline(slack_app, "Initech initech.com 1000", ACME_CONTACT, ACME_TEAM)
    answer = register_inline(
        slack_app, "INITECH, Inc. www.initech.com/about 2000", ACME_CONTACT, ACME_TEAM
    )
    assert "already registered by the same partner: *R-000001*" in answer
    assert deal_ids(session_factory) == {"R-000001": DealStatus.PENDING}


@pytest.mark.usefixtures("program")
def test_a_partner_cannot_register_for_another(
    slack_app: RunningApp, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    answer = register_inline(
        slack_app, "Initech initech.com 1000 for Globex", ACME_CONTACT, ACME_TEAM
    )
    assert "you register for your own partner" in answer
    assert deal_ids(session_factory) == {}


# --- conflicts ----------------------------------------------------------------------------


@pytest.mark.usefixtures("program")
def test_conflict_is_recorded_carded_and_told_without_naming_the_rival(
    slack_app: RunningApp, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    register_inline(slack_app, "Vandelay Industries vandelay.com 91000", ACME_CONTACT, ACME_TEAM)
    fake_slack.clear()
    answer = register_inline(
        slack_app, "Vandelay Ind. vandelay.com 12000", GLOBEX_CONTACT, GLOBEX_TEAM
    )
    assert "already registered with us" in answer
    assert deal_ids(session_factory) == {
        "R-000001": DealStatus.CONFLICT,
        "R-000002": DealStatus.CONFLICT,
    }

    # One card per routed destination: Acme's approver and Globex's deal desk.
    for destination in (EMEA_APPROVER, DESK):
        card = shown(posted_to(fake_slack, destination)[0])
        assert "Channel conflict" in card
        assert card.index("Acme Resellers") < card.index("Globex Systems")  # first come first
        assert "Award to Acme Resellers" in card
        assert "Award to Globex Systems" in card
        assert "Reject all" in card
    told_globex = shown(posted_to(fake_slack, GLOBEX_CHANNEL)[0])
    assert "already registered with us" in told_globex
    told_acme = shown(posted_to(fake_slack, ACME_CHANNEL)[0])
    assert "Yours came first" in told_acme
    # A partner never learns who else registered, nor for how much.
    for message in fake_slack.requests:
        if message.body.get("channel") == GLOBEX_CHANNEL or message.name == "response_url":
            assert "Acme" not in shown(message)
            assert "91,000" not in shown(message)
        if message.body.get("channel") == ACME_CHANNEL:
            assert "Globex" not in shown(message)
            assert "12,000" not in shown(message)


@pytest.mark.usefixtures("program")
def test_awarding_a_conflict_approves_one_and_rejects_the_rest(
    slack_app: RunningApp, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    register_inline(slack_app, "Vandelay vandelay.com 91000", ACME_CONTACT, ACME_TEAM)
    register_inline(slack_app, "Vandelay vandelay.com 12000", GLOBEX_CONTACT, GLOBEX_TEAM)
    card = posted_to(fake_slack, DESK)[0]
    fake_slack.clear()

    click(slack_app, fake_slack, card, deal_messages.AWARD, "R-000002", NA_MANAGER)
    # Every card showing these claims says what was decided: the conflict card's copies at the
    # desk and at Acme's approver, and the approval card R-000001 had before Globex's claim.
    updated = fake_slack.wait_for(lambda r: r.name == "chat.update", count=3)
    approver = direct_message(EMEA_APPROVER)  # where Slack shows the cards posted to a user
    assert sorted(u.body["channel"] for u in updated) == [DESK, approver, approver]
    assert len({(u.body["channel"], u.body["ts"]) for u in updated}) == 3
    for update in updated:
        text = shown(update)
        assert "R-000002* · Vandelay · Globex Systems: approved by <@U0NAMGR>" in text
        assert "R-000001* · Vandelay · Acme Resellers: rejected" in text
        assert "Approve" not in text  # the decided card has no buttons left
    assert "is approved: protected until" in shown(posted_to(fake_slack, GLOBEX_CHANNEL)[0])
    assert "was not approved" in shown(posted_to(fake_slack, ACME_CHANNEL)[0])
    assert deal_ids(session_factory) == {
        "R-000001": DealStatus.REJECTED,
        "R-000002": DealStatus.APPROVED,
    }


@pytest.mark.usefixtures("program")
def test_a_protected_approval_from_before_the_window_makes_a_conflict(
    slack_app: RunningApp,
    fake_slack: FakeSlack,
    session_factory: sessionmaker[Session],
    program: Program,
) -> None:
    """Globex's registration was approved long ago and is protected for three more weeks:
    Acme's claim goes to the conflict workflow, and Globex hears of it."""
    window = EXAMPLE_PROGRAM.registration.conflict_window_days
    with session_factory.begin() as session:
        add_deal(
            session,
            program.globex,
            "d:vandelay.com",
            40_000,
            DealStatus.APPROVED,
            datetime.now(UTC) - timedelta(days=window + 30),
            expires=(date.today() + timedelta(days=20)).isoformat(),
            account="Vandelay Industries",
        )
    answer = register_inline(slack_app, "Vandelay vandelay.com 12000", ACME_CONTACT, ACME_TEAM)
    assert "already registered with us" in answer
    assert set(deal_ids(session_factory).values()) == {DealStatus.CONFLICT}
    assert "Channel conflict" in shown(posted_to(fake_slack, EMEA_APPROVER)[0])
    assert "Yours came first" in shown(posted_to(fake_slack, GLOBEX_CHANNEL)[0])


@pytest.mark.usefixtures("program")
def test_a_stale_card_shows_the_conflict_instead_of_deciding(
    slack_app: RunningApp, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    """Approve on Acme's approval card after Globex's claim came in: nothing is decided, the
    card becomes the conflict card, and a decision on that card is made."""
    register_inline(slack_app, "Vandelay vandelay.com 91000", ACME_CONTACT, ACME_TEAM)
    approval = posted_to(fake_slack, EMEA_APPROVER)[0]
    register_inline(slack_app, "Vandelay vandelay.com 12000", GLOBEX_CONTACT, GLOBEX_TEAM)
    posted_to(fake_slack, GLOBEX_CHANNEL)
    fake_slack.clear()

    url = click(slack_app, fake_slack, approval, deal_messages.APPROVE, "R-000001", EMEA_APPROVER)
    assert "changed since that card was posted" in shown(fake_slack.wait_for_response(url))
    [refreshed] = fake_slack.wait_for(lambda r: r.name == "chat.update")
    assert "Channel conflict" in shown(refreshed)
    assert "Award to Globex Systems" in shown(refreshed)
    assert set(deal_ids(session_factory).values()) == {DealStatus.CONFLICT}
    assert fake_slack.calls("chat.postMessage") == []  # no partner heard of a decision

    blocks = decoded(refreshed.body["blocks"])
    [award] = [
        b
        for b in card_buttons(blocks)
        if b["action_id"] == deal_messages.AWARD and b["value"].startswith("R-000001 ")
    ]
    fake_slack.clear()
    slack_app.interact(
        block_actions(
            user_id=EMEA_APPROVER,
            team_id=HOME_TEAM,
            action_id=award["action_id"],
            value=award["value"],
            channel_id=refreshed.body["channel"],
            message_ts=refreshed.body["ts"],
            response_url=fake_slack.response_url(),
        )
    )
    fake_slack.wait_for(lambda r: r.name == "chat.update")
    assert deal_ids(session_factory) == {
        "R-000001": DealStatus.APPROVED,
        "R-000002": DealStatus.REJECTED,
    }


# --- deciding -----------------------------------------------------------------------------


@pytest.mark.usefixtures("program")
def test_routed_manager_approves_from_the_card_once(
    slack_app: RunningApp, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    register_inline(slack_app, "Initech initech.com 1000", ACME_CONTACT, ACME_TEAM)
    card = posted_to(fake_slack, EMEA_APPROVER)[0]
    fake_slack.clear()

    click(slack_app, fake_slack, card, deal_messages.APPROVE, "R-000001", EMEA_APPROVER)
    updated = fake_slack.wait_for(lambda r: r.name == "chat.update")[0]
    assert "approved by <@UMGREMEA01>, protected until" in shown(updated)
    assert "is approved: protected until" in shown(posted_to(fake_slack, ACME_CHANNEL)[0])
    with session_factory() as session:
        deal = session.scalars(select(DealRegistration)).one()
        assert (deal.status, deal.decided_by) == (DealStatus.APPROVED, EMEA_APPROVER)
        assert deal.expires_at is not None
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["register", "approve"]
    fake_slack.clear()

    url = click(slack_app, fake_slack, card, deal_messages.APPROVE, "R-000001", EMEA_APPROVER)
    again = fake_slack.wait_for_response(url)
    assert again.body["response_type"] == "ephemeral"
    assert "R-000001 is approved by <@UMGREMEA01>, not pending." in shown(again)
    assert fake_slack.calls("chat.update") == []


@pytest.mark.parametrize("clicker", [NA_MANAGER, ACME_CONTACT])
@pytest.mark.usefixtures("program")
def test_only_the_routed_manager_or_leadership_may_decide(
    slack_app: RunningApp,
    fake_slack: FakeSlack,
    session_factory: sessionmaker[Session],
    clicker: str,
) -> None:
    register_inline(slack_app, "Initech initech.com 1000", ACME_CONTACT, ACME_TEAM)
    card = posted_to(fake_slack, EMEA_APPROVER)[0]
    fake_slack.clear()
    url = click(slack_app, fake_slack, card, deal_messages.APPROVE, "R-000001", clicker)
    refusal = fake_slack.wait_for_response(url)
    assert refusal.body["response_type"] == "ephemeral"
    assert refusal.body["replace_original"] is False
    assert "only" in shown(refusal).lower()
    assert fake_slack.calls("chat.update") == []
    assert fake_slack.calls("chat.postMessage") == []
    assert deal_ids(session_factory) == {"R-000001": DealStatus.PENDING}

    http, url = slack_app.slash("/deal", "approve R-000001", user_id=BOSS)
    assert "approved by <@U0BOSS>" in shown(slack_app.answer(http, url))
    assert deal_ids(session_factory) == {"R-000001": DealStatus.APPROVED}


@pytest.mark.usefixtures("program")
def test_reject_button_asks_for_a_reason_and_tells_the_partner(
    slack_app: RunningApp, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    register_inline(slack_app, "Initech initech.com 1000", ACME_CONTACT, ACME_TEAM)
    card = posted_to(fake_slack, EMEA_APPROVER)[0]
    fake_slack.clear()
    click(slack_app, fake_slack, card, deal_messages.REJECT, "R-000001", EMEA_APPROVER)
    opened = fake_slack.wait_for(lambda r: r.name == "views.open")[0]
    view = decoded(opened.body["view"])
    assert view["callback_id"] == deal_modals.REJECT_VIEW
    assert deal_ids(session_factory) == {"R-000001": DealStatus.PENDING}

    blank = slack_app.interact(
        view_submission(
            user_id=EMEA_APPROVER,
            team_id=HOME_TEAM,
            callback_id=deal_modals.REJECT_VIEW,
            fields={deal_modals.REASON: text_value("   ")},
            private_metadata=view["private_metadata"],
        )
    )
    assert blank.json()["response_action"] == "errors"
    slack_app.interact(
        view_submission(
            user_id=EMEA_APPROVER,
            team_id=HOME_TEAM,
            callback_id=deal_modals.REJECT_VIEW,
            fields={deal_modals.REASON: text_value("Existing direct-sales opportunity")},
            private_metadata=view["private_metadata"],
        )
    )
    updated = fake_slack.wait_for(lambda r: r.name == "chat.update")[0]
    assert updated.body["channel"] == direct_message(EMEA_APPROVER)
    assert "rejected by <@UMGREMEA01>. Reason: Existing direct-sales opportunity" in shown(updated)
    notice = shown(posted_to(fake_slack, ACME_CHANNEL)[0])
    assert "was not approved. Reason: Existing direct-sales opportunity" in notice
    assert deal_ids(session_factory) == {"R-000001": DealStatus.REJECTED}


@pytest.mark.usefixtures("program")
def test_commands_approve_reject_extend_status_and_list(
    slack_app: RunningApp, fake_slack: FakeSlack
) -> None:
    def say(text: str, user: str = EMEA_APPROVER, team: str = HOME_TEAM) -> str:
        http, url = slack_app.slash("/deal", text, user_id=user, team_id=team)
        return shown(slack_app.answer(http, url))

    register_inline(slack_app, "Initech initech.com 1000", ACME_CONTACT, ACME_TEAM)
    register_inline(slack_app, "Hooli hooli.com 2000", ACME_CONTACT, ACME_TEAM)
    pending = say("list pending")
    assert "R-000001" in pending
    assert "R-000002" in pending
    assert "protected until" in say("approve r-1")
    assert "Reason: duplicate of a CRM deal" in say("reject 2 duplicate of a CRM deal")
    assert "Extend by 1 to 90 days" in say("extend R-000001 400")
    before = say("status R-000001")
    assert "*approved*" in before
    assert "none: no approved registration's protection ends within 14 days." in say(
        "list expiring"
    )
    extended = say("extend R-000001 30")
    assert "protection extended" in shown(posted_to(fake_slack, ACME_CHANNEL, count=5)[-1])
    assert "protected until" in extended
    assert "Registrations of partners you manage" in say("list mine")
    assert "R-000001" in say("list acme", user=ACME_CONTACT, team=ACME_TEAM)


# --- isolation ----------------------------------------------------------------------------


@pytest.mark.usefixtures("program")
def test_a_partner_sees_nothing_of_another_partners_registrations(
    slack_app: RunningApp, fake_slack: FakeSlack
) -> None:
    register_inline(slack_app, "Vandelay Industries vandelay.com 91000", ACME_CONTACT, ACME_TEAM)
    fake_slack.clear()

    def ask(text: str) -> str:
        http, url = slack_app.slash("/deal", text, user_id=GLOBEX_CONTACT, team_id=GLOBEX_TEAM)
        return shown(slack_app.answer(http, url))

    assert "no registration `R-000001` that you can see" in ask("status R-000001")
    assert "no registration `R-000999` that you can see" in ask("status R-000999")
    assert "your own partner's registrations" in ask("list Acme Resellers")
    assert "none" in ask("list")
    assert "none" in ask("list pending")
    assert "Only partner managers" in ask("approve R-000001")
    assert "Only partner managers" in ask("extend R-000001 10")
    for message in fake_slack.requests:
        assert "Vandelay" not in shown(message)
        assert "Acme" not in shown(message)


@pytest.mark.usefixtures("program")
def test_unmapped_user_of_another_team_cannot_submit_the_form(
    slack_app: RunningApp, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    fake_slack.add_user("U0STRANGER", "T0ELSEWHERE")
    fields = registration_fields("Initech", "initech.com", "1000")
    submit_registration(slack_app, "U0STRANGER", "T0ELSEWHERE", fields)
    answer = fake_slack.wait_for(lambda r: r.name == "chat.postEphemeral")[0]
    assert shown(answer).startswith("Sorry, I can only help people my partner team knows.")
    assert deal_ids(session_factory) == {}


# --- any text -----------------------------------------------------------------------------

subcommand_text = st.builds(
    "{} {}".format,
    st.sampled_from(["register", "status", "list", "approve", "reject", "extend", "help"]),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=80),
)


@pytest.mark.usefixtures("program")
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=subcommand_text, user=st.sampled_from([ACME_CONTACT, EMEA_APPROVER]))
def test_any_subcommand_text_gets_an_answer_never_an_error(
    slack_app: RunningApp, fake_slack: FakeSlack, text: str, user: str
) -> None:
    assume(not isinstance(parse(text), OpenRegisterForm))
    team = ACME_TEAM if user == ACME_CONTACT else HOME_TEAM
    http, url = slack_app.slash("/deal", text, user_id=user, team_id=team)
    assert http.status == 200
    answer = slack_app.answer(http, url)
    assert answer.body["response_type"] == "ephemeral"
    assert "something went wrong" not in shown(answer)
    assert 0 < len(answer.body["blocks"]) <= 50
