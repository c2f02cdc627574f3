"""Text no database can store is refused at one door, before any listener runs: a NUL
character (PostgreSQL refuses it in text) or half of a UTF-16 surrogate pair (not encodable as
UTF-8). Slack's clients send neither, so wherever it is in a request (a command's text, a
form's field, a button's value, a user id) the request is answered here and nothing else
happens:

* a slash command: the ephemeral :func:`messages.malformed.unreadable_text`, in its
  acknowledgement;
* a modal submission: an error under each field holding such text (a request with it elsewhere
  is refused with 400);
* an options request: no options;
* anything else (a button's value is only ever what the bot rendered): 400."""

import json
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse

from messages.malformed import unreadable_text

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
FIELD_ERROR = "This holds a character I cannot read (a NUL or a broken Unicode character)."


def holds_unstorable(node: object) -> bool:
    """Whether any string in ``node`` (JSON-like: dicts, lists, strings) holds unstorable
    text, keys included."""
    if isinstance(node, str):
        return UNSTORABLE.search(node) is not None
    if isinstance(node, dict):
        return any(holds_unstorable(k) or holds_unstorable(v) for k, v in node.items())
    if isinstance(node, list):
        return any(holds_unstorable(item) for item in node)
    return False


def _json(status: int, body: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=status,
        body=json.dumps(body),
        headers={"content-type": "application/json; charset=utf-8"},
    )


def _field_errors(body: dict[str, Any]) -> dict[str, str]:
    """The blocks of a submitted modal whose state holds unstorable text, when nothing else in
    the request does (Slack's own fields never hold it: then the request is not Slack's)."""
    view = body.get("view")
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    if not isinstance(view, dict) or not isinstance(values, dict):
        return {}
    rest = {**body, "view": {k: v for k, v in view.items() if k != "state"}}
    if holds_unstorable(rest) or holds_unstorable(list(values)):
        return {}
    return {block: FIELD_ERROR for block, value in values.items() if holds_unstorable(value)}


def refuse_unstorable(
    req: BoltRequest, resp: BoltResponse, next: Callable[[], None]
) -> BoltResponse:
    """A global Bolt middleware answering a request that holds unstorable text (see above)."""
    body = req.body
    if not holds_unstorable(body):
        next()
        return resp
    kind = body.get("type")
    if kind is None and "command" in body:
        return _json(200, unreadable_text().as_ephemeral())
    if kind == "view_submission" and (errors := _field_errors(body)):
        return _json(200, {"response_action": "errors", "errors": errors})
    if kind == "block_suggestion":
        return _json(200, {"options": []})
    return _json(400, {"error": "the request holds text that cannot be stored"})
