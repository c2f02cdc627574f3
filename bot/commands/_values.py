"""Values Slack hands back that the bot made itself (a button's value, a picked option, a
modal's private metadata), read against what they can be. A value that is not one of them was
changed on the way or comes from an old card: the listener answers
:func:`messages.malformed.out_of_date` and does nothing, rather than letting a database error
(a foreign key, an integer out of range) say it."""

import json
from datetime import date
from typing import Any, cast, get_args

from bot.commands._deal_args import ListScope
from deals.lookup import parse_deal_id
from messages.deal_messages import MAX_LISTED
from messages.registration_notices import EXTEND_DAYS

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


MAX_OFFSET = 100_000
"""The furthest a list pages: far beyond any program's registrations."""


def page_value(scope: ListScope, partner_id: int | None, offset: int) -> str:
    """A list's "Next" button value: the list (its scope, the partner it is of) and where the
    page starts."""
    return f"{scope}:{partner_id or ''}:{offset}"


def read_page_value(value: object) -> tuple[ListScope, int | None, int] | None:
    """The list and offset of a :func:`page_value`, else None: a partner only for a partner's
    list, an offset a whole number of pages from the start."""
    parts = value.split(":") if isinstance(value, str) else []
    if len(parts) != 3 or parts[0] not in get_args(ListScope):
        return None
    scope = cast(ListScope, parts[0])
    partner_id = row_id(parts[1]) if parts[1] else None
    offset = row_id(parts[2])
    if (scope == "partner") != (partner_id is not None) or offset is None:
        return None
    if offset % MAX_LISTED or offset > MAX_OFFSET:
        return None
    return scope, partner_id, offset


def read_extend_value(value: object, max_days: int) -> tuple[str, date, int] | None:
    """The registration, the expiry its reminder showed and the days of an Extend button
    (``messages.registration_notices.extend_value``), else None: days outside the buttons' own
    or the program's ``max_days`` were not offered."""
    parts = value.split(" ") if isinstance(value, str) else []
    if len(parts) != 3 or parse_deal_id(parts[0]) != parts[0]:
        return None
    external_id, shown, days = parts
    try:
        expiry = date.fromisoformat(shown) if len(shown) == 10 and shown.isascii() else None
    except ValueError:
        expiry = None
    offered = [str(choice) for choice in EXTEND_DAYS if choice <= max_days]
    if expiry is None or days not in offered:
        return None
    return external_id, expiry, int(days)
