"""Slack as a person expects it (issue 19, part 2), through Slack's doors: signed slash
commands and button clicks to the running app, and what the fake Slack received.

Decisions that cannot be undone ask for confirmation; a manager extends a registration from its
expiry reminder with a button; an empty list says why and a long one pages; help shows each
role the commands it may use, and a stranger how to get access; names ending in a period and
imported registrations read right."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from config.program import EXAMPLE, Program, example_text, parse_program
from deals.lookup import deal_view
from insights.tier_review import TierChange
from jobs.registrations import daily_registrations
from messages import deal_messages, registration_notices
from messages.delivery import Pacer, deliver_pending
from messages.outbox import enqueue_message
from messages.tier_messages import APPROVE, NEEDS_APPROVAL, tier_review_messages
from models import DealRegistration, DealStatus, Partner, Person, PersonRole
from tests.programs import EXAMPLE_PROGRAM
from tests.seeding import add_deal
from tests.slack.deal_steps import card_buttons, decoded, posted_to, register_inline, shown
from tests.slack.fake_slack import HOME_TEAM, FakeSlack, Recorded
from tests.slack.payloads import block_actions, click
from tests.slack.running_app import RunningApp, running_app
from tests.slack.two_partners import (
    A_CONTACT,
    A_TEAM,
    B_CONTACT,
    B_TEAM,
    DESK,
    MANAGER,
    TwoPartners,
    add_two_partners,
)

OUTSIDER = "U0NOBODY"
NEWCOMER = "U0NEWHIRE"


@pytest.fixture
def partners(session_factory: sessionmaker[Session], fake_slack: FakeSlack) -> TwoPartners:
    return add_two_partners(session_factory, fake_slack)


def say(app: RunningApp, command: str, text: str, user: str, team: str = HOME_TEAM) -> Recorded:
    http, url = app.slash(command, text, user_id=user, team_id=team)
    return app.answer(http, url)


def press(
    app: RunningApp, message: dict[str, Any], element: dict[str, Any], user: str, team: str
) -> str:
    """Click ``element`` of ``message`` (as the fake Slack holds it); the click's
    response_url."""
    [block] = [b for b in message["blocks"] if element in b.get("elements", [])]
    url = app.fake.response_url()
    answer = app.interact(
        click(message, block, element, user_id=user, team_id=team, response_url=url)
    )
    assert answer.status == 200
    return url


def deliver(session_factory: sessionmaker[Session], client: WebClient) -> None:
    report = deliver_pending(session_factory, client, pacer=Pacer(0.0))
    assert report.failed == report.retrying == 0


# --- confirmations ----------------------------------------------------------------------------


@pytest.mark.usefixtures("partners")
def test_approve_and_award_ask_for_confirmation_first(
    slack_app: RunningApp, fake_slack: FakeSlack
) -> None:
    register_inline(slack_app, "Initech initech.com 1000", A_CONTACT, A_TEAM)
    [card] = posted_to(fake_slack, DESK)
    buttons = {b["action_id"]: b for b in card_buttons(decoded(card.body["blocks"]))}
    assert buttons[deal_messages.APPROVE]["confirm"]["confirm"]["text"] == "Approve"
    assert "Acme Resellers is told" in buttons[deal_messages.APPROVE]["confirm"]["text"]["text"]
    assert "confirm" not in buttons[deal_messages.REJECT]  # its reason form can be cancelled

    register_inline(slack_app, "Initech initech.com 2000", B_CONTACT, B_TEAM)
    conflict = posted_to(fake_slack, DESK, count=2)[-1]
    awards = [
        b for b in card_buttons(decoded(conflict.body["blocks"])) if b["action_id"] == "deal_award"
    ]
    assert len(awards) == 2
    assert all("other 1 claim(s) rejected" in b["confirm"]["text"]["text"] for b in awards)


def test_a_tier_decision_asks_first_and_its_line_stops_asking(
    slack_app: RunningApp,
    fake_slack: FakeSlack,
    session_factory: sessionmaker[Session],
    client: WebClient,
    partners: TwoPartners,
) -> None:
    change = TierChange(partners.a, "Acme Resellers", "gold", "silver", "down", True)
    [review] = tier_review_messages([change], "November 2026")
    with session_factory.begin() as session:
        enqueue_message(
            session, key="tier_review:test", kind="tier_review", channel=MANAGER, message=review
        )
    deliver(session_factory, client)
    [posted] = fake_slack.all_messages()
    assert NEEDS_APPROVAL in posted["blocks"][1]["text"]["text"]
    [approve] = [b for b in card_buttons(posted["blocks"]) if b["action_id"] == APPROVE]
    assert "Acme Resellers from gold to silver" in approve["confirm"]["text"]["text"]

    press(slack_app, posted, approve, MANAGER, HOME_TEAM)
    [updated] = fake_slack.wait_for(lambda r: r.name == "chat.update")
    blocks = decoded(updated.body["blocks"])
    assert blocks[1]["text"]["text"] == ":arrow_down: *Acme Resellers*: gold → silver"
    assert "approved: now silver" in blocks[2]["elements"][0]["text"]


@pytest.mark.usefixtures("partners")
def test_a_tier_button_naming_no_partner_is_out_of_date(
    slack_app: RunningApp, fake_slack: FakeSlack
) -> None:
    url = fake_slack.response_url()
    slack_app.interact(
        block_actions(
            user_id=MANAGER,
            team_id=HOME_TEAM,
            action_id=APPROVE,
            value="999999:gold:silver",
            channel_id="D0NAMGR",
            message_ts="1700000000.000400",
            response_url=url,
        )
    )
    assert "This card is out of date" in shown(fake_slack.wait_for_response(url))


# --- extending from the reminder ----------------------------------------------------------------


def expiring_in_three_days(
    session_factory: sessionmaker[Session],
    partners: TwoPartners,
    program: Program,
    registered: datetime,
) -> date:
    """Partner A's approved R-000001, its protection ending three days from today; that day."""
    expires = program.today() + timedelta(days=3)
    with session_factory.begin() as session:
        add_deal(
            session,
            partners.a,
            "R-000001",
            1000,
            DealStatus.APPROVED,
            registered,
            expires=expires.isoformat(),
        )
    return expires


def test_a_manager_extends_from_the_reminder_once(
    slack_app: RunningApp,
    fake_slack: FakeSlack,
    session_factory: sessionmaker[Session],
    client: WebClient,
    partners: TwoPartners,
) -> None:
    now = datetime.now(UTC)
    expires = expiring_in_three_days(
        session_factory, partners, EXAMPLE_PROGRAM, now - timedelta(days=80)
    )
    daily_registrations(session_factory, EXAMPLE_PROGRAM, now)
    deliver(session_factory, client)
    [reminder] = [m for m in fake_slack.all_messages() if m["channel"] == "D0NAMGR"]
    buttons = card_buttons(reminder["blocks"])
    assert [b["text"]["text"] for b in buttons] == [
        "Extend 30 days",
        "Extend 60 days",
        "Extend 90 days",
    ]
    fake_slack.clear()

    # a partner's contact may not extend, not even their own
    refused = press(slack_app, reminder, buttons[0], A_CONTACT, A_TEAM)
    assert "Only partner managers" in shown(fake_slack.wait_for_response(refused))

    press(slack_app, reminder, buttons[0], MANAGER, HOME_TEAM)
    [updated] = fake_slack.wait_for(lambda r: r.name == "chat.update")
    until = expires + timedelta(days=30)
    assert (updated.body["ts"], updated.body["text"]) == (reminder["ts"], reminder["text"])
    assert f"<@{MANAGER}> extended it by 30 days: protected until {until}" in shown(updated)
    assert card_buttons(decoded(updated.body["blocks"])) == []
    assert "protection extended" in shown(posted_to(fake_slack, "C0SHAREDACME")[0])

    # the same reminder clicked again (a second click, not a replay): nothing more
    again = press(slack_app, reminder, buttons[1], MANAGER, HOME_TEAM)
    assert "was extended since this reminder" in shown(fake_slack.wait_for_response(again))
    with session_factory() as session:
        stored = session.scalar(select(DealRegistration.expires_at))
    assert stored == until


@pytest.mark.parametrize("days", ["90", "45", "-30", "30 30", "９０"])
def test_a_forged_extension_is_refused_as_out_of_date(
    engine: Engine,
    fake_slack: FakeSlack,
    session_factory: sessionmaker[Session],
    partners: TwoPartners,
    days: str,
) -> None:
    """The program allows 60 days at a time: 90 was never offered, nor 45."""
    text = example_text().replace("max_extension_days = 90", "max_extension_days = 60")
    program = parse_program(text, EXAMPLE)
    expires = expiring_in_three_days(session_factory, partners, program, datetime.now(UTC))
    with session_factory() as session:
        deal = deal_view(session, "R-000001")
    assert deal is not None
    reminder = registration_notices.expiry_reminder_for_manager(deal, 3, 60)
    offered = card_buttons([block.to_dict() for block in reminder.blocks])
    assert [b["text"]["text"] for b in offered] == ["Extend 30 days", "Extend 60 days"]
    url = engine.url.render_as_string(hide_password=False)
    with running_app(fake_slack, url, session_factory, program=program) as app:
        response_url = fake_slack.response_url()
        app.interact(
            block_actions(
                user_id=MANAGER,
                team_id=HOME_TEAM,
                action_id=registration_notices.EXTEND,
                value=f"R-000001 {expires.isoformat()} {days}",
                channel_id="D0NAMGR",
                message_ts="1700000000.000200",
                response_url=response_url,
            )
        )
        answer = fake_slack.wait_for_response(response_url)
    assert "This card is out of date" in shown(answer)
    with session_factory() as session:
        assert session.scalar(select(DealRegistration.expires_at)) == expires


# --- lists: why none, and the next page ----------------------------------------------------------


def test_an_empty_list_says_why(
    slack_app: RunningApp,
    fake_slack: FakeSlack,
    session_factory: sessionmaker[Session],
    partners: TwoPartners,
) -> None:
    with session_factory.begin() as session:
        session.add(Person(slack_user_id="U0LONELY", role=PersonRole.MANAGER, region="NA"))
    fake_slack.add_user("U0LONELY", HOME_TEAM)
    assert "no partners are assigned to you" in shown(
        say(slack_app, "/deal", "list mine", "U0LONELY")
    )
    managed = shown(say(slack_app, "/deal", "list mine", MANAGER))
    assert "none of the 2 partner(s) you manage has an active registration" in managed
    mine = shown(say(slack_app, "/deal", "list mine", A_CONTACT, A_TEAM))
    assert "you have registered none yet; `/deal list` shows your partner's" in mine


def test_a_long_list_pages_on_with_next(
    slack_app: RunningApp,
    fake_slack: FakeSlack,
    session_factory: sessionmaker[Session],
    partners: TwoPartners,
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with session_factory.begin() as session:
        for n in range(1, 26):  # R-000025 is the newest, listed first
            add_deal(
                session, partners.a, f"R-{n:06d}", 1000, DealStatus.PENDING, start + timedelta(n)
            )
    first = say(slack_app, "/deal", "list Acme Resellers", MANAGER)
    blocks = decoded(first.body["blocks"])
    assert "Showing 1–20 of 25." in shown(first)
    assert "R-000006" in shown(first)
    assert "R-000005" not in shown(first)
    [next_button] = card_buttons(blocks)
    assert next_button["text"]["text"] == "Next 5"

    def page(value: str, user: str, team: str) -> str:
        url = fake_slack.response_url()
        slack_app.interact(
            block_actions(
                user_id=user,
                team_id=team,
                action_id=deal_messages.NEXT_PAGE,
                value=value,
                channel_id="C0GENERAL",
                message_ts="1700000000.000300",
                response_url=url,
            )
        )
        return shown(fake_slack.wait_for_response(url))

    second = page(next_button["value"], MANAGER, HOME_TEAM)
    assert "Showing 21–25 of 25." in second
    assert all(f"R-00000{n}" in second for n in range(1, 6))
    assert "R-000006" not in second
    # partner B's contact may not page through A's list; a forged offset is out of date
    assert "your own partner's" in page(next_button["value"], B_CONTACT, B_TEAM)
    assert "out of date" in page(f"partner:{partners.a}:7", MANAGER, HOME_TEAM)
    assert "no more; all 25 were shown" in page(f"partner:{partners.a}:40", MANAGER, HOME_TEAM)


# --- help by role, and the leaderboard of an unknown scope ------------------------------------


@pytest.mark.usefixtures("partners")
def test_help_shows_each_role_what_it_may_use(slack_app: RunningApp, fake_slack: FakeSlack) -> None:
    staff = shown(say(slack_app, "/deal", "help", MANAGER))
    assert "`/deal approve DEAL-ID`" in staff
    assert "`/deal extend DEAL-ID DAYS`" in staff
    contact = shown(say(slack_app, "/deal", "help", A_CONTACT, A_TEAM))
    assert "`/deal register`" in contact
    assert "approve" not in contact
    assert "extend" not in contact
    card_help = shown(say(slack_app, "/scorecard", "help", A_CONTACT, A_TEAM))
    assert "top" not in card_help
    assert "your partner's scorecard" in card_help
    assert "`/scorecard top [N] [REGION|TIER]`" in shown(
        say(slack_app, "/scorecard", "help", MANAGER)
    )

    fake_slack.add_user(OUTSIDER, "T0ELSEWHERE")
    stranger = shown(say(slack_app, "/deal", "help", OUTSIDER, "T0ELSEWHERE"))
    assert "ask your partner manager to add your Slack account" in stranger
    assert "`/deal register" not in stranger

    fake_slack.add_user(NEWCOMER, HOME_TEAM)
    refused = shown(say(slack_app, "/scorecard", "", NEWCOMER))
    assert "`/scorecard help`" in refused
    assert "/deal" not in refused
    newcomer = shown(say(slack_app, "/scorecard", "help", NEWCOMER))
    assert "ask a partnerbot admin" in newcomer
    assert "top" not in newcomer


@pytest.mark.usefixtures("partners")
def test_the_leaderboard_of_an_unknown_region_says_so(slack_app: RunningApp) -> None:
    answer = shown(say(slack_app, "/scorecard", "top 10 Mars", MANAGER))
    assert "There is no region or tier called `Mars`" in answer
    assert "silver" in answer


# --- how names and imports read ----------------------------------------------------------------


def test_a_name_ending_in_a_period_ends_its_sentence_once(
    slack_app: RunningApp, session_factory: sessionmaker[Session], partners: TwoPartners
) -> None:
    with session_factory.begin() as session:
        named = update(Partner).where(Partner.id == partners.a)
        session.execute(named.values(name="Blue Valley Partners N.V."))
    answer = register_inline(
        slack_app, "Hooli hooli.com 1000 for Blue Valley Partners N.V.", MANAGER, HOME_TEAM
    )
    assert "for Blue Valley Partners N.V. It is pending" in answer
    assert ".." not in answer


def test_an_imported_registration_says_it_was_imported(
    slack_app: RunningApp, session_factory: sessionmaker[Session], partners: TwoPartners
) -> None:
    with session_factory.begin() as session:
        add_deal(session, partners.a, "OPP-1234", 1000, DealStatus.PENDING, datetime.now(UTC))
    status = shown(say(slack_app, "/deal", "status OPP-1234", MANAGER))
    assert "imported from the CRM" in status
    assert "by partnerbot" not in status
