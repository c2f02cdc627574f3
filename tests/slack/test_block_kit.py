"""Every message and view the bot builds is valid Block Kit (issue 19): each renderer of
``messages/`` (the partner-visible registry and the staff-only ones, enumerated in
``tests/slack/renderings.py``) is rendered with long names full of markup and many rows, and
each block, modal and option is read back by slack_sdk's models, which check Slack's lengths,
element counts and required fields. A renderer that is not enumerated fails
:func:`test_every_renderer_is_rendered`, so a new one cannot be missed."""

import importlib
import inspect
import pkgutil
from typing import Any

from slack_sdk.models.blocks import Block, Option
from slack_sdk.models.views import View

import messages
from messages.blocks import MAX_BLOCKS, MAX_TEXT, Message, fit
from messages.partner_visible import KINDS
from tests.slack.renderings import renderings

LONG_NAME = (
    "Blue Valley Partners & <Sons> *Holdings* _of_ ~Greater~ `Rotterdam` <!here> "
    "Distribution Services N.V."
)
"""A name past :data:`messages.blocks.MAX_NAME` with every kind of markup and entity."""
ROWS = 60
"""More rows than a message's 50 blocks, a section's ten fields or an actions block's 25."""

NOT_RENDERERS = {
    "blocks.plain": "the builder every renderer uses",
    "blocks.fit": "fits a rendered message to Slack's limits",
    "blocks.with_chart": "points a queued message's placeholder at its uploaded chart",
    "digests.partner_qbr": "reads the database, then renders with qbr_messages",
    "scorecard_messages.shown_highlights": "a card's highlights as data, for the card and CLI",
}


def _renders_for_slack(function: Any) -> bool:
    """Whether ``function`` returns a message, messages, a view, options or blocks."""
    shown = str(inspect.signature(function).return_annotation)
    return any(word in shown for word in ("Message", "View", "list[dict[str, "))


def renderers() -> set[str]:
    """``module.function`` of every public renderer in ``messages/`` and of every
    partner-visible kind wherever it lives."""
    found = set()
    for module in pkgutil.iter_modules(messages.__path__):
        loaded = importlib.import_module(f"messages.{module.name}")
        for name, function in inspect.getmembers(loaded, inspect.isfunction):
            public = function.__module__ == loaded.__name__ and not name.startswith("_")
            if public and _renders_for_slack(function):
                found.add(f"{module.name}.{name}")
    return (found | set(KINDS)) - set(NOT_RENDERERS)


def test_every_renderer_is_rendered() -> None:
    rendered = {kind for kind, _ in renderings("Acme")}
    assert renderers() - rendered == set()


def problems(output: object) -> list[str]:
    """What slack_sdk's models refuse in ``output``: a message (as :func:`fit` sends it),
    messages, a view, options, or a posted message's blocks."""
    if isinstance(output, Message):
        found = []
        for part in fit(output):
            if len(part.blocks) > MAX_BLOCKS or len(part.text) > MAX_TEXT or not part.text:
                found.append(f"{len(part.blocks)} blocks, text of {len(part.text)}")
            for block in part.blocks:
                found += _refused(block.to_dict) or problems(block.to_dict())
        return found
    if isinstance(output, View):
        return _refused(lambda: View(**output.to_dict()).to_dict())
    if isinstance(output, list):
        return [problem for item in output for problem in problems(item)]
    if isinstance(output, dict) and "value" in output:  # an option of an external select
        return _refused(lambda: Option(**output).to_dict())
    if isinstance(output, dict):
        return _refused(lambda: _parsed(output).to_dict())
    return [f"not Block Kit: {type(output).__name__}"]


def _parsed(block: dict[str, Any]) -> Block:
    parsed = Block.parse(block)
    assert parsed is not None, f"unknown block type {block.get('type')}"
    return parsed


def _refused(check: Any) -> list[str]:
    try:
        check()
    except Exception as error:
        return [str(error)]
    return []


def test_every_rendering_is_valid_block_kit_with_long_names_and_many_rows() -> None:
    refused = {
        kind: found
        for kind, output in renderings(LONG_NAME, rows=ROWS)
        if (found := problems(output))
    }
    assert refused == {}


def test_the_check_refuses_what_slack_would() -> None:
    """The check itself: a section over 3,000 characters, 26 buttons in one actions block and
    a confirm dialog's title over 100 are refused."""
    button = {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "a"}
    title = {"type": "plain_text", "text": "t" * 101}
    words = {"type": "plain_text", "text": "x"}
    confirm = {"title": title, "text": words, "confirm": words, "deny": words}
    assert problems({"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}})
    assert problems({"type": "actions", "elements": [button] * 26})
    assert problems({"type": "actions", "elements": [{**button, "confirm": confirm}]})
    assert problems({"type": "actions", "elements": [button]}) == []
