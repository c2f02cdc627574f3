"""What the daily registrations job says: expiry reminders to the partner's channel and to its
partner manager, and nudges to the approver of a registration waiting past the approval SLA."""

from datetime import date, timedelta
from typing import Any

from deals.lookup import DealView
from messages import deal_messages
from messages.blocks import Message, actions, button, context, day, escape, person, plain, section
from messages.partner_visible import partner_visible

EXTEND = "registration_extend"
EXTEND_DAYS = (30, 60, 90)
"""The Extend buttons a manager's reminder offers, those within the program's
``registration.max_extension_days``."""


def _when(days_left: int) -> str:
    if days_left <= 0:
        return "today"
    if days_left == 1:
        return "tomorrow"
    return f"in {days_left} days"


@partner_visible
def expiry_reminder(deal: DealView, days_left: int) -> Message:
    """To the partner's shared channel."""
    return plain(
        f"⏳ Your registration {deal_messages.subject(deal)} · {deal_messages.amount(deal)} is "
        f"protected until {day(deal.expires_at)}: that ends {_when(days_left)}. Close it, or ask "
        f"your partner manager to extend it."
    )


def extend_value(external_id: str, expires_at: date, days: int) -> str:
    """An Extend button's value: the registration, the expiry the reminder shows (a click
    extends only from it, so a second click on the same reminder does nothing) and the days."""
    return f"{external_id} {expires_at.isoformat()} {days}"


def expiry_reminder_for_manager(deal: DealView, days_left: int, max_days: int) -> Message:
    """To the partner's manager, as a direct message, with an Extend button for each of
    :data:`EXTEND_DAYS` up to ``max_days`` (the program's limit)."""
    registration = deal_messages.subject(deal, staff=True)
    text = (
        f"⏳ {escape(deal.partner_name)}'s registration {registration} · "
        f"{deal_messages.amount(deal)} stops being protected {_when(days_left)} "
        f"({day(deal.expires_at)})."
    )
    typed = f"`{deal_messages.COMMAND} extend {escape(deal.external_id)} DAYS`"
    choices = [days for days in EXTEND_DAYS if days <= max_days]
    if not choices or deal.expires_at is None:
        return Message(text=text, blocks=[section(text), context(f"Extend it with {typed}.")])
    buttons = [
        button(f"Extend {days} days", EXTEND, extend_value(deal.external_id, deal.expires_at, days))
        for days in choices
    ]
    return Message(
        text=text,
        blocks=[
            section(text),
            actions(buttons, f"extend:{deal.external_id}"),
            context(f"Or type {typed} (up to {max_days} days at a time)."),
        ],
    )


def reminder_extended(
    blocks: list[dict[str, Any]], actor: str, days: int, until: date
) -> list[dict[str, Any]]:
    """A manager's reminder as posted, its buttons and hint replaced by who extended it to
    when."""
    said = f"⏳ {person(actor)} extended it by {days} days: protected until {day(until)}."
    kept = [block for block in blocks if block.get("type") == "section"]
    return [*kept, context(said).to_dict()]


def approval_nudge(
    deal: DealView, waited: timedelta, sla_hours: int, routed_to: str, claims: str
) -> Message:
    """To the approver: the approval card again (rendered from the claims version
    ``claims``), under a line saying how long it has waited."""
    hours = int(waited.total_seconds() // 3600)
    waiting = f"{hours // 24} days" if hours >= 48 else f"{hours} hours"
    registration = deal_messages.subject(deal, staff=True)
    headline = (
        f"🕓 {registration} from {escape(deal.partner_name)} has waited {waiting} for a "
        f"decision (the program's target is {sla_hours} hours)."
    )
    card = deal_messages.approval_card(deal, routed_to, claims)
    return Message(
        text=f"Waiting for approval: {escape(deal.external_id)}",
        blocks=[section(headline), *card.blocks],
    )
