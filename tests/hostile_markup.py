"""Markup injection: names and words carrying Slack's markup (broadcasts, mentions, links,
entities) as a partner contact, a CSV export or a manager might type them, and the check that
none of it reaches Slack as markup."""

import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from messages.blocks import when

ISSUE_NAMES = (
    "<!here> <https://evil.example/login|Acme SSO login>",
    "<!channel> Holdings",
    "<!channel>",
)
"""The names of issue 17: a customer name that pings and phishes, a second partner's, a
partner's imported name."""

MARKUP = (
    "<!here>",
    "<!channel>",
    "<!everyone>",
    "<!subteam^S9EVIL>",
    "<!date^1700000000^{date}|today>",
    "<!date^1700000000^{date_short_pretty} {time}|today>",
    "<@U9EVIL>",
    "<@W9EVIL|boss>",
    "<#C9EVIL>",
    "<#C9EVIL|general>",
    "<https://evil.example/login|Acme SSO login>",
    "<mailto:x@evil.example|mail>",
    "<tel:+15550100|call>",
    "&",
    "&amp;",
    "&lt;!here&gt;",
    "<",
    ">",
    "`",
    "*",
    "_",
    "~",
    "\n",
)
"""Pieces of Slack markup and of its escaping; the ids are nobody's in the tests' fixtures."""

markup_names = st.one_of(
    st.sampled_from(ISSUE_NAMES),
    st.lists(
        st.one_of(
            st.sampled_from(MARKUP),
            st.text(st.sampled_from("Acme Co.-' 09é漢"), min_size=1, max_size=6),
        ),
        min_size=1,
        max_size=5,
    )
    .map("".join)
    .filter(lambda name: name.strip() and "<" in name),
)
"""Names holding at least one ``<``: the issue's, and markup mixed with ordinary words."""

NOT_SHOWN = frozenset({"value", "block_id", "action_id", "callback_id", "private_metadata"})
"""Fields Slack never shows anyone: what a button or a modal carries back to the app."""

_RAW_MARKUP = re.compile(r"<[^<>]*>?")
_MOMENT = re.compile(r"<!date\^([0-9]+)\^\{date_short_pretty\} \{time\}\|(.*)>")


def _own_moment(token: str) -> bool:
    """Whether ``token`` is a moment as ``messages.blocks.when`` writes it: its fallback the
    UTC time of its timestamp (the forged one of ``MARKUP`` says "today")."""
    found = _MOMENT.fullmatch(token)
    return bool(found) and found[2] == when(datetime.fromtimestamp(int(found[1]), UTC)).rpartition(
        "|"
    )[2].rstrip(">")


def unescaped_markup(text: str, own: Iterable[str] = ()) -> list[str]:
    """Every raw ``<`` of ``text`` with what follows it, less the bot's own mentions ``own``
    (``<@U0NAMGR>``, ``<#C0DEALDESK>``) and moments: what Slack would parse as markup the bot
    did not write."""
    allowed = set(own)
    return [
        token
        for token in _RAW_MARKUP.findall(text)
        if token not in allowed and not _own_moment(token)
    ]


def strings(value: Any) -> Iterator[str]:
    """Every string Slack may show of a request body or a rendering, JSON fields (``blocks``,
    ``view``, ``files`` in form-encoded calls) decoded; not the fields of ``NOT_SHOWN``."""
    if isinstance(value, str):
        if value[:1] in "[{":
            try:
                yield from strings(json.loads(value))
                return
            except ValueError:
                pass
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in NOT_SHOWN:
                yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)
