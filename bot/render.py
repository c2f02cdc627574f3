"""Every message the bot sends, rendered as Block Kit in one place so wording, escaping and
Slack's limits are handled once. Functions take plain data and return a ``Message``."""

from dataclasses import dataclass, field

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

MAX_ECHO = 40
"""Longest piece of user input echoed back; keeps any message far below Slack's limits."""

DEAL_SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    ("register", "register a deal for one of your customers"),
    ("status DEAL-ID", "where a registration stands"),
    ("list", "registrations you can see"),
    ("approve DEAL-ID", "approve a pending registration (partner managers)"),
    ("reject DEAL-ID REASON", "reject a pending registration (partner managers)"),
    ("extend DEAL-ID DAYS", "extend an approved registration's protection"),
    ("help", "this help"),
)


@dataclass(frozen=True)
class Message:
    """A rendered message: ``text`` is the notification and screen-reader fallback."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_ephemeral(self) -> dict[str, object]:
        """Keyword arguments for Bolt's ``respond()``: visible only to the person asking."""
        return {
            "text": self.text,
            "blocks": [block.to_dict() for block in self.blocks],
            "response_type": "ephemeral",
        }


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text: str) -> str:
    """User input shown as inline code, escaped and shortened; backticks cannot be escaped
    inside code, so they become quotes."""
    shown = text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 1] + "…"
    shown = shown.replace("`", "'")
    return f"`{escape(shown)}`"


def _section(markdown: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=markdown))


def _deal_usage(command: str) -> list[Block]:
    lines = "\n".join(f"`{command} {usage}`  {what}" for usage, what in DEAL_SUBCOMMANDS)
    return [
        _section(f"*{command}*: deal registration without leaving Slack.\n{lines}"),
        ContextBlock(
            elements=[MarkdownTextObject(text="Only `help` is available yet; the rest is coming.")]
        ),
    ]


def deal_help(command: str = "/deal") -> Message:
    return Message(text=f"{command} usage", blocks=_deal_usage(command))


def deal_unknown_subcommand(word: str, command: str = "/deal") -> Message:
    return Message(
        text=f"{command}: unknown subcommand {code(word)}",
        blocks=[_section(f"Unknown subcommand {code(word)}."), *_deal_usage(command)],
    )


def deal_not_available(word: str, command: str = "/deal") -> Message:
    return Message(
        text=f"{command} {word} is not available yet",
        blocks=[_section(f"`{command} {word}` is not available yet."), *_deal_usage(command)],
    )


def stranger_refusal() -> Message:
    text = (
        "Sorry, I can only help people my partner team knows. If you work with one of our "
        "partners, ask your partner manager to add your Slack account."
    )
    return Message(text=text, blocks=[_section(text)])


def something_went_wrong() -> Message:
    text = "Sorry, something went wrong on my side. Please try again in a minute."
    return Message(text=text, blocks=[_section(text)])
