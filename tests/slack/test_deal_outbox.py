"""What /deal posts besides its answers — approval and conflict cards, partners' notices, the
cards' updates after a decision — goes through the outbox: with Slack failing, nothing is lost
or doubled, and all of it arrives once Slack recovers (issue 17)."""

from collections import Counter
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from messages import deal_messages
from messages.outbox import utcnow
from models import DealRegistration, DealStatus, OutboxStatus
from tests.jobs.deliveries import FAST, deliver_all, outbox
from tests.slack.deal_steps import card_buttons, click, decoded, register_inline, shown
from tests.slack.fake_slack import FakeSlack, Recorded
from tests.slack.running_app import RunningApp
from tests.slack.two_partners import (
    A_CHANNEL,
    A_CONTACT,
    A_TEAM,
    B_CHANNEL,
    B_CONTACT,
    B_TEAM,
    MANAGER,
    add_two_partners,
)
from tests.waiting import wait_until

OUTBOX_CALLS = ("chat.postMessage", "chat.update", "conversations.history")
"""What delivery calls; ``users.info`` stays up, so every request is answered."""
DECIDED = {DealStatus.APPROVED, DealStatus.REJECTED}


def test_with_slack_failing_every_card_notice_and_update_arrives_once(
    slack_app: RunningApp,
    fake_slack: FakeSlack,
    session_factory: sessionmaker[Session],
    engine: Engine,
    client: WebClient,
) -> None:
    """200 registrations and decisions over signed requests (60 on PostgreSQL, slower per
    request) while 30 % of Slack's answers are 429s or 500s (half of those after posting)."""
    requests = 200 if engine.dialect.name == "sqlite" else 60
    partners = add_two_partners(session_factory, fake_slack)
    fake_slack.flaky(0.3, seed=17, names=OUTBOX_CALLS)
    companies = requests * 2 // 5  # every third is claimed by both partners: a conflict
    for number in range(companies):
        name = f"Company{number:03d} company{number:03d}.com 1000"
        assert "you will hear here" in register_inline(slack_app, name, A_CONTACT, A_TEAM)
        if number % 3 == 0:
            assert "will review" in register_inline(slack_app, name, B_CONTACT, B_TEAM)
    for number in range(requests - companies - (companies + 2) // 3):
        deal_id, status = _undecided(session_factory)[0]
        card = _posted_card(fake_slack, deal_id)  # a conflict's may be stale: then not decided
        if card is not None and number % 2 and status is DealStatus.PENDING:
            click(slack_app, fake_slack, card, _button(card, deal_id), deal_id, MANAGER)
            decided = lambda d=deal_id: d not in dict(_undecided(session_factory))  # noqa: E731
            wait_until(decided, f"{deal_id} decided", interval=0.01)  # the card update answers
        else:
            decision = f"approve {deal_id}" if number % 4 else f"reject {deal_id} budget moved"
            answer = slack_app.answer(*slack_app.slash("/deal", decision, user_id=MANAGER))
            assert deal_id in shown(answer)

    fake_slack.flaky(0.0, seed=0)  # Slack recovers; the worker's next runs deliver the rest
    shift = timedelta(hours=1)  # the worker runs later: past every back-off
    deliver_all(session_factory, client, now=lambda: utcnow() + shift, **FAST)

    queued = outbox(session_factory).values()
    assert [m.key for m in queued if m.status is not OutboxStatus.SENT] == []
    messages = fake_slack.all_messages()
    keys = Counter(m["metadata"]["event_payload"]["key"] for m in messages if "metadata" in m)
    assert [key for key, count in keys.items() if count != 1] == []  # none doubled
    channels = {partners.a: A_CHANNEL, partners.b: B_CHANNEL}
    deals = _deals(session_factory)
    assert len(deals) == companies + (companies + 2) // 3
    for deal_id, (status, partner) in deals.items():
        told = [_text(m) for m in messages if m["channel"] == channels[partner]]
        registered = [t for t in told if f"registered *{deal_id}*" in t or _in_conflict(t, deal_id)]
        assert len(registered) == 1, deal_id
        decided = [t for t in told if _decided(t, deal_id)]
        assert len(decided) == (status in DECIDED), deal_id
    for deal_id, (status, _) in deals.items():
        own = (f"deal:{deal_id}:card:", f"deal:{deal_id}:conflict_card:")
        assert any(key.startswith(own) for key in keys), deal_id  # its card, to each route
        if status in DECIDED:  # every copy of every card showing it was updated
            assert not any(_button(m, deal_id) for m in messages), deal_id


def test_a_card_decided_before_slack_took_it_is_posted_then_updated(
    slack_app: RunningApp,
    fake_slack: FakeSlack,
    session_factory: sessionmaker[Session],
    client: WebClient,
) -> None:
    """The update of a card still queued waits for the card (it has no ts to update yet), and
    the partner hears of the approval meanwhile."""
    add_two_partners(session_factory, fake_slack)
    fake_slack.fail("chat.postMessage", status=500, retry_after=None, times=2)  # card, notice
    assert "you will hear here" in register_inline(
        slack_app, "Initech initech.com 1000", A_CONTACT, A_TEAM
    )
    answer = slack_app.answer(*slack_app.slash("/deal", "approve R-000001", user_id=MANAGER))
    assert "approved" in shown(answer)
    assert fake_slack.messages.keys() == {A_CHANNEL}  # the approval's notice only
    assert fake_slack.calls("chat.update") == []

    shift = timedelta(hours=1)  # the worker runs later: past every back-off
    deliver_all(session_factory, client, now=lambda: utcnow() + shift, **FAST)
    [card] = [m for m in fake_slack.all_messages() if m["channel"] not in {A_CHANNEL}]
    [update] = fake_slack.calls("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (card["channel"], card["ts"])
    assert "approved by" in _text(card)
    assert _button(card, "R-000001") is None
    assert len([m for m in fake_slack.messages[A_CHANNEL] if "R-000001" in _text(m)]) == 2


def _in_conflict(text: str, deal_id: str) -> bool:
    return f"{deal_id}*" in text and "is recorded, but" in text


def _decided(text: str, deal_id: str) -> bool:
    return f"*{deal_id}* ·" in text and ("is approved:" in text or "was not approved" in text)


def _undecided(session_factory: sessionmaker[Session]) -> list[tuple[str, DealStatus]]:
    with session_factory() as session:
        rows = session.execute(
            select(DealRegistration.external_id, DealRegistration.status)
            .where(DealRegistration.status.in_([DealStatus.PENDING, DealStatus.CONFLICT]))
            .order_by(DealRegistration.id)
        )
        return [(row.external_id, row.status) for row in rows]


def _deals(session_factory: sessionmaker[Session]) -> dict[str, tuple[DealStatus, int]]:
    """Each registration's status and partner."""
    with session_factory() as session:
        rows = session.execute(
            select(
                DealRegistration.external_id, DealRegistration.status, DealRegistration.partner_id
            )
        ).all()
    return {row.external_id: (row.status, row.partner_id) for row in rows}


def _posted_card(fake: FakeSlack, deal_id: str) -> Recorded | None:
    """A card in Slack now with a button for ``deal_id``, if there is one."""
    for message in fake.all_messages():
        if _button(message, deal_id):
            return _recorded(message)
    return None


def _button(card: Recorded | dict[str, Any], deal_id: str) -> str | None:
    """The action id of the card's approve (or award) button for ``deal_id``, if it has one."""
    blocks = decoded((card.body if isinstance(card, Recorded) else card).get("blocks"))
    wanted = {deal_messages.APPROVE, deal_messages.AWARD}
    for button in card_buttons(blocks):
        if button["action_id"] in wanted and button["value"].split(" ")[0] == deal_id:
            return str(button["action_id"])
    return None


def _recorded(message: dict[str, Any]) -> Recorded:
    """A message in Slack as if its post were being recorded: what the steps read."""
    return Recorded("chat.postMessage", "POST", "", {}, message, b"", 200)


def _text(message: dict[str, Any]) -> str:
    return shown(_recorded(message))
