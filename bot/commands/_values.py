"""Values Slack hands back that the bot made itself (a button's value, a picked option, a
modal's private metadata), read against what they can be. A value that is not one of them was
changed on the way or comes from an old card: the listener answers
:func:`messages.malformed.out_of_date` and does nothing, rather than letting a database error
(a foreign key, an integer out of range) say it."""

import json
from typing import Any

MAX_ROW_ID = 2**31 - 1
"""The largest id an ``INTEGER`` primary key holds on PostgreSQL."""


def row_id(value: object) -> int | None:
    """``value`` as a table row's id (ASCII digits, 1 to :data:`MAX_ROW_ID`), else None. The
    length is checked first: Python refuses to read an integer of more than 4,300 digits."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    if len(value) > len(str(MAX_ROW_ID)):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ROW_ID else None


def metadata(view: dict[str, Any]) -> dict[str, str] | None:
    """A modal's ``private_metadata``: the JSON object of strings the bot wrote there (empty
    when there is none), else None."""
    text = view.get("private_metadata") or "{}"
    try:
        found = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
        return None
    return found


def state_values(view: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """A submitted modal's ``state.values``, block id → action id → element state; the blocks
    of another shape (or all, when the state is not an object) are left out, so the form reads
    as if those fields were empty."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    if not isinstance(values, dict):
        return {}
    return {
        block: {action: element for action, element in actions.items() if isinstance(element, dict)}
        for block, actions in values.items()
        if isinstance(actions, dict)
    }
