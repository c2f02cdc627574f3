"""Requests as Slack sends them to ``/slack/events``: form-encoded bodies for slash commands and
``payload=`` interactivity, signed with v0 HMAC-SHA256 of ``v0:{timestamp}:{body}``. Options
forge the signature, age the timestamp or leave the headers out, for the 401 cases."""

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

SIGNING_SECRET = "partnerbot-test-signing-secret"
_triggers = itertools.count(1)


def fresh_trigger_id() -> str:
    """A fresh ``trigger_id``, as Slack puts in every request it sends: two requests with the
    same body are one request sent twice (``bot.replays``)."""
    return f"{next(_triggers)}.2222.abcdef"


@dataclass(frozen=True)
class SlackRequest:
    body: bytes
    headers: dict[str, str]


def signature(body: bytes, timestamp: int | str, secret: str = SIGNING_SECRET) -> str:
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed(
    body: str | bytes,
    *,
    secret: str = SIGNING_SECRET,
    age_seconds: int = 0,
    forge: bool = False,
    headers: bool = True,
    content_type: str = "application/x-www-form-urlencoded",
) -> SlackRequest:
    """Sign ``body`` as Slack would. ``age_seconds`` backdates the timestamp; ``forge`` signs
    with a wrong secret; ``headers=False`` leaves both signature headers out."""
    raw = body.encode() if isinstance(body, str) else body
    timestamp = int(time.time()) - age_seconds
    sent = {"Content-Type": content_type}
    if headers:
        sent["X-Slack-Request-Timestamp"] = str(timestamp)
        sent["X-Slack-Signature"] = signature(
            raw, timestamp, "forged" + secret if forge else secret
        )
    return SlackRequest(raw, sent)


def slash_command_body(
    command: str,
    text: str,
    *,
    user_id: str,
    team_id: str,
    response_url: str,
    channel_id: str = "C0GENERAL",
    trigger_id: str | None = None,
) -> str:
    """The form body of a slash command, fields in the order Slack sends them."""
    return urlencode(
        {
            "token": "deprecated-verification-token",
            "team_id": team_id,
            "team_domain": "home",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0PARTNERBOT",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id or fresh_trigger_id(),
        }
    )


def interactivity_body(payload: dict[str, Any]) -> str:
    """Block actions, view submissions, shortcuts: one ``payload`` field holding JSON."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))})
