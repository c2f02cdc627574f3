"""Interactivity payloads shaped as Slack sends them (``payload=`` JSON in a form body):
``view_submission`` for modals, ``block_actions`` for buttons, ``block_suggestion`` for the
options of an external select. Only the fields Slack always sends and the app reads are
filled, with Slack's names and nesting."""

import json
from typing import Any

from tests.slack.fake_slack import HOME_TEAM
from tests.slack.signing import fresh_trigger_id

APP_ID = "A0PARTNERBOT"


def _user(user_id: str, team_id: str) -> dict[str, str]:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}


def text_value(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def select_value(value: str, label: str | None = None) -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": label or value}, "value": value}
    return {"type": "static_select", "selected_option": option}


def date_value(value: str) -> dict[str, Any]:
    return {"type": "datepicker", "selected_date": value}


def multi_value(values: list[str]) -> dict[str, Any]:
    options = [{"text": {"type": "plain_text", "text": v}, "value": v} for v in values]
    return {"type": "multi_external_select", "selected_options": options}


def view_submission(
    *,
    user_id: str,
    team_id: str,
    callback_id: str,
    fields: dict[str, dict[str, Any]],
    private_metadata: str = "",
) -> dict[str, Any]:
    """``fields``: block id → element state (the app uses the same word for the action id)."""
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "partner"},
        "user": _user(user_id, team_id),
        "api_app_id": APP_ID,
        "token": "deprecated-verification-token",
        "trigger_id": fresh_trigger_id(),
        "view": {
            "id": "V0MODAL",
            "team_id": HOME_TEAM,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": {name: {name: state} for name, state in fields.items()}},
            "hash": "1.abc",
            "app_id": APP_ID,
            "bot_id": "B0PARTNERBOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
    }


def block_actions(
    *,
    user_id: str,
    team_id: str,
    action_id: str,
    value: str,
    channel_id: str,
    message_ts: str,
    response_url: str,
    block_id: str = "decide",
    message_blocks: list[dict[str, Any]] | None = None,
    message_text: str = "card",
) -> dict[str, Any]:
    """A button click on a message the bot posted at ``channel_id``/``message_ts`` (whose
    text and blocks Slack sends along as ``message_text`` and ``message_blocks``)."""
    return {
        "type": "block_actions",
        "team": {"id": team_id, "domain": "partner"},
        "user": _user(user_id, team_id),
        "api_app_id": APP_ID,
        "token": "deprecated-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": fresh_trigger_id(),
        "channel": {"id": channel_id, "name": "privategroup"},
        "message": {
            "type": "message",
            "ts": message_ts,
            "text": message_text,
            "blocks": message_blocks or [],
        },
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "text": {"type": "plain_text", "text": "button"},
                "action_ts": "1700000000.000100",
            }
        ],
        "is_enterprise_install": False,
    }


def block_suggestion(*, user_id: str, team_id: str, action_id: str, value: str) -> dict[str, Any]:
    """What an external select sends while someone types ``value``."""
    return {
        "type": "block_suggestion",
        "user": _user(user_id, team_id),
        "team": {"id": team_id, "domain": "partner"},
        "api_app_id": APP_ID,
        "token": "deprecated-verification-token",
        "action_id": action_id,
        "block_id": action_id,
        "value": value,
        "container": {"type": "view", "view_id": "V0MODAL"},
        "view": {"id": "V0MODAL", "type": "modal", "callback_id": "deal_register"},
    }


def metadata(**fields: str) -> str:
    return json.dumps(fields)


def click(
    message: dict[str, Any],
    block: dict[str, Any],
    element: dict[str, Any],
    *,
    user_id: str,
    team_id: str,
    response_url: str,
) -> dict[str, Any]:
    """:func:`block_actions` for clicking button ``element`` of actions ``block`` on a message
    the fake Slack received (``FakeSlack.all_messages``)."""
    return block_actions(
        user_id=user_id,
        team_id=team_id,
        action_id=element["action_id"],
        value=element["value"],
        channel_id=message["channel"],
        message_ts=message["ts"],
        response_url=response_url,
        block_id=block["block_id"],
        message_blocks=message["blocks"],
        message_text=message["text"],
    )
