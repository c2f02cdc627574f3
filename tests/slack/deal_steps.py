"""Steps of the /deal flow in tests: register inline or through the modal, and read what Slack
was sent."""

import json
from typing import Any

from messages import deal_modals
from tests.slack.fake_slack import HOME_TEAM, FakeSlack, Recorded, direct_message
from tests.slack.payloads import (
    block_actions,
    metadata,
    select_value,
    text_value,
    view_submission,
)
from tests.slack.running_app import RunningApp

COMMAND_CHANNEL = "C0GENERAL"
"""Where the slash commands of these tests are typed."""


def decoded(value: Any) -> Any:
    """A JSON field as slack-sdk sent it: nested in a JSON body, or a string in a form body."""
    return json.loads(value) if isinstance(value, str) else value or []


def shown(message: Recorded) -> str:
    """Everything a reader sees in a message: texts of sections, contexts and buttons."""

    def texts(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["text"]] if isinstance(node.get("text"), str) else []
            return found + [t for value in node.values() for t in texts(value)]
        if isinstance(node, list):
            return [t for item in node for t in texts(item)]
        return []

    return "\n".join([message.body.get("text", ""), *texts(decoded(message.body.get("blocks")))])


def posted_to(fake: FakeSlack, channel: str, *, count: int = 1) -> list[Recorded]:
    """Messages posted to ``channel``; for a user, to the bot's direct messages with them
    (the outbox opens the conversation, to be able to look for a post in its history)."""
    where = {direct_message(channel) if channel[:1] in "UW" else channel}
    return fake.wait_for(
        lambda r: r.name == "chat.postMessage" and r.body.get("channel") in where, count=count
    )


def registration_fields(
    account: str, domain: str, amount: str, *, partner: int | None = None, **extra: Any
) -> dict[str, dict[str, Any]]:
    fields = {
        deal_modals.ACCOUNT_NAME: text_value(account),
        deal_modals.ACCOUNT_DOMAIN: text_value(domain),
        deal_modals.AMOUNT: text_value(amount),
        deal_modals.CURRENCY: select_value("USD"),
        deal_modals.EXPECTED_CLOSE: {"type": "datepicker", "selected_date": None},
        deal_modals.PRODUCT: text_value(""),
        deal_modals.NOTES: text_value(""),
    }
    if partner is not None:
        fields[deal_modals.PARTNER] = select_value(str(partner))
    return fields | extra


def submit_registration(
    app: RunningApp, user_id: str, team_id: str, fields: dict[str, dict[str, Any]]
) -> Any:
    return app.interact(
        view_submission(
            user_id=user_id,
            team_id=team_id,
            callback_id=deal_modals.REGISTER_VIEW,
            fields=fields,
            private_metadata=metadata(channel=COMMAND_CHANNEL),
        )
    )


def register_inline(app: RunningApp, text: str, user: str, team: str) -> str:
    """``/deal register …`` and the ephemeral answer's text."""
    http, url = app.slash("/deal", f"register {text}", user_id=user, team_id=team)
    return shown(app.answer(http, url))


def card_buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The buttons of a card: in actions blocks and as sections' accessories."""
    elements = [e for b in blocks for e in [*b.get("elements", []), b.get("accessory") or {}]]
    return [e for e in elements if e.get("type") == "button"]


def click(
    app: RunningApp, fake: FakeSlack, card: Recorded, action_id: str, deal_id: str, user: str
) -> str:
    """Click the button ``action_id`` of registration ``deal_id`` on a card the bot posted, as
    Slack sends it (the button's value, the message's channel and ts); returns the
    response_url of the click."""
    blocks = decoded(card.body["blocks"])
    channel = card.body["channel"]
    key = _outbox_key(decoded(card.body.get("metadata")))
    [ts, *_] = [
        m["ts"]
        for m in fake.messages[channel]
        if decoded(m.get("blocks")) == blocks or (key and _outbox_key(m.get("metadata")) == key)
    ]
    [value] = [
        b["value"]
        for b in card_buttons(blocks)
        if b["action_id"] == action_id and b["value"].split(" ")[0] == deal_id
    ]
    url = fake.response_url()
    answer = app.interact(
        block_actions(
            user_id=user,
            team_id=HOME_TEAM,
            action_id=action_id,
            value=value,
            channel_id=channel,
            message_ts=ts,
            response_url=url,
        )
    )
    assert answer.status == 200
    return url


def _outbox_key(metadata: Any) -> str | None:
    """The outbox key a message was posted with: it finds the message once it was updated."""
    return ((metadata or {}).get("event_payload") or {}).get("key")
