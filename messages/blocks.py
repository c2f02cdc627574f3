"""Block Kit for every message: the ``Message`` type, the builder (slack-sdk block objects),
escaping of user input, and :func:`fit`, which every message goes through to meet Slack's
limits — so a renderer says what a message shows and never counts characters.

What users typed or imported never becomes Slack markup (``<!here>``, ``<@U…>``, ``<#C…>``,
``<https://…|…>``): a renderer passes such strings to mrkdwn only through :func:`esc` (or
:func:`code`), and the plain-text builders (:func:`header`, :func:`button`, :func:`confirm`,
:func:`chart_image`) escape their words themselves; Slack decodes the three entities in
``plain_text`` as it does in mrkdwn, so the reader sees the name as typed. :func:`fit`, which
every message goes through, then turns any ``<`` that does not open one of the bot's own
mentions of a user or channel id (:func:`person`, :func:`where`) or its moments (:func:`when`)
into ``&lt;``: a renderer that
forgets to escape cannot make the bot ping a channel or show a link.

``fit`` splits a section's text at line ends into sections of at most 3,000 characters, puts
fields ten to a section with at most 2,000 characters each, cuts a header to 150 and a
context's text to 3,000, and makes a message of more than 50 blocks several messages."""

import copy
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    ImageBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
    TextObject,
)

from messages.partner_visible import partner_visible

MAX_ECHO = 40
"""Longest piece of user input echoed back; keeps any message far below Slack's limits."""
MAX_NAME = 80
"""Longest name or account shown; longer ones are cut."""
MAX_BLOCKS = 50
MAX_SECTION = 3000
"""Slack's limit on a section's (and a context element's) text."""
MAX_FIELDS = 10
MAX_FIELD = 2000
"""Slack's limit on a section's fields, and on each field's text; also an image's title."""
MAX_HEADER = 150
MAX_TEXT = 40_000
"""Slack cuts a message's ``text`` beyond this."""
MAX_BUTTON = 75

Part = TypeVar("Part", Block, TextObject)

CHART_PLACEHOLDER = "partnerbot-chart"
"""The ``slack_file`` id of a message's image block until its chart is uploaded: scheduled
messages are rendered when queued, their charts drawn and uploaded when delivered."""


@dataclass(frozen=True)
class Chart:
    """What a revenue chart shows (``messages.charts`` draws it): bars of sourced and
    influenced revenue per period and a line of the open pipeline at each period's end. Plain
    data, so it can wait in the outbox and cross to a drawing process."""

    title: str
    currency: str
    labels: tuple[str, ...]
    sourced: tuple[float, ...]
    influenced: tuple[float, ...]
    pipeline: tuple[float, ...]
    filename: str
    alt_text: str

    @property
    def shown_title(self) -> str:
        """The title for Slack (an image's, a file's): escaped, as it names partners; the
        chart itself draws ``title`` as typed."""
        return escape(self.title)

    @property
    def shown_alt_text(self) -> str:
        return escape(self.alt_text)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Chart":
        sequences = ("labels", "sourced", "influenced", "pipeline")
        return cls(**{k: tuple(v) if k in sequences else v for k, v in data.items()})


def with_chart(blocks: list[dict[str, Any]], file_id: str | None) -> list[dict[str, Any]]:
    """``blocks`` with the chart placeholder pointing at the uploaded file ``file_id``, or left
    out without one (none uploaded yet, or none could be)."""
    shown = []
    for block in blocks:
        if (block.get("slack_file") or {}).get("id") == CHART_PLACEHOLDER:
            if not file_id:
                continue
            block = {**block, "slack_file": {"id": file_id}}
        shown.append(block)
    return shown


@dataclass(frozen=True)
class Message:
    """A rendered message: ``text`` is the notification and screen-reader fallback (left
    empty, :func:`fit` makes it the blocks' own words). A scheduled message may hold a
    ``chart``, shown where its blocks hold the placeholder."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    chart: Chart | None = None

    def as_post(self) -> dict[str, object]:
        """Keyword arguments for ``chat.postMessage``/``chat.update``/``chat.postEphemeral``:
        the message :func:`fit` to Slack's limits — one message (a renderer whose message may
        outgrow one returns ``fit``'s parts, each posted on its own)."""
        (fitted,) = fit(self)
        return {"text": fitted.text, "blocks": [block.to_dict() for block in fitted.blocks]}

    def as_ephemeral(self) -> dict[str, object]:
        """Keyword arguments for Bolt's ``respond()``: visible only to the person asking."""
        return {**self.as_post(), "response_type": "ephemeral"}


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control characters in text objects."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(escaped: str, limit: int) -> str:
    """Escaped text cut to ``limit`` characters without leaving half an entity (``&am…``)."""
    if len(escaped) <= limit:
        return escaped
    head = escaped[: limit - 1]
    entity = head.rfind("&")
    if entity != -1 and ";" not in head[entity:]:
        head = head[:entity]
    return head + "…"


_OWN_MARKUP = re.compile(
    r"<(?![@#][A-Z0-9]+>|!date\^[0-9]{1,12}\^\{date_short_pretty\} \{time\}\|[^<>|^]*>)"
)
"""A ``<`` that does not open a mention of a user or channel id, as :func:`person` and
:func:`where` write them, nor a moment as :func:`when` writes it (its fallback escaped, no
link): what people type is escaped before it gets here, so it cannot forge one."""


def defang(text: str) -> str:
    """``text`` with every ``<`` that is not the bot's own mention or moment escaped: no broadcast
    (``<!here>``), link or other markup survives, whatever a renderer forgot."""
    return _OWN_MARKUP.sub("&lt;", text)


def esc(text: object, limit: int = MAX_NAME) -> str:
    """A name or other user input for mrkdwn: cut to ``limit`` characters, then escaped."""
    return escape(clip(str(text), limit))


def code(text: str) -> str:
    """User input shown as inline code, escaped and shortened; backticks cannot be escaped
    inside code, so they become quotes."""
    shown = clip(text, MAX_ECHO).replace("`", "'")
    return f"`{escape(shown)}`"


def header(text: str) -> HeaderBlock:
    """A header of ``text``, escaped (it may hold names)."""
    return HeaderBlock(text=PlainTextObject(text=escape(text), emoji=True))


def section(markdown: str, accessory: ButtonElement | None = None) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=markdown), accessory=accessory)


def fields(items: Sequence[str]) -> SectionBlock:
    return SectionBlock(fields=[MarkdownTextObject(text=item) for item in items])


def context(markdown: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=markdown)])


def divider() -> DividerBlock:
    return DividerBlock()


def chart_image(chart: Chart, file_id: str = CHART_PLACEHOLDER) -> ImageBlock:
    """``chart`` as uploaded to Slack as ``file_id``; by default its place in a scheduled
    message, until the outbox draws and uploads it."""
    return ImageBlock(
        slack_file={"id": file_id},
        alt_text=chart.shown_alt_text,
        title=PlainTextObject(text=chart.shown_title),
    )


def actions(buttons: Sequence[ButtonElement], block_id: str | None = None) -> ActionsBlock:
    return ActionsBlock(elements=list(buttons), block_id=block_id)


def button(
    text: str,
    action_id: str,
    value: str,
    style: str | None = None,
    confirm: ConfirmObject | None = None,
) -> ButtonElement:
    """A button labelled ``text``, escaped (``Award to PARTNER`` names a partner)."""
    return ButtonElement(
        text=PlainTextObject(text=cut(escape(text), MAX_BUTTON)),
        action_id=action_id,
        value=value,
        style=style,
        confirm=confirm,
    )


def confirm(title: str, text: str, yes: str, no: str) -> ConfirmObject:
    """A button's "are you sure?" dialog, each part escaped and cut to Slack's limit for it."""
    return ConfirmObject(
        title=PlainTextObject(text=cut(escape(title), 100)),
        text=PlainTextObject(text=cut(escape(text), 300)),
        confirm=PlainTextObject(text=cut(escape(yes), 30)),
        deny=PlainTextObject(text=cut(escape(no), 30)),
    )


def plain(text: str, *extra: Block) -> Message:
    """A one-paragraph message, optionally followed by more blocks."""
    return Message(text=text, blocks=[section(text), *extra])


def _chunks(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at line ends (a longer line is
    clipped), without surrounding whitespace: so fitting a fitted section changes nothing."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        line = cut(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    return [piece.strip() for piece in (*pieces, current) if piece.strip()]


def _with(part: Part, **changes: Any) -> Part:
    """A copy of ``part`` with ``changes``: slack-sdk's objects are not dataclasses."""
    changed = copy.copy(part)
    for name, value in changes.items():
        setattr(changed, name, value)
    return changed


def _cut(text: TextObject, limit: int) -> TextObject:
    """``text`` defanged (:func:`defang`) and cut to ``limit``."""
    shown = cut(defang(text.text), limit)
    return text if shown == text.text else _with(text, text=shown)


def _fitted(block: Block) -> list[Block]:
    """``block`` as one or more blocks within Slack's limits; a section of only whitespace
    is left out (Slack refuses it). A section split in several keeps its id and accessory on
    the first."""
    if isinstance(block, HeaderBlock):
        return [_with(block, text=_cut(block.text, MAX_HEADER))]
    if isinstance(block, ContextBlock):
        elements = [
            _cut(e, MAX_SECTION) if isinstance(e, TextObject) else e for e in block.elements
        ]
        return [_with(block, elements=elements)]
    if isinstance(block, ImageBlock):
        title = _cut(block.title, MAX_FIELD) if block.title else None
        return [_with(block, alt_text=cut(defang(block.alt_text), MAX_FIELD), title=title)]
    if not isinstance(block, SectionBlock):
        return [block]
    if block.fields:
        shown = [_cut(f, MAX_FIELD) for f in block.fields]
        first, *rest = [
            shown[start : start + MAX_FIELDS] for start in range(0, len(shown), MAX_FIELDS)
        ]
        return [_with(block, fields=first), *(SectionBlock(fields=part) for part in rest)]
    pieces = _chunks(defang(block.text.text or ""), MAX_SECTION) if block.text else []
    if pieces == [block.text.text]:
        return [block]
    texts = [_with(block.text, text=piece) for piece in pieces]
    return [
        _with(block, text=text) if i == 0 else SectionBlock(text=text)
        for i, text in enumerate(texts)
    ]


def _words(blocks: Sequence[Block]) -> str:
    """The blocks' words (not their buttons): a message's notification and fallback."""
    lines = []
    for block in blocks:
        if isinstance(block, HeaderBlock | SectionBlock) and block.text is not None:
            lines.append(block.text.text)
        if isinstance(block, SectionBlock):
            lines += [f.text for f in block.fields or []]
        if isinstance(block, ContextBlock):
            lines += [e.text for e in block.elements if isinstance(e, TextObject)]
    return cut("\n".join(lines), MAX_TEXT)


def _has_chart(blocks: Sequence[Block]) -> bool:
    return any(
        isinstance(b, ImageBlock)
        and b.slack_file is not None
        and b.slack_file.to_dict().get("id") == CHART_PLACEHOLDER
        for b in blocks
    )


def fit(message: Message) -> list[Message]:
    """``message`` within Slack's limits: one message, or several when it outgrows 50 blocks,
    the chart going with the one that shows it. A message without ``text`` gets each part's
    own words as its notification text. Every text is :func:`defang`-ed."""
    blocks = [fitted for block in message.blocks for fitted in _fitted(block)]
    pages = [blocks[start : start + MAX_BLOCKS] for start in range(0, len(blocks), MAX_BLOCKS)]
    return [
        Message(
            cut(defang(message.text), MAX_TEXT) if message.text else _words(page),
            page,
            message.chart if _has_chart(page) else None,
        )
        for page in pages or [[]]
    ]


def when(moment: datetime) -> str:
    """A moment (naive: UTC, as stored) as Slack shows it to each reader: date and time in
    their own time zone and format ("Yesterday at 9:41 AM"), the UTC time where a client cannot
    format it. Every time the bot shows goes through here (:func:`day`)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    fallback = escape(aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    return f"<!date^{int(aware.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def day(value: date | datetime | None) -> str:
    """A date as written (``2026-09-30``: a whole day, the same everywhere), a moment through
    :func:`when`."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return when(value)
    return value.isoformat()


def person(user_id: str | None) -> str:
    """A Slack mention for a user id; Slack shows the name in the reader's own workspace."""
    return f"<@{user_id}>" if user_id and not user_id.startswith("cli:") else "partnerbot"


def where(destination: str) -> str:
    """A mention of a message's destination: a channel (``C…``/``G…``) or a person."""
    return f"<#{destination}>" if destination[:1] in {"C", "G"} else f"<@{destination}>"


@partner_visible
def stranger_refusal() -> Message:
    return plain(
        "Sorry, I can only help people my partner team knows. If you work with one of our "
        "partners, ask your partner manager to add your Slack account."
    )


@partner_visible
def something_went_wrong() -> Message:
    return plain("Sorry, something went wrong on my side. Please try again in a minute.")


@partner_visible
def database_unreachable() -> Message:
    """An outage, not a bug: the asker can do nothing but wait, so say that."""
    return plain("Sorry, partnerbot can't reach its database; try again in a minute.")
