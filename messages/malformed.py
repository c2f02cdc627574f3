"""The answers to input no person typed: text holding characters no database stores, and a
button or form whose value is not one the bot made. Anyone may receive them (they are given
before anyone is identified), so both are partner-visible and name nothing."""

from messages.blocks import Message, plain
from messages.partner_visible import partner_visible


@partner_visible
def unreadable_text() -> Message:
    """Text holding a NUL character or half of a surrogate pair: Slack's clients never send
    one, and neither database can store it."""
    return plain(
        "Your text holds a character I cannot read (a NUL or a broken Unicode character): "
        "type it again."
    )


@partner_visible
def out_of_date() -> Message:
    """A button or form whose value is not one the bot rendered."""
    return plain(
        "This card is out of date or was changed, so I did nothing. "
        "Ask for it again (its command or the latest post) and use that one."
    )
