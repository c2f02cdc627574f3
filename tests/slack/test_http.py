"""The Slack app through real HTTP: signed requests to the running WSGI server, answers observed
where Slack would see them (the fake Slack's ``response_url`` and Web API endpoints)."""

import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from messages.deal_messages import DEAL_SUBCOMMANDS
from models import DealRegistration, Partner, Person, PersonRole
from tests.slack.fake_slack import HOME_TEAM, FakeSlack, Recorded
from tests.slack.running_app import RunningApp, running_app
from tests.slack.signing import (
    SIGNING_SECRET,
    SlackRequest,
    signature,
    signed,
    slash_command_body,
)

PARTNER_TEAM = "T0ACME"
MANAGER = "U0MANAGER"
CONTACT = "U0ACMECONTACT"
OUTSIDER = "U0OUTSIDER"


@pytest.fixture
def people(session_factory: sessionmaker[Session], fake_slack: FakeSlack) -> None:
    """A manager in our workspace and a contact at Acme, whose own workspace is T0ACME."""
    with session_factory.begin() as session:
        acme = Partner(
            external_id="P-ACME",
            name="Acme",
            tier="gold",
            region="EMEA",
            slack_team_id=PARTNER_TEAM,
        )
        session.add(acme)
        session.flush()
        session.add_all(
            [
                Person(slack_user_id=MANAGER, role=PersonRole.MANAGER, name="Mia Manager"),
                Person(slack_user_id=CONTACT, role=PersonRole.PARTNER, partner_id=acme.id),
            ]
        )
    fake_slack.add_user(MANAGER, HOME_TEAM)
    fake_slack.add_user(CONTACT, PARTNER_TEAM)
    fake_slack.add_user(OUTSIDER, "T0ELSEWHERE")


def markdown_of(answer: Recorded) -> str:
    """All text a person sees in a posted message: section texts and context elements."""
    texts = []
    for block in answer.body["blocks"]:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [element["text"] for element in block.get("elements", [])]
    return "\n".join(texts)


@pytest.mark.usefixtures("people")
def test_deal_help_is_answered_ephemerally_in_the_acknowledgement(
    slack_app: RunningApp, fake_slack: FakeSlack
) -> None:
    started = time.monotonic()
    http, response_url = slack_app.slash("/deal", "help", user_id=MANAGER)
    assert http.status == 200
    assert time.monotonic() - started < 3
    assert http.headers["content-type"].startswith("application/json")

    answer = slack_app.answer(http, response_url)
    assert answer.name == "ack"  # ready at once, so no second request to response_url
    assert answer.body["response_type"] == "ephemeral"
    assert answer.body["text"] == "/deal usage"
    shown = markdown_of(answer)
    for usage, _, _ in DEAL_SUBCOMMANDS:
        assert f"`/deal {usage}`" in shown
    assert [r.name for r in fake_slack.requests] == ["users.info"]
    assert fake_slack.calls("users.info")[0].body["user"] == MANAGER

    http, response_url = slack_app.slash("/deal", "help", user_id=MANAGER)
    assert slack_app.answer(http, response_url).body["text"] == "/deal usage"
    assert len(fake_slack.calls("users.info")) == 1  # the user's team is remembered a while


@pytest.mark.usefixtures("people")
@pytest.mark.parametrize("budget_ms", [0, 1])
def test_an_answer_not_ready_in_time_follows_through_response_url(
    engine: Engine,
    fake_slack: FakeSlack,
    session_factory: sessionmaker[Session],
    budget_ms: int,
) -> None:
    """0: never in the acknowledgement; 1 ms: the acknowledgement goes out empty at the
    deadline and the answer after it. Slack's answer to users.info is held back until the
    acknowledgement is in, so the answer cannot be ready in time on any machine."""
    url = engine.url.render_as_string(hide_password=False)
    with running_app(
        fake_slack,
        url,
        session_factory,
        PARTNERBOT_INLINE_ANSWER_MS=budget_ms,
        PARTNERBOT_IDENTITY_CACHE_S=0,
    ) as app:
        for _ in range(2):
            slow = fake_slack.hold("users.info")
            http, response_url = app.slash("/deal", "help", user_id=MANAGER)
            slow.set()
            assert (http.status, http.body) == (200, b"")
            answer = fake_slack.wait_for_response(response_url)
            assert answer.headers["content-type"].startswith("application/json")
            assert answer.body["response_type"] == "ephemeral"
            assert answer.body["text"] == "/deal usage"
    assert len(fake_slack.calls("users.info")) == 2  # not remembered: asked each time


@pytest.mark.usefixtures("people")
def test_a_user_slack_cannot_tell_about_is_asked_about_again(
    slack_app: RunningApp, fake_slack: FakeSlack
) -> None:
    newcomer = "U0NEWCOMER"
    http, response_url = slack_app.slash("/deal", "help", user_id=newcomer)
    assert "ask your partner manager" in markdown_of(slack_app.answer(http, response_url))
    fake_slack.add_user(newcomer, HOME_TEAM)  # now one of our workspace, unknown to us
    http, response_url = slack_app.slash("/deal", "help", user_id=newcomer)
    assert "ask a partnerbot admin" in markdown_of(slack_app.answer(http, response_url))


@pytest.mark.usefixtures("people")
def test_empty_text_is_help(slack_app: RunningApp, fake_slack: FakeSlack) -> None:
    http, response_url = slack_app.slash("/deal", "   ", user_id=MANAGER)
    assert slack_app.answer(http, response_url).body["text"] == "/deal usage"


@pytest.mark.usefixtures("people")
def test_unknown_subcommand_names_the_word_and_shows_usage(
    slack_app: RunningApp, fake_slack: FakeSlack
) -> None:
    http, response_url = slack_app.slash("/deal", "frobnicate <@U1> & more", user_id=MANAGER)
    assert http.status == 200
    answer = slack_app.answer(http, response_url)
    assert answer.body["response_type"] == "ephemeral"
    shown = markdown_of(answer)
    assert shown.startswith("Unknown subcommand `frobnicate`.")
    assert "`/deal help`" in shown


@pytest.mark.usefixtures("people")
def test_user_input_is_escaped_when_echoed(slack_app: RunningApp, fake_slack: FakeSlack) -> None:
    http, response_url = slack_app.slash("/deal", "<!channel>&`x`", user_id=MANAGER)
    shown = markdown_of(slack_app.answer(http, response_url))
    assert "Unknown subcommand `&lt;!channel&gt;&amp;'x'`." in shown
    assert "<!channel>" not in shown


@pytest.mark.usefixtures("people")
def test_malformed_arguments_say_what_was_wrong_and_show_that_usage(
    slack_app: RunningApp, fake_slack: FakeSlack
) -> None:
    http, response_url = slack_app.slash("/deal", "Register Acme acme.com lots", user_id=MANAGER)
    answer = slack_app.answer(http, response_url)
    assert answer.body["response_type"] == "ephemeral"
    shown = markdown_of(answer)
    assert shown.startswith("`lots` is not an amount")
    assert "`/deal register ACCOUNT DOMAIN AMOUNT [CURRENCY] [for PARTNER]`" in shown
    assert "`/deal approve" not in shown


@pytest.mark.usefixtures("people")
def test_text_too_long_for_its_field_is_answered_and_nothing_recorded(
    slack_app: RunningApp, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    name = "Initech " * 40  # 320 characters pasted as a customer's name
    http, response_url = slack_app.slash(
        "/deal", f"register {name} initech.de 48k", user_id=MANAGER
    )
    answer = slack_app.answer(http, response_url)
    assert answer.body["response_type"] == "ephemeral"
    assert markdown_of(answer).startswith(
        "The customer's name is 319 characters long; at most 200 fit."
    )
    http, response_url = slack_app.slash("/scorecard", "Acme " * 2000, user_id=MANAGER)
    answer = slack_app.answer(http, response_url)
    assert markdown_of(answer).startswith("I know no partner called `Acme Acme")
    assert len(markdown_of(answer)) < 400
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(DealRegistration)) == 0


# --- who is asking -------------------------------------------------------------------------


@pytest.mark.usefixtures("people")
def test_partner_contact_from_another_team_is_verified_through_users_info(
    slack_app: RunningApp, fake_slack: FakeSlack
) -> None:
    http, response_url = slack_app.slash("/deal", "help", user_id=CONTACT, team_id=PARTNER_TEAM)
    assert slack_app.answer(http, response_url).body["text"] == "/deal usage"
    assert [r.body["user"] for r in fake_slack.calls("users.info")] == [CONTACT]


@pytest.mark.usefixtures("people")
def test_unmapped_user_from_another_team_is_politely_refused_and_nothing_else(
    slack_app: RunningApp, fake_slack: FakeSlack
) -> None:
    http, response_url = slack_app.slash("/deal", "list", user_id=OUTSIDER, team_id=PARTNER_TEAM)
    answer = slack_app.answer(http, response_url)
    assert answer.body["response_type"] == "ephemeral"
    assert answer.body["text"].startswith("Sorry, I can only help people my partner team knows.")
    assert "/deal" not in markdown_of(answer)
    slack_app.stop()  # its listeners done: nothing else can follow
    answered = [answer.name] if answer.name == "response_url" else []
    assert [r.name for r in fake_slack.requests] == ["users.info", *answered]


@pytest.mark.usefixtures("people")
def test_partner_contact_whose_slack_team_is_not_the_partners_is_refused(
    slack_app: RunningApp, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user(CONTACT, "T0IMPOSTOR")  # the payload's team is not what decides
    http, response_url = slack_app.slash("/deal", "list", user_id=CONTACT, team_id=PARTNER_TEAM)
    assert slack_app.answer(http, response_url).body["text"].startswith("Sorry")


@pytest.mark.usefixtures("people")
def test_staff_row_for_a_user_of_another_team_is_refused(
    slack_app: RunningApp, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user(MANAGER, PARTNER_TEAM)
    http, response_url = slack_app.slash("/deal", "list", user_id=MANAGER)
    assert slack_app.answer(http, response_url).body["text"].startswith("Sorry")


@pytest.mark.usefixtures("people")
def test_users_info_rate_limit_is_waited_out(slack_app: RunningApp, fake_slack: FakeSlack) -> None:
    fake_slack.fail("users.info", status=429, retry_after=1)
    http, response_url = slack_app.slash("/deal", "help", user_id=CONTACT, team_id=PARTNER_TEAM)
    answer = slack_app.answer(http, response_url, timeout=5)
    assert answer.body["text"] == "/deal usage"
    assert [r.status for r in fake_slack.calls("users.info")] == [429, 200]


# --- signature checks ----------------------------------------------------------------------


def _help_body(fake: FakeSlack) -> str:
    return slash_command_body(
        "/deal", "help", user_id=MANAGER, team_id=HOME_TEAM, response_url=fake.response_url()
    )


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda body: signed(body, forge=True), id="forged signature"),
        pytest.param(lambda body: signed(body, age_seconds=6 * 60), id="timestamp 6 minutes old"),
        pytest.param(lambda body: signed(body, headers=False), id="no signature headers"),
    ],
)
def test_unsigned_requests_get_401_and_nothing_happens(
    slack_app: RunningApp, fake_slack: FakeSlack, tamper: Callable[[str], SlackRequest]
) -> None:
    http = slack_app.post_events(tamper(_help_body(fake_slack)))
    assert http.status == 401
    assert http.json() == {"error": "invalid request"}
    slack_app.assert_quiet()


def test_body_altered_after_signing_gets_401(slack_app: RunningApp, fake_slack: FakeSlack) -> None:
    request = signed(_help_body(fake_slack))
    tampered = type(request)(request.body.replace(b"text=help", b"text=approve"), request.headers)
    assert slack_app.post_events(tampered).status == 401
    slack_app.assert_quiet()


@pytest.mark.parametrize(
    "timestamp",
    [
        "not-a-number",
        "1e9",
        "-5",
        "",
        pytest.param("9" * 309, id="309 digits: too large for a float"),
        pytest.param("9" * 4300, id="4300 digits"),
    ],
)
def test_malformed_timestamp_gets_401_not_500(
    slack_app: RunningApp, fake_slack: FakeSlack, timestamp: str
) -> None:
    body = _help_body(fake_slack).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature(body, timestamp, SIGNING_SECRET),
    }
    assert slack_app.request("POST", "/slack/events", body, headers).status == 401
    slack_app.assert_quiet()


def test_unsigned_ssl_check_gets_401(slack_app: RunningApp, fake_slack: FakeSlack) -> None:
    """Bolt would answer an ``ssl_check`` without checking its signature; we do not."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    http = slack_app.request("POST", "/slack/events", b"ssl_check=1&token=x", headers)
    assert http.status == 401
    slack_app.assert_quiet()


def test_signed_ssl_check_is_answered(slack_app: RunningApp, fake_slack: FakeSlack) -> None:
    assert slack_app.post_events(signed("ssl_check=1&token=x")).status == 200
    slack_app.assert_quiet()


def test_signed_but_unreadable_payload_is_400(slack_app: RunningApp, fake_slack: FakeSlack) -> None:
    http = slack_app.post_events(signed("payload=%7Bnot+json"))
    assert http.status == 400
    slack_app.assert_quiet()


def test_other_paths_and_methods(slack_app: RunningApp) -> None:
    assert slack_app.request("GET", "/slack/events").status == 405
    assert slack_app.request("POST", "/healthz").status == 405
    assert slack_app.request("GET", "/nowhere").status == 404


# --- health --------------------------------------------------------------------------------


def test_healthz_is_ok_when_the_database_answers(slack_app: RunningApp) -> None:
    http = slack_app.request("GET", "/healthz")
    assert (http.status, http.json()) == (200, {"ok": True})
    assert http.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param("sqlite:////nonexistent-partnerbot-dir/db.sqlite3", id="sqlite"),
        pytest.param("postgresql+psycopg://postgres@127.0.0.1:1/partnerbot", id="postgresql"),
    ],
)
def test_healthz_is_503_when_the_database_is_unreachable(
    fake_slack: FakeSlack, database_url: str
) -> None:
    with running_app(fake_slack, database_url) as app:
        http = app.request("GET", "/healthz")
    assert (http.status, http.json()) == (503, {"ok": False, "error": "database"})


# --- any text ------------------------------------------------------------------------------

any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)


@pytest.mark.usefixtures("people")
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=any_text)
def test_any_deal_text_gets_200_and_an_ephemeral_answer(
    slack_app: RunningApp, fake_slack: FakeSlack, text: str
) -> None:
    http, response_url = slack_app.slash("/deal", text, user_id=MANAGER)
    assert http.status == 200, http.body
    answer = slack_app.answer(http, response_url)
    assert answer.body["response_type"] == "ephemeral"
    assert (
        answer.body["text"]
        != "Sorry, something went wrong on my side. Please try again in a minute."
    )
    assert 0 < len(answer.body["blocks"]) <= 50
    assert all(
        len(block.get("text", {}).get("text", "")) <= 3000 for block in answer.body["blocks"]
    )


@pytest.mark.usefixtures("people")
def test_unknown_member_of_our_workspace_gets_help(
    slack_app: RunningApp, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0NEWHIRE", HOME_TEAM)
    http, response_url = slack_app.slash("/deal", "help", user_id="U0NEWHIRE")
    assert slack_app.answer(http, response_url).body["text"] == "/deal usage"


@pytest.mark.usefixtures("people")
def test_when_slack_cannot_say_who_it_is_the_answer_is_a_refusal(
    slack_app: RunningApp, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("users.info", status=500, retry_after=None)
    http, response_url = slack_app.slash("/deal", "list", user_id=CONTACT, team_id=PARTNER_TEAM)
    assert slack_app.answer(http, response_url).body["text"].startswith("Sorry")
    assert [r.status for r in fake_slack.calls("users.info")] == [500]
