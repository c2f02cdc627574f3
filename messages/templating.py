"""Messages from Jinja2 templates (``templates/*.j2``), rendered into Block Kit and fitted to
Slack's limits — every scheduled message (digests, alerts, tier reviews) is written this way.

A template emits one block per line through the block helpers below (each returns its block
as a line of JSON), so wording and layout live in the template and the limits in one place
here: a section's text is split at line ends into sections of at most 3,000 characters,
fields go ten to a section with at most 2,000 characters each, a header is cut to 150, and a
message of more than 50 blocks becomes several messages. Names go through the ``esc`` filter
(escaped, cut to ``MAX_NAME`` characters). Each message's ``text`` is its blocks' text: the
notification and the fallback where blocks cannot be shown. A template given a ``chart`` places
it with ``chart_image``: a placeholder image block, pointed at the chart once the outbox has
drawn and uploaded it (``messages.blocks.with_chart``).
"""

import json
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from slack_sdk.models.blocks import Block

from insights.metric_display import format_metric
from messages.blocks import CHART_PLACEHOLDER, MAX_SECTION, Chart, Message, escape

MAX_BLOCKS = 50
MAX_FIELDS = 10
MAX_FIELD = 2000
MAX_HEADER = 150
MAX_TEXT = 40_000
"""Slack cuts a message's ``text`` beyond this."""
MAX_NAME = 80
"""Longest name or account shown; longer ones are cut."""

Json = dict[str, Any]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _line(block: Json) -> str:
    # JSON escapes newlines, so a block is one line whatever its text
    return json.dumps(block, ensure_ascii=False)


def _header(text: str) -> str:
    return _line({"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}})


def _section(text: str) -> str:
    text = text.strip()
    return _line({"type": "section", "text": {"type": "mrkdwn", "text": text}}) if text else ""


def _fields(items: list[str]) -> str:
    return _line({"type": "section", "fields": [{"type": "mrkdwn", "text": t} for t in items]})


def _context(text: str) -> str:
    return _line({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]})


def _chart_image(chart: Chart) -> str:
    return _line(
        {
            "type": "image",
            "slack_file": {"id": CHART_PLACEHOLDER},
            "alt_text": _clip(chart.alt_text, MAX_FIELD),
            "title": {"type": "plain_text", "text": _clip(chart.title, MAX_FIELD)},
        }
    )


def _divider() -> str:
    return _line({"type": "divider"})


def _actions(block_id: str, buttons: list[Json]) -> str:
    return _line({"type": "actions", "block_id": block_id, "elements": buttons})


def _button(
    text: str, action_id: str, value: str, style: str | None = None, confirm: Json | None = None
) -> Json:
    button: Json = {
        "type": "button",
        "text": {"type": "plain_text", "text": _clip(text, 75)},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def _confirm(title: str, text: str, confirm: str, deny: str) -> Json:
    def plain(value: str, limit: int) -> Json:
        return {"type": "plain_text", "text": _clip(value, limit)}

    return {
        "title": plain(title, 100),
        "text": plain(text, 300),
        "confirm": plain(confirm, 30),
        "deny": plain(deny, 30),
    }


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _percent(value: float | None) -> str:
    return format_metric(value, "percent", "")


def _chunks(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at line ends (a longer line is
    clipped)."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        line = _clip(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    return [*pieces, current] if current.strip() else pieces


def _fit(block: Json) -> list[Json]:
    """``block`` as one or more blocks within Slack's limits."""
    if block["type"] == "header":
        text = block["text"]
        return [{**block, "text": {**text, "text": _clip(text["text"], MAX_HEADER)}}]
    if block["type"] == "context":
        elements = [{**e, "text": _clip(e["text"], MAX_SECTION)} for e in block["elements"]]
        return [{**block, "elements": elements}]
    if block["type"] != "section":
        return [block]
    if "fields" in block:
        fields = [{**f, "text": _clip(f["text"], MAX_FIELD)} for f in block["fields"]]
        return [
            {"type": "section", "fields": fields[start : start + MAX_FIELDS]}
            for start in range(0, len(fields), MAX_FIELDS)
        ]
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": piece}}
        for piece in _chunks(block["text"]["text"], MAX_SECTION)
    ]


def _plain(blocks: list[Json]) -> str:
    """The blocks' words (not their buttons): the message's notification and fallback."""
    lines = []
    for block in blocks:
        if "text" in block:
            lines.append(block["text"]["text"])
        lines += [field["text"] for field in block.get("fields", [])]
        if block["type"] == "context":
            lines += [element["text"] for element in block["elements"]]
    return _clip("\n".join(lines), MAX_TEXT)


def _has_chart(page: list[Json]) -> bool:
    return any((b.get("slack_file") or {}).get("id") == CHART_PLACEHOLDER for b in page)


def _messages(rendered: str, chart: Chart | None) -> list[Message]:
    blocks = [
        fitted for line in rendered.split("\n") if line.strip() for fitted in _fit(json.loads(line))
    ]
    pages = [blocks[start : start + MAX_BLOCKS] for start in range(0, len(blocks), MAX_BLOCKS)]
    return [
        Message(
            _plain(page),
            [block for b in page if (block := Block.parse(b))],
            chart if _has_chart(page) else None,
        )
        for page in pages
    ]


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("messages", "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # mrkdwn, not HTML: names go through the `esc` filter
    )
    environment.filters["esc"] = lambda text, limit=MAX_NAME: escape(_clip(str(text), limit))
    environment.globals.update(
        header=_header,
        section=_section,
        fields=_fields,
        context=_context,
        divider=_divider,
        chart_image=_chart_image,
        actions=_actions,
        button=_button,
        confirm=_confirm,
        count=_count,
        percent=_percent,
        score=lambda value: f"{value:.1f}",
    )
    return environment


def render(template: str, chart: Chart | None = None, **values: Any) -> list[Message]:
    """``template`` rendered with ``values`` (and ``chart``, to place) as Slack messages (one,
    unless it outgrows 50 blocks)."""
    rendered = _environment().get_template(template).render(chart=chart, **values)
    return _messages(rendered, chart)
