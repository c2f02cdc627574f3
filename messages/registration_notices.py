"""What the daily registrations job says: expiry reminders to the partner's channel and to its
partner manager, and nudges to the approver of a registration waiting past the approval SLA."""

from datetime import timedelta

from deals.lookup import DealView
from messages import deal_messages
from messages.blocks import Message, context, day, escape, plain, section
from messages.partner_visible import partner_visible


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


def expiry_reminder_for_manager(deal: DealView, days_left: int) -> Message:
    """To the partner's manager, as a direct message."""
    registration = deal_messages.subject(deal, staff=True)
    text = (
        f"⏳ {escape(deal.partner_name)}'s registration {registration} · "
        f"{deal_messages.amount(deal)} stops being protected {_when(days_left)} "
        f"({day(deal.expires_at)})."
    )
    action = f"Extend it with `{deal_messages.COMMAND} extend {escape(deal.external_id)} DAYS`."
    return Message(text=text, blocks=[section(text), context(action)])


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
