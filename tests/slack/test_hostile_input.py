"""Hostile input over signed HTTP: text no database stores (NUL, half a surrogate pair),
numbers too long to read, forged button values, forged form values, modals without a state or
with unreadable metadata. Each request gets a clear answer or a 400, never a 500, never a
traceback in the log, and changes nothing in the database (``request_counts``, the replay
memory, aside). The suite's counts are printed at the end of the module."""

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from insights.scorecard_store import compute_and_store
from messages import alert_messages, deal_messages, deal_modals, scorecard_messages, tier_messages
from models import Base, DealStatus
from tests.programs import EXAMPLE_PROGRAM
from tests.seeding import add_deal
from tests.slack.deal_steps import COMMAND_CHANNEL, registration_fields, shown
from tests.slack.fake_slack import HOME_TEAM, FakeSlack
from tests.slack.payloads import (
    block_actions,
    block_suggestion,
    metadata,
    multi_value,
    select_value,
    text_value,
    view_submission,
)
from tests.slack.running_app import HttpAnswer, RunningApp
from tests.slack.two_partners import (
    A_CONTACT,
    A_TEAM,
    DESK,
    MANAGER,
    TwoPartners,
    add_two_partners,
)

DEAL = "R-000001"
UNSTORABLE = ["\x00", "\ud800"]
"""Characters Slack never sends and no database stores."""
FORGED = [*UNSTORABLE, "²", "9" * 40, "9" * 5000, ":", "x", "-"]
"""Pieces that make any value the bot rendered into one it did not."""
SOMETHING_WENT_WRONG = "something went wrong"
tally: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def counts(pytestconfig: pytest.Config) -> Iterator[None]:
    """Print what the suite sent and what came back, once the module is done."""
    yield
    line = "hostile input: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.items()))
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    if capture is None:  # -p no:capture
        print(f"\n{line}")
        return
    with capture.global_and_fixture_disabled():
        print(f"\n{line}")


@pytest.fixture
def world(session_factory: sessionmaker[Session], fake_slack: FakeSlack) -> TwoPartners:
    """Two partners, a registration of A waiting at the deal desk, and the program scored (so
    no request computes scorecards for the first time)."""
    ids = add_two_partners(session_factory, fake_slack)
    with session_factory.begin() as session:
        add_deal(session, ids.a, DEAL, 48_000, DealStatus.PENDING, datetime.now(UTC))
        compute_and_store(session, EXAMPLE_PROGRAM, datetime.now(UTC).date() - timedelta(days=1))
    return ids


def snapshot(session_factory: sessionmaker[Session]) -> dict[str, list[str]]:
    """Every row of every table but the request counts, as text."""
    with session_factory() as session:
        return {
            table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)))
            for table in Base.metadata.sorted_tables
            if table.name != "request_counts"
        }


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]


Door = Callable[..., tuple[HttpAnswer, Callable[[], str]]]
"""Sends a request through one of Slack's doors: its HTTP answer, and what its sender is told."""


def check(
    app: RunningApp,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
    door: Door,
    *args: Any,
) -> str:
    """Send one hostile request (``door(app, *args)``) and return what its sender was told
    ("400" for a 400), after checking that it was no 500, logged no traceback and changed no
    row."""
    before = snapshot(session_factory)
    app.fake.clear()
    caplog.clear()
    http, answer = door(app, *args)
    tally["requests"] += 1
    tally[f"HTTP {http.status}"] += 1
    assert http.status in (200, 400), http.body
    told = answer() if http.status == 200 else "400"
    assert SOMETHING_WENT_WRONG not in told.lower()
    assert told.strip()
    logged = tracebacks(caplog)
    tally["tracebacks"] += len(logged)
    assert logged == []
    after = snapshot(session_factory)
    changed = {name for name in before if before[name] != after[name]}
    tally["tables changed"] += len(changed)
    assert changed == set()
    return told


# --- doors --------------------------------------------------------------------------------


def command(
    app: RunningApp, name: str, text: str, user: str, team: str
) -> tuple[HttpAnswer, Callable[[], str]]:
    http, url = app.slash(name, text, user_id=user, team_id=team)
    return http, lambda: shown(app.answer(http, url))


def click(
    app: RunningApp, action_id: str, value: str, user: str, team: str
) -> tuple[HttpAnswer, Callable[[], str]]:
    url = app.fake.response_url()
    payload = block_actions(
        user_id=user,
        team_id=team,
        action_id=action_id,
        value=value,
        channel_id=DESK,
        message_ts="1700000000.000200",
        response_url=url,
    )
    http = app.interact(payload)
    return http, lambda: shown(app.fake.wait_for_response(url))


def submit(
    app: RunningApp, callback_id: str, view: dict[str, Any], user: str, team: str
) -> tuple[HttpAnswer, Callable[[], str]]:
    """A modal submission whose ``view`` fields replace those of a well-formed one (``...``
    leaves one out)."""
    payload = view_submission(user_id=user, team_id=team, callback_id=callback_id, fields={})
    payload["view"] = {k: v for k, v in {**payload["view"], **view}.items() if v is not ...}
    http = app.interact(payload)

    def answer() -> str:
        if http.body:
            return json.dumps(http.json()["errors"])
        return shown(app.fake.wait_for(lambda r: r.name == "chat.postEphemeral")[0])

    return http, answer


def register_view(fields: dict[str, dict[str, Any]], meta: str | None = None) -> dict[str, Any]:
    return {
        "state": {"values": {name: {name: state} for name, state in fields.items()}},
        "private_metadata": metadata(channel=COMMAND_CHANNEL) if meta is None else meta,
    }


# --- the cases of issue 17 ------------------------------------------------------------------


def test_the_reported_cases_get_clear_answers_and_change_nothing(
    slack_app: RunningApp,
    world: TwoPartners,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def told(door: Door, *args: Any) -> str:
        return check(slack_app, session_factory, caplog, door, *args)

    staff, contact = (MANAGER, HOME_TEAM), (A_CONTACT, A_TEAM)
    cannot_read = "character I cannot read"
    assert cannot_read in told(command, "/scorecard", "a\x00b", *staff)
    assert cannot_read in told(command, "/deal", "list a\x00b", *contact)
    assert cannot_read in told(command, "/deal", "reject R-1 no\x00pe", *staff)
    assert "Show 1 to 25" in told(command, "/scorecard", "top " + "9" * 5000, *staff)

    def form(meta: str | None = None, **extra: Any) -> str:
        fields = registration_fields("Initech", "initech.com", "1000", **extra)
        return told(submit, deal_modals.REGISTER_VIEW, register_view(fields, meta), *staff)

    out_of_date = "out of date or was changed"
    assert "Pick the partner" in form(partner=int("9" * 40))
    assert "Pick the partner" in form(**{deal_modals.PARTNER: select_value("²")})
    assert out_of_date in form(partner=999999)
    influencers = multi_value([str(world.b), "999999"])
    assert out_of_date in form(partner=world.a, **{deal_modals.INFLUENCERS: influencers})
    influencers = multi_value(["9" * 40])
    assert "Pick the partners again" in form(
        partner=world.a, **{deal_modals.INFLUENCERS: influencers}
    )
    assert cannot_read in form(notes=text_value("a\x00b"))
    assert form(meta='{"channel": "C\x00"}') == "400"  # NUL outside a field: not from Slack
    assert out_of_date in form(meta="{not json")
    assert out_of_date in form(meta="[1, 2]")
    for state in (..., "x", {"values": []}, {"values": {"account_name": "x"}}):
        blank = told(submit, deal_modals.REGISTER_VIEW, {"state": state}, *staff)
        assert "Give the customer's name" in blank

    reason = {"state": {"values": {"reason": {"reason": text_value("Duplicate of a CRM deal")}}}}
    for meta in ("{nope", metadata(deal="R-1\x01"), json.dumps({"deal": 42}), ""):
        view = {**reason, "private_metadata": meta}
        assert out_of_date in told(submit, deal_modals.REJECT_VIEW, view, *staff)

    unicorn = f"{world.a}:gold:diamond-unicorn"
    assert out_of_date in told(click, tier_messages.APPROVE, unicorn, *staff)
    for value in ("9" * 40, "abc", "", "²"):
        assert out_of_date in told(click, alert_messages.ACKNOWLEDGE, value, *staff)
        assert out_of_date in told(click, scorecard_messages.DEALS, value, *staff)
    assert told(click, deal_messages.APPROVE, f"{DEAL}\x00 x", *staff) == "400"
    assert out_of_date in told(click, deal_messages.APPROVE, "9" * 5000, *staff)

    options = slack_app.interact(
        block_suggestion(user_id=MANAGER, team_id=HOME_TEAM, action_id="partner", value="a\x00")
    )
    assert (options.status, options.json()) == (200, {"options": []})


# --- fuzzed -----------------------------------------------------------------------------------


def mutated(value: str, *, within: int | None = None) -> st.SearchStrategy[str]:
    """``value`` with a :data:`FORGED` piece put in somewhere (in its first ``within``
    characters): a value the bot never rendered."""
    end = len(value) if within is None else within
    return st.builds(
        lambda at, piece: value[:at] + piece + value[at:],
        st.integers(0, end),
        st.sampled_from(FORGED),
    )


def unstorable_text(most: int = 30) -> st.SearchStrategy[str]:
    """Any text with a NUL in it (a slash command's form body cannot carry the other
    unstorable character: it is not UTF-8)."""
    half = st.text(max_size=most // 2)
    return st.builds("{}\x00{}".format, half, half)


def hostile_cases(world: TwoPartners) -> st.SearchStrategy[tuple[Door, tuple[Any, ...]]]:
    users = st.sampled_from([(MANAGER, HOME_TEAM), (A_CONTACT, A_TEAM)])
    commands = st.builds(
        lambda name, prefix, text, user: (command, (name, prefix + text, *user)),
        st.sampled_from(["/deal", "/scorecard"]),
        st.sampled_from(["", "list ", "register ", "status ", "top ", f"reject {DEAL} "]),
        unstorable_text(),
        users,
    )
    values = {
        deal_messages.APPROVE: mutated(f"{DEAL} 0123abcd", within=len(DEAL)),
        deal_messages.REJECT: mutated(f"{DEAL} 0123abcd", within=len(DEAL)),
        tier_messages.APPROVE: mutated(f"{world.a}:gold:platinum"),
        tier_messages.DECLINE: mutated(f"{world.a}:gold:platinum"),
        alert_messages.ACKNOWLEDGE: mutated("1"),
        alert_messages.SNOOZE: mutated("1"),
        scorecard_messages.DEALS: mutated(str(world.a)),
        scorecard_messages.QBR: mutated(str(world.a)),
    }
    clicks = st.sampled_from(sorted(values)).flatmap(
        lambda action_id: st.builds(
            lambda value, user: (click, (action_id, value, *user)), values[action_id], users
        )
    )

    def registration(
        field: tuple[str, dict[str, Any]] | None = None, meta: str | None = None
    ) -> tuple[Door, tuple[Any, ...]]:
        """A staff member's registration for partner A, one field or the metadata forged."""
        fields = registration_fields("Initech", "initech.com", "1000", partner=world.a)
        view = register_view(fields | dict([field]) if field else fields, meta)
        return submit, (deal_modals.REGISTER_VIEW, view, MANAGER, HOME_TEAM)

    fields = st.one_of(
        mutated(str(world.a)).map(lambda v: (deal_modals.PARTNER, select_value(v))),
        unstorable_text().map(lambda t: (deal_modals.NOTES, text_value(t))),
    )
    unreadable_metadata = st.one_of(
        st.text(min_size=1, max_size=20).filter(lambda t: not t.strip().startswith("{")),
        mutated(metadata(channel=COMMAND_CHANNEL), within=1),
    )
    forms = fields.map(registration)
    metadata_forms = unreadable_metadata.map(lambda meta: registration(meta=meta))
    return st.one_of(commands, clicks, forms, metadata_forms)


def test_fuzzed_hostile_input_gets_clear_answers_and_changes_nothing(
    slack_app: RunningApp,
    world: TwoPartners,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(case=hostile_cases(world))
    def hostile(case: tuple[Door, tuple[Any, ...]]) -> None:
        door, args = case
        check(slack_app, session_factory, caplog, door, *args)

    hostile()
