"""The building blocks every message uses: the ``Message`` type, escaping of user input, and
formatting of dates and people (money: ``insights.metric_display.money``)."""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

MAX_ECHO = 40
"""Longest piece of user input echoed back; keeps any message far below Slack's limits."""

MAX_SECTION = 3000
"""Slack's limit on a section's text."""


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
    """A rendered message: ``text`` is the notification and screen-reader fallback. A
    scheduled message may hold a ``chart``, shown where its blocks hold the placeholder."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    chart: Chart | None = None

    def as_post(self) -> dict[str, object]:
        """Keyword arguments for ``chat.postMessage``/``chat.update``/``chat.postEphemeral``."""
        return {"text": self.text, "blocks": [block.to_dict() for block in self.blocks]}

    def as_ephemeral(self) -> dict[str, object]:
        """Keyword arguments for Bolt's ``respond()``: visible only to the person asking."""
        return {**self.as_post(), "response_type": "ephemeral"}


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text: str) -> str:
    """User input shown as inline code, escaped and shortened; backticks cannot be escaped
    inside code, so they become quotes."""
    shown = text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 1] + "…"
    shown = shown.replace("`", "'")
    return f"`{escape(shown)}`"


def section(markdown: str) -> SectionBlock:
    if len(markdown) > MAX_SECTION:
        markdown = markdown[: MAX_SECTION - 1] + "…"
    return SectionBlock(text=MarkdownTextObject(text=markdown))


def context(markdown: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=markdown)])


def plain(text: str, *extra: Block) -> Message:
    """A one-paragraph message, optionally followed by more blocks."""
    return Message(text=text, blocks=[section(text), *extra])


def day(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def person(user_id: str | None) -> str:
    """A Slack mention for a user id; Slack shows the name in the reader's own workspace."""
    return f"<@{user_id}>" if user_id and not user_id.startswith("cli:") else "partnerbot"


def where(destination: str) -> str:
    """A mention of a message's destination: a channel (``C…``/``G…``) or a person."""
    return f"<#{destination}>" if destination[:1] in {"C", "G"} else f"<@{destination}>"


def stranger_refusal() -> Message:
    return plain(
        "Sorry, I can only help people my partner team knows. If you work with one of our "
        "partners, ask your partner manager to add your Slack account."
    )


def something_went_wrong() -> Message:
    return plain("Sorry, something went wrong on my side. Please try again in a minute.")
