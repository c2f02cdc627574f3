"""Messages about deal registrations: ``/deal`` answers, the approval and conflict cards
managers act on, and the announcements in a partner's channel.

What a partner reads never names another partner nor another partner's amount: conflict
notices say only that the account is already registered, influence partners are counted, not
named, and an account is called by the name the partner typed — the account itself keeps the
name of whoever registered it first. Staff (``staff=True``) see both names and every partner.
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
from messages.partner_visible import partner_visible
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


@partner_visible
def deal_help() -> Message:
    intro = f"*{COMMAND}*: deal registration without leaving Slack."
    return Message(text=f"{COMMAND} usage", blocks=[section(f"{intro}\n{_usage_lines()}")])


@partner_visible
def deal_usage_error(problem: str, subcommand: str | None = None) -> Message:
    """What was wrong with the command, then how to write it."""
    usage = _usage_lines(subcommand) or _usage_lines()
    return Message(text=f"{COMMAND}: {problem}", blocks=[section(problem), section(usage)])


def amount(deal: DealView) -> str:
    """A registration's amount as entered: with its cents, when it has any."""
    return money(deal.amount, deal.currency, cents=True)


def account(deal: DealView, *, staff: bool = False) -> str:
    """The account's name, escaped, for its reader: the name the registration typed; for staff
    the account's own name too when another registration named it first."""
    typed = escape(deal.account_name_as_registered)
    if not staff or deal.account_name == deal.account_name_as_registered:
        return typed
    return f"{escape(deal.account_name)} (registered as {typed})"


def _influencers(deal: DealView, *, staff: bool) -> str:
    """Staff read the influence partners' names; a partner only how many others there are."""
    if staff:
        return escape(", ".join(deal.influencers))
    count = len(deal.influencers)
    return f"{count} other partner{'s' if count > 1 else ''}"


def _headline(deal: DealView, *, staff: bool) -> str:
    domain = f" ({escape(deal.account_domain)})" if deal.account_domain else ""
    mark = _STATUS_MARK[deal.status]
    return (
        f"{mark} *{escape(deal.external_id)}* · {account(deal, staff=staff)}{domain} · "
        f"*{deal.status.value}*"
    )


def _facts(deal: DealView, *, staff: bool) -> list[str]:
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
        facts.append(f"*Influence partners:* {_influencers(deal, staff=staff)}")
    return facts


@partner_visible
def deal_status(deal: DealView, *, staff: bool) -> Message:
    """``/deal status``: everything recorded about one registration that its reader may see."""
    blocks: list[Block] = [
        section(_headline(deal, staff=staff)),
        section("\n".join(_facts(deal, staff=staff))),
    ]
    if deal.notes:
        blocks.append(context(f"Notes: {escape(deal.notes)}"))
    return Message(text=f"{escape(deal.external_id)}: {deal.status.value}", blocks=blocks)


@partner_visible
def deal_not_found(deal_id: str) -> Message:
    """The same words for "no such registration" and "not one of yours"."""
    return plain(f"I found no registration {code(deal_id)} that you can see.")


def _list_line(deal: DealView, staff: bool) -> str:
    partner = f" · {escape(deal.partner_name)}" if staff else ""
    expiry = (
        f" · until {day(deal.expires_at)}"
        if deal.status is DealStatus.APPROVED and deal.expires_at
        else ""
    )
    return (
        f"{_STATUS_MARK[deal.status]} `{escape(deal.external_id)}` {account(deal, staff=staff)}"
        f" · {amount(deal)} · {deal.status.value}{expiry}{partner}"
    )


@partner_visible
def deal_list(title: str, deals: Sequence[DealView], total: int, *, staff: bool) -> Message:
    """A list of registrations, ten lines a section, at most ``MAX_LISTED`` lines; staff see
    whose each is."""
    if not deals:
        return plain(f"{escape(title)}: none.")
    lines = [_list_line(deal, staff) for deal in deals[:MAX_LISTED]]
    blocks: list[Block] = [section(f"*{escape(title)}*")]
    blocks += [section("\n".join(lines[i : i + 10])) for i in range(0, len(lines), 10)]
    if total > len(lines):
        blocks.append(context(f"Showing {len(lines)} of {total}. Narrow the list to see others."))
    return Message(text=f"{escape(title)}: {total}", blocks=blocks)


@partner_visible
def own_list_only() -> Message:
    return plain(f"You can list your own partner's registrations: try `{COMMAND} list`.")


# --- registering ----------------------------------------------------------------------------


@partner_visible
def registered(deal: DealView) -> Message:
    return plain(
        f"Registered *{escape(deal.external_id)}* · {account(deal)} · "
        f"{amount(deal)} for {escape(deal.partner_name)}. It is pending "
        f"approval; you will hear here and in the partner's channel when it is decided."
    )


@partner_visible
def duplicate(existing_id: str) -> Message:
    return plain(
        f"This account is already registered by the same partner: *{escape(existing_id)}*. "
        f"Nothing new was recorded; see `{COMMAND} status {escape(existing_id)}`."
    )


@partner_visible
def registered_in_conflict(deal: DealView) -> Message:
    """To whoever registered: recorded, but the account is already registered (never by whom)."""
    return plain(
        f"*{escape(deal.external_id)}* · {account(deal)} is recorded, but this "
        f"account is already registered with us. A partner manager will review both claims "
        f"(first come, first served) and let you know."
    )


@partner_visible
def registration_problem(problem: str) -> Message:
    return plain(f"Not registered: {problem}")


@partner_visible
def form_failed() -> Message:
    return plain(
        "I could not open the form. Try again, or register in one line: "
        f"`{COMMAND} register Acme Corp acme.com 48000`."
    )


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
        text=f"Registration to approve: {escape(deal.external_id)} {escape(deal.account_name)}",
        blocks=[
            section(f"*Registration to approve*\n{_headline(deal, staff=True)}"),
            section("\n".join(_facts(deal, staff=True))),
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
                f"{amount(deal)} · {account(deal, staff=True)}"
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
    return Message(text=f"Channel conflict over {escape(first.account_name)}", blocks=blocks)


def decided_card(deals: Sequence[DealView]) -> Message:
    """What an approval or conflict card becomes once decided: the outcome, no buttons."""
    lines = [_outcome_line(deal) for deal in deals]
    return Message(text=lines[0], blocks=[section("\n".join(lines))])


def _outcome_line(deal: DealView) -> str:
    by = f" by {person(deal.decided_by)}" if deal.decided_by else ""
    head = (
        f"{_STATUS_MARK[deal.status]} *{escape(deal.external_id)}* · "
        f"{account(deal, staff=True)} · {escape(deal.partner_name)}: {deal.status.value}{by}"
    )
    if deal.status is DealStatus.APPROVED and deal.expires_at:
        return f"{head}, protected until {day(deal.expires_at)}"
    if deal.decision_reason:
        return f"{head}. Reason: {escape(deal.decision_reason)}"
    return head


# --- a partner's channel --------------------------------------------------------------------


def subject(deal: DealView, *, staff: bool = False) -> str:
    """A registration in a sentence: its id and its account, named for the reader."""
    return f"*{escape(deal.external_id)}* · {account(deal, staff=staff)}"


@partner_visible
def notice_registered(deal: DealView) -> Message:
    return plain(
        f"📝 {person(deal.registered_by)} registered {subject(deal)} · "
        f"{amount(deal)}. It is pending approval."
    )


@partner_visible
def notice_conflict_new(deal: DealView) -> Message:
    return plain(
        f"⚠️ {subject(deal)} is recorded, but this account is already registered with us. "
        f"A partner manager will review and let you know."
    )


@partner_visible
def notice_conflict_earlier(deal: DealView) -> Message:
    return plain(
        f"⚠️ Another registration of an account you registered has come in: {subject(deal)}. "
        f"Yours came first; a partner manager will review and let you know."
    )


@partner_visible
def notice_decided(deal: DealView) -> Message:
    said = subject(deal)
    if deal.status is DealStatus.APPROVED:
        return plain(f"✅ {said} is approved: protected until {day(deal.expires_at)}.")
    if deal.status is DealStatus.REJECTED:
        reason = f" Reason: {escape(deal.decision_reason)}" if deal.decision_reason else ""
        return plain(f"❌ {said} was not approved.{reason}")
    return plain(f"{_STATUS_MARK[deal.status]} {said} is now {deal.status.value}.")


@partner_visible
def notice_extended(deal: DealView) -> Message:
    return plain(f"⏳ {subject(deal)}: protection extended to {day(deal.expires_at)}.")
