"""Nothing of partner B reaches partner A. Partner B is given distinctive strings (its name, its
contact's name, account names only it typed, its registration ids, amounts like 987,654.32);
partner A's contact then goes through every door a partner has — ``/deal`` and ``/scorecard``
over signed HTTP, the modal, the card's buttons — while a manager decides, and the worker
queues and delivers the QBR and the registration reminders. Everything the fake Slack received
for A's contact or A's channel is searched for B's strings and for the program's total revenue.

New kinds join by construction: every message A received must have been rendered by a kind of
the registry (``messages.partner_visible.KINDS``), and every registered kind must be rendered
here, through the app or, for those no scenario reaches, directly for A (``UNREACHED``)."""

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from slack_sdk import WebClient
from slack_sdk.models.views import View
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import bot.commands.deal
import bot.commands.scorecard  # noqa: F401
from config.program import PROGRAM_WIDE
from insights.digests import last_complete
from insights.metric_display import KEY_METRICS, money
from insights.scorecard_store import compute_and_store
from jobs.digests import qbr_digest_job
from jobs.registrations import daily_registrations
from messages import deal_messages, scorecard_messages
from messages.blocks import (
    Message,
    database_unreachable,
    fit,
    something_went_wrong,
    stranger_refusal,
)
from messages.delivery import Pacer, deliver_pending
from messages.digests import no_review
from messages.malformed import out_of_date, unreadable_text
from messages.partner_visible import KINDS, watching
from models import DealRegistration, DealStatus
from tests.programs import EXAMPLE_PROGRAM as PROGRAM
from tests.seeding import add_deal
from tests.slack.fake_slack import HOME_TEAM, FakeSlack, Recorded
from tests.slack.payloads import block_actions
from tests.slack.running_app import RunningApp
from tests.slack.two_partners import (
    A_CHANNEL,
    A_CONTACT,
    A_TEAM,
    B_CHANNEL,
    B_CONTACT,
    B_CONTACT_NAME,
    B_NAME,
    B_TEAM,
    MANAGER,
    TwoPartners,
    add_two_partners,
)

B_ONLY = ("Zorblax", "zorblax", "ZORBLAX", "Quantumworks", "Megacorp", "Worldwide", "987,654")
"""What only partner B typed or is called, beside its contact's name and its ids."""

UNREACHED: dict[str, Callable[[], object]] = {
    "blocks.something_went_wrong": something_went_wrong,
    "blocks.database_unreachable": database_unreachable,
    "blocks.stranger_refusal": stranger_refusal,
    "scorecard_messages.no_scorecard": lambda: scorecard_messages.no_scorecard("Acme Resellers"),
    "scorecard_messages.slow_down": lambda: scorecard_messages.slow_down(30),
    "deal_messages.form_failed": deal_messages.form_failed,
    "malformed.unreadable_text": unreadable_text,
    "malformed.out_of_date": out_of_date,
    "digests.no_review": lambda: no_review(last_complete("quarter", PROGRAM.today())),
}
"""Kinds no step of the scenario reaches (a crash, a stranger, no scorecard, twenty cards a
minute, Slack refusing the modal, text no database stores, a forged value), rendered directly;
they take nothing from the database."""


def seed_history(session_factory: sessionmaker[Session], ids: TwoPartners) -> int:
    """A year of won deals for both partners, so both are scored; the program's total."""
    total = 0
    now = datetime.now(UTC)
    with session_factory.begin() as session:
        for partner, amount, prefix in ((ids.a, 30_000, "A-HIST"), (ids.b, 876_543, "ZBX-HIST")):
            for month in range(1, 12):
                registered = now - timedelta(days=30 * month + 20)
                closed = (registered + timedelta(days=15)).date().isoformat()
                key = f"{prefix}-{month}"
                add_deal(session, partner, key, amount, DealStatus.WON, registered, closed)
                total += amount
    return total


def expire_soon(session_factory: sessionmaker[Session], deal_id: str) -> None:
    """Make A's approved registration end in three days: the reminder's day."""
    with session_factory.begin() as session:
        deal = session.scalars(
            select(DealRegistration).where(DealRegistration.external_id == deal_id)
        ).one()
        deal.expires_at = PROGRAM.today() + timedelta(days=3)


class Scenario:
    """Partner A's contact at the app's doors, keeping what A received."""

    def __init__(self, app: RunningApp, fake: FakeSlack) -> None:
        self.app, self.fake = app, fake
        self.answers: list[Recorded] = []
        self.urls: set[str] = set()

    def slash(self, command: str, text: str, user: str = A_CONTACT, team: str = A_TEAM) -> str:
        http, url = self.app.slash(command, text, user_id=user, team_id=team)
        answer = self.app.answer(http, url, timeout=20)
        if user == A_CONTACT:
            self.answers.append(answer)
        return answer.body.get("text", "")

    def click(self, action_id: str, value: str) -> str:
        url = self.fake.response_url()
        self.urls.add(url)
        self.app.interact(
            block_actions(
                user_id=A_CONTACT,
                team_id=A_TEAM,
                action_id=action_id,
                value=value,
                channel_id=A_CHANNEL,
                message_ts="1.2",
                response_url=url,
            )
        )
        return self.fake.wait_for_response(url, timeout=20).body.get("text", "")

    def received(self) -> list[Recorded]:
        """Everything Slack was asked to show A's contact or A's channel."""
        to_a = [
            r
            for r in self.fake.requests
            if r.path in {urlsplit(url).path for url in self.urls}
            or (r.name == "chat.postEphemeral" and r.body.get("user") == A_CONTACT)
            or (r.name == "chat.postMessage" and r.body.get("channel") in (A_CHANNEL, A_CONTACT))
            or r.name == "views.open"  # only A's contact opens a modal here
        ]
        return self.answers + to_a


def deal_id(answer: str) -> str:
    """The registration id an answer names."""
    found = re.search(r"R-\d{6}", answer)
    assert found, answer
    return found.group()


def shown(request: Recorded) -> str:
    """What a reader sees of a request: its text, blocks and modal (not, say, the ``team_id``
    Bolt adds to the calls a listener makes: the team of whoever caused them)."""
    body = request.body
    return json.dumps([body.get(k) for k in ("text", "blocks", "view")], ensure_ascii=False)


def rendered_texts(output: object) -> set[str]:
    """The notification texts (or modal callback ids) a rendering is posted with."""
    if isinstance(output, Message):
        return {part.text for part in fit(output)}
    if isinstance(output, list):
        return {text for item in output for text in rendered_texts(item)}
    if isinstance(output, View):
        return {output.callback_id or ""}
    return set()


@pytest.mark.parametrize("kinds", [len(KINDS)], ids=lambda n: f"{n}-partner-visible-kinds")
def test_nothing_of_another_partner_reaches_a_partner(
    kinds: int,
    slack_app: RunningApp,
    fake_slack: FakeSlack,
    session_factory: sessionmaker[Session],
    client: WebClient,
) -> None:
    ids = add_two_partners(session_factory, fake_slack)
    program_total = seed_history(session_factory, ids)
    quarter = last_complete("quarter", PROGRAM.today())
    with session_factory.begin() as session:
        for as_of in (quarter.end + timedelta(days=1), PROGRAM.today()):
            compute_and_store(session, PROGRAM, as_of)
    a = Scenario(slack_app, fake_slack)
    b_first = a.slash(
        "/deal", "register Zorblax Megacorp Holdings megaco.io 987654.32 for zorblax", MANAGER
    )

    rendered: dict[str, set[str]] = {}

    def keep(kind: str, output: object) -> None:
        rendered.setdefault(kind, set()).update(rendered_texts(output))

    with watching(keep):
        a.slash("/deal", "help")
        a.slash("/deal", "frobnicate")
        slack_app.slash("/deal", "register", user_id=A_CONTACT, team_id=A_TEAM)
        fake_slack.wait_for(lambda r: r.name == "views.open")
        contested = a.slash("/deal", "register MC Holdings megaco.io 5k")
        assert "already registered" in contested
        gadget = deal_id(a.slash("/deal", "register Gadget Co gadget.io 12k"))
        assert "already registered by the same partner" in a.slash(
            "/deal", "register Gadget Co gadget.io 12k"
        )
        assert "Not registered" in a.slash("/deal", "register Gizmo gizmo.io 5k CHF")
        a.slash("/deal", "register Widget World widget.io 3k")  # before B's
        a.slash("/deal", "register Widget Worldwide Zorblax widget.io 987654.32", B_CONTACT, B_TEAM)
        a.slash("/deal", f"status {deal_id(contested)}")
        b_id = deal_id(b_first)  # as A's contact might type it: the words of "no such one"
        assert a.slash("/deal", f"status {b_id}") == a.slash("/deal", "status R-999999").replace(
            "R-999999", b_id
        )
        del a.answers[-2:]
        a.slash("/deal", "list")
        a.slash("/deal", "list zorblax")
        a.slash("/deal", f"approve {gadget}")
        a.slash("/deal", f"approve {gadget}", MANAGER, HOME_TEAM)
        a.slash("/deal", f"extend {gadget} 30", MANAGER, HOME_TEAM)
        a.slash("/scorecard", "")
        a.slash("/scorecard", "help")
        a.slash("/scorecard", "zorblax")
        a.slash("/scorecard", "top 99")
        a.slash("/digest", "")
        a.slash("/digest", "help")
        a.slash("/digest", "qbr zorblax")
        a.slash("/digest", "weekly")
        a.click(scorecard_messages.DEALS, str(ids.a))
        a.click(scorecard_messages.QBR, str(ids.a))
        expire_soon(session_factory, gadget)
        now = datetime.now(UTC)
        qbr_digest_job(session_factory, PROGRAM, now)
        daily_registrations(session_factory, PROGRAM, now)
        deliver_pending(session_factory, client, pacer=Pacer(0.0))
        fake_slack.wait_for(
            lambda r: r.name == "chat.postMessage" and r.body.get("channel") == A_CHANNEL, count=8
        )
        for kind, render in UNREACHED.items():
            keep(kind, render())

    received = a.received()
    assert received
    with session_factory() as session:
        b_ids = session.scalars(
            select(DealRegistration.external_id).where(DealRegistration.partner_id == ids.b)
        ).all()
    forbidden = (
        *B_ONLY,
        B_NAME,
        B_CONTACT_NAME,
        B_CONTACT,
        B_CHANNEL,
        *b_ids,
        money(program_total, ""),
        money(Decimal(876_543), ""),
        *(shown.label for shown in KEY_METRICS if shown.key in PROGRAM_WIDE),  # a share, ROI
    )
    allowed_texts = {text for texts in rendered.values() for text in texts}
    for request in received:
        seen = shown(request)
        leaked = [s for s in forbidden if s in seen]
        assert not leaked, f"{request.name} to partner A shows {leaked}: {seen}"
        text = request.body.get("text") or decoded_view(request).get("callback_id")
        assert text in allowed_texts, f"not rendered by a partner-visible kind: {seen[:300]}"

    assert sorted(rendered) == sorted(KINDS), "registered kinds not rendered for partner A"
    print(f"{kinds} partner-visible kinds checked in {len(received)} messages to partner A")


def decoded_view(request: Recorded) -> dict[str, Any]:
    view = request.body.get("view")
    return json.loads(view) if isinstance(view, str) else view or {}
