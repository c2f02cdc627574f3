"""Messages about deal registrations: ``/deal`` answers, the approval and conflict cards
managers act on, and the announcements in a partner's channel.

What a partner reads never names another partner nor another partner's amount: conflict
notices say only that the account is already registered.
"""

from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from deals.lookup import DealView
from insights.metric_display import money
from messages.blocks import (
    Message,
    actions,
    button,
    code,
    context,
    day,
    divider,
    escape,
    person,
    plain,
    section,
)
from models import DealSource, DealStatus

COMMAND = "/deal"
MAX_LISTED = 20
MAX_CONFLICT_ROWS = 10

DEAL_SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    ("register", "register a deal in a form"),
    ("register ACCOUNT DOMAIN AMOUNT [CURRENCY] [for PARTNER]", "register in one line"),
    ("status DEAL-ID", "where a registration stands"),
    ("list [mine|pending|expiring|PARTNER]", "registrations you can see"),
    ("approve DEAL-ID", "approve a pending registration (partner managers)"),
    ("reject DEAL-ID REASON", "reject a pending registration (partner managers)"),
    ("extend DEAL-ID DAYS", "extend an approved registration's protection (partner managers)"),
    ("help", "this help"),
)

APPROVE = "deal_approve"
REJECT = "deal_reject"
AWARD = "deal_award"
REJECT_ALL = "deal_reject_all"

_STATUS_MARK = {
    DealStatus.PENDING: "🕓",
    DealStatus.APPROVED: "✅",
    DealStatus.REJECTED: "❌",
    DealStatus.CONFLICT: "⚠️",
    DealStatus.WON: "🏆",
    DealStatus.LOST: "➖",
    DealStatus.EXPIRED: "⌛",
}


def _usage_lines(subcommand: str | None = None) -> str:
    lines = [
        f"`{COMMAND} {usage}`  {what}"
        for usage, what in DEAL_SUBCOMMANDS
        if subcommand is None or usage.split(" ", 1)[0] == subcommand
    ]
    return "\n".join(lines)


def deal_help() -> Message:
    intro = f"*{COMMAND}*: deal registration without leaving Slack."
    return Message(text=f"{COMMAND} usage", blocks=[section(f"{intro}\n{_usage_lines()}")])


def deal_usage_error(problem: str, subcommand: str | None = None) -> Message:
    """What was wrong with the command, then how to write it."""
    usage = _usage_lines(subcommand) or _usage_lines()
    return Message(text=f"{COMMAND}: {problem}", blocks=[section(problem), section(usage)])


def amount(deal: DealView) -> str:
    """A registration's amount as entered: with its cents, when it has any."""
    return money(deal.amount, deal.currency, cents=True)


def _headline(deal: DealView) -> str:
    domain = f" ({escape(deal.account_domain)})" if deal.account_domain else ""
    mark = _STATUS_MARK[deal.status]
    return (
        f"{mark} *{escape(deal.external_id)}* · {escape(deal.account_name)}{domain} · "
        f"*{deal.status.value}*"
    )


def _facts(deal: DealView) -> list[str]:
    facts = [
        f"*Partner:* {escape(deal.partner_name)}",
        f"*Amount:* {amount(deal)}",
        f"*Registered:* {day(deal.registered_at)} by {person(deal.registered_by)}",
    ]
    if deal.product:
        facts.append(f"*Product:* {escape(deal.product)}")
    if deal.expected_close:
        facts.append(f"*Expected close:* {day(deal.expected_close)}")
    if deal.decided_by:
        facts.append(f"*Decided:* {day(deal.decided_at)} by {person(deal.decided_by)}")
    if deal.decision_reason:
        facts.append(f"*Reason:* {escape(deal.decision_reason)}")
    if deal.expires_at and deal.status is DealStatus.APPROVED:
        facts.append(f"*Protected until:* {day(deal.expires_at)}")
    if deal.source is DealSource.INFLUENCED:
        facts.append("*Role:* influenced")
    if deal.influencers:
        facts.append(f"*Influence partners:* {escape(', '.join(deal.influencers))}")
    return facts


def deal_status(deal: DealView) -> Message:
    """``/deal status``: everything recorded about one registration."""
    blocks: list[Block] = [section(_headline(deal)), section("\n".join(_facts(deal)))]
    if deal.notes:
        blocks.append(context(f"Notes: {escape(deal.notes)}"))
    return Message(text=f"{deal.external_id}: {deal.status.value}", blocks=blocks)


def deal_not_found(deal_id: str) -> Message:
    """The same words for "no such registration" and "not one of yours"."""
    return plain(f"I found no registration {code(deal_id)} that you can see.")


def _list_line(deal: DealView, with_partner: bool) -> str:
    partner = f" · {escape(deal.partner_name)}" if with_partner else ""
    expiry = (
        f" · until {day(deal.expires_at)}"
        if deal.status is DealStatus.APPROVED and deal.expires_at
        else ""
    )
    return (
        f"{_STATUS_MARK[deal.status]} `{escape(deal.external_id)}` {escape(deal.account_name)}"
        f" · {amount(deal)} · {deal.status.value}{expiry}{partner}"
    )


def deal_list(title: str, deals: Sequence[DealView], total: int, *, with_partner: bool) -> Message:
    """A list of registrations, ten lines a section, at most ``MAX_LISTED`` lines."""
    if not deals:
        return plain(f"{title}: none.")
    lines = [_list_line(deal, with_partner) for deal in deals[:MAX_LISTED]]
    blocks: list[Block] = [section(f"*{escape(title)}*")]
    blocks += [section("\n".join(lines[i : i + 10])) for i in range(0, len(lines), 10)]
    if total > len(lines):
        blocks.append(context(f"Showing {len(lines)} of {total}. Narrow the list to see others."))
    return Message(text=f"{title}: {total}", blocks=blocks)


# --- registering ----------------------------------------------------------------------------


def registered(deal: DealView) -> Message:
    return plain(
        f"Registered *{escape(deal.external_id)}* · {escape(deal.account_name)} · "
        f"{amount(deal)} for {escape(deal.partner_name)}. It is pending "
        f"approval; you will hear here and in the partner's channel when it is decided."
    )


def duplicate(existing_id: str) -> Message:
    return plain(
        f"This account is already registered by the same partner: *{escape(existing_id)}*. "
        f"Nothing new was recorded; see `{COMMAND} status {escape(existing_id)}`."
    )


def registered_in_conflict(deal: DealView) -> Message:
    """To whoever registered: recorded, but the account is already registered (never by whom)."""
    return plain(
        f"*{escape(deal.external_id)}* · {escape(deal.account_name)} is recorded, but this "
        f"account is already registered with us. A partner manager will review both claims "
        f"(first come, first served) and let you know."
    )


def registration_problem(problem: str) -> Message:
    return plain(f"Not registered: {problem}")


# --- cards for managers ---------------------------------------------------------------------


def card_value(external_id: str, claims: str) -> str:
    """A card button's value: the registration it decides and the claims version
    (``deals.decisions.claims_version``) the card was rendered from."""
    return f"{external_id} {claims}"


def read_card_value(value: str) -> tuple[str, str]:
    """The registration and claims version of a :func:`card_value`; a value without a version
    (a card posted before versions) gives "", which never matches: the card is shown afresh."""
    external_id, _, claims = value.strip().partition(" ")
    return external_id, claims


def approval_card(deal: DealView, routed_to: str, claims: str) -> Message:
    """The card a pending registration's approver decides on; ``claims``: what it shows."""
    value = card_value(deal.external_id, claims)
    buttons = actions(
        [
            button("Approve", APPROVE, value, style="primary"),
            button("Reject", REJECT, value, style="danger"),
        ],
        f"decide:{deal.external_id}",
    )
    return Message(
        text=f"Registration to approve: {deal.external_id} {deal.account_name}",
        blocks=[
            section(f"*Registration to approve*\n{_headline(deal)}"),
            section("\n".join(_facts(deal))),
            buttons,
            context(f"Routed to {routed_to} by the program's approval rules."),
        ],
    )


def conflict_card(deals: Sequence[DealView], claims: str) -> Message:
    """Side by side, earliest first: the default winner is the first. ``claims``: the claims
    version it shows."""
    shown = list(deals[:MAX_CONFLICT_ROWS])
    first = shown[0]
    blocks: list[Block] = [
        section(
            f"⚠️ *Channel conflict* over {escape(first.account_name)}: {len(deals)} partners "
            f"registered this account. First come, first served suggests "
            f"*{escape(first.partner_name)}* ({escape(first.external_id)})."
        ),
        divider(),
    ]
    for rank, deal in enumerate(shown):
        label = "first" if rank == 0 else f"#{rank + 1}"
        blocks.append(
            section(
                f"*{escape(deal.partner_name)}* · `{escape(deal.external_id)}` ({label})\n"
                f"{amount(deal)} · {escape(deal.account_name)}"
                f"{' · ' + escape(deal.account_domain) if deal.account_domain else ''}\n"
                f"registered {day(deal.registered_at)} by {person(deal.registered_by)}",
                button(
                    f"Award to {deal.partner_name}",
                    AWARD,
                    card_value(deal.external_id, claims),
                    style="primary" if rank == 0 else None,
                ),
            )
        )
    blocks.append(
        actions(
            [
                button(
                    "Reject all", REJECT_ALL, card_value(first.external_id, claims), style="danger"
                )
            ],
            f"conflict:{first.external_id}",
        )
    )
    if len(deals) > len(shown):
        blocks.append(context(f"{len(deals) - len(shown)} more claims are not shown."))
    return Message(text=f"Channel conflict over {first.account_name}", blocks=blocks)


def decided_card(deals: Sequence[DealView]) -> Message:
    """What an approval or conflict card becomes once decided: the outcome, no buttons."""
    lines = [_outcome_line(deal) for deal in deals]
    return Message(text=lines[0], blocks=[section("\n".join(lines))])


def _outcome_line(deal: DealView) -> str:
    by = f" by {person(deal.decided_by)}" if deal.decided_by else ""
    head = (
        f"{_STATUS_MARK[deal.status]} *{escape(deal.external_id)}* · "
        f"{escape(deal.account_name)} · {escape(deal.partner_name)}: {deal.status.value}{by}"
    )
    if deal.status is DealStatus.APPROVED and deal.expires_at:
        return f"{head}, protected until {day(deal.expires_at)}"
    if deal.decision_reason:
        return f"{head}. Reason: {escape(deal.decision_reason)}"
    return head


# --- a partner's channel --------------------------------------------------------------------


def _subject(deal: DealView) -> str:
    return f"*{escape(deal.external_id)}* · {escape(deal.account_name)}"


def notice_registered(deal: DealView) -> Message:
    return plain(
        f"📝 {person(deal.registered_by)} registered {_subject(deal)} · "
        f"{amount(deal)}. It is pending approval."
    )


def notice_conflict_new(deal: DealView) -> Message:
    return plain(
        f"⚠️ {_subject(deal)} is recorded, but this account is already registered with us. "
        f"A partner manager will review and let you know."
    )


def notice_conflict_earlier(deal: DealView) -> Message:
    return plain(
        f"⚠️ Another registration of an account you registered has come in: {_subject(deal)}. "
        f"Yours came first; a partner manager will review and let you know."
    )


def notice_decided(deal: DealView) -> Message:
    subject = _subject(deal)
    if deal.status is DealStatus.APPROVED:
        return plain(f"✅ {subject} is approved: protected until {day(deal.expires_at)}.")
    if deal.status is DealStatus.REJECTED:
        reason = f" Reason: {escape(deal.decision_reason)}" if deal.decision_reason else ""
        return plain(f"❌ {subject} was not approved.{reason}")
    return plain(f"{_STATUS_MARK[deal.status]} {subject} is now {deal.status.value}.")


def notice_extended(deal: DealView) -> Message:
    return plain(f"⏳ {_subject(deal)}: protection extended to {day(deal.expires_at)}.")
