"""Messages about deal registrations: ``/deal`` answers, the approval and conflict cards
managers act on, and the announcements in a partner's channel.

What a partner reads never names another partner nor another partner's amount: conflict
notices say only that the account is already registered, influence partners are counted, not
named, and an account is called by the name the partner typed — the account itself keeps the
name of whoever registered it first. Staff (``staff=True``) see both names and every partner.
"""

from collections.abc import Sequence
from typing import Literal

from slack_sdk.models.blocks import Block

from deals.lookup import DealView
from insights.metric_display import money
from messages.blocks import (
    Message,
    actions,
    button,
    code,
    confirm,
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

Audience = Literal["staff", "partner", "member", "stranger"]
"""Whom a help text is for: the values of ``bot.identity.Kind``."""

DEAL_SUBCOMMANDS: tuple[tuple[str, str, bool], ...] = (
    ("register", "register a deal in a form", False),
    ("register ACCOUNT DOMAIN AMOUNT [CURRENCY] [for PARTNER]", "register in one line", False),
    ("status DEAL-ID", "where a registration stands", False),
    ("list [mine|pending|expiring|PARTNER]", "registrations you can see", False),
    ("approve DEAL-ID", "approve a pending registration", True),
    ("reject DEAL-ID REASON", "reject a pending registration", True),
    ("extend DEAL-ID DAYS", "extend an approved registration's protection", True),
    ("help", "this help", False),
)
"""Usage, what it does, and whether it is for staff (partner managers, leadership) only."""

APPROVE = "deal_approve"
REJECT = "deal_reject"
AWARD = "deal_award"
REJECT_ALL = "deal_reject_all"
NEXT_PAGE = "deal_list_next"

_STATUS_MARK = {
    DealStatus.PENDING: "🕓",
    DealStatus.APPROVED: "✅",
    DealStatus.REJECTED: "❌",
    DealStatus.CONFLICT: "⚠️",
    DealStatus.WON: "🏆",
    DealStatus.LOST: "➖",
    DealStatus.EXPIRED: "⌛",
}


def _usage_lines(audience: Audience, subcommand: str | None = None) -> str:
    """The usage of what ``audience`` may use (of ``subcommand``, when given)."""
    lines = [
        f"`{COMMAND} {usage}`  {what}"
        for usage, what, staff in DEAL_SUBCOMMANDS
        if (audience == "staff" or not staff)
        and (subcommand is None or usage.split(" ", 1)[0] == subcommand)
    ]
    return "\n".join(lines)


def how_to_join(audience: Audience) -> str | None:
    """How someone partnerbot does not know yet gets access; None for those it knows."""
    if audience == "member":
        return (
            "I do not know you yet: ask a partnerbot admin to add you to the people file "
            "(`partnerbot import people`), then ask for help again to see what you can do."
        )
    if audience == "stranger":
        return (
            "partnerbot serves our partners' contacts and our partner team. If you work with "
            "one of our partners, ask your partner manager to add your Slack account."
        )
    return None


@partner_visible
def deal_help(audience: Audience) -> Message:
    """The commands ``audience`` may use; to someone not known yet, how to get access."""
    intro = f"*{COMMAND}*: deal registration without leaving Slack."
    body = how_to_join(audience) or _usage_lines(audience)
    return Message(text=f"{COMMAND} usage", blocks=[section(f"{intro}\n{body}")])


@partner_visible
def deal_usage_error(problem: str, audience: Audience, subcommand: str | None = None) -> Message:
    """What was wrong with the command, then how to write it (what ``audience`` may use)."""
    usage = _usage_lines(audience, subcommand) or _usage_lines(audience)
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


def sentence(text: str) -> str:
    """``text`` ended by a period, unless it ends with one already ("Partners N.V.")."""
    return text if text.endswith(".") else f"{text}."


def registered_by(deal: DealView) -> str:
    """Who registered: a person, or that it came in with a CRM import (no one in Slack)."""
    if deal.registered_by is None:
        return "imported from the CRM"
    return f"by {person(deal.registered_by)}"


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
        f"*Registered:* {day(deal.registered_at)} {registered_by(deal)}",
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
def deal_list(
    title: str,
    deals: Sequence[DealView],
    total: int,
    *,
    staff: bool,
    why_none: str | None = None,
    offset: int = 0,
    next_value: str | None = None,
) -> Message:
    """A page of registrations from ``offset`` on, ten lines a section, at most ``MAX_LISTED``
    lines, and a "Next" button (``next_value``) when more follow; staff see whose each is.
    An empty list says ``why_none`` (mrkdwn in the caller's own words)."""
    if not deals and offset:
        return plain(f"{escape(title)}: no more; all {total} were shown.")
    if not deals:
        why = f": {why_none}" if why_none else ""
        return plain(f"{escape(title)}: none{why}.")
    lines = [_list_line(deal, staff) for deal in deals[:MAX_LISTED]]
    blocks: list[Block] = [section(f"*{escape(title)}*")]
    blocks += [section("\n".join(lines[i : i + 10])) for i in range(0, len(lines), 10)]
    last = offset + len(lines)
    if total > len(lines):
        blocks.append(context(f"Showing {offset + 1}–{last} of {total}."))
    if total > last and next_value:
        shown = min(MAX_LISTED, total - last)
        blocks.append(actions([button(f"Next {shown}", NEXT_PAGE, next_value)], "deal_list_page"))
    return Message(text=f"{escape(title)}: {total}", blocks=blocks)


@partner_visible
def own_list_only() -> Message:
    return plain(f"You can list your own partner's registrations: try `{COMMAND} list`.")


# --- registering ----------------------------------------------------------------------------


@partner_visible
def registered(deal: DealView) -> Message:
    return plain(
        f"Registered *{escape(deal.external_id)}* · {account(deal)} · "
        f"{amount(deal)} for {sentence(escape(deal.partner_name))} It is pending "
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
    sure = confirm(
        f"Approve {deal.external_id}?",
        f"{deal.partner_name} is told at once and the account is protected for them; "
        "an approval cannot be undone here.",
        "Approve",
        "Cancel",
    )
    buttons = actions(
        [
            button("Approve", APPROVE, value, style="primary", confirm=sure),
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
                f"registered {day(deal.registered_at)} {registered_by(deal)}",
                button(
                    f"Award to {deal.partner_name}",
                    AWARD,
                    card_value(deal.external_id, claims),
                    style="primary" if rank == 0 else None,
                    confirm=confirm(
                        f"Award to {deal.partner_name}?",
                        f"{deal.external_id} is approved and the other {len(deals) - 1} "
                        "claim(s) rejected; every partner is told at once. This cannot be "
                        "undone here.",
                        "Award",
                        "Cancel",
                    ),
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
        f"⚠️ Another registration of an account you registered has come in: "
        f"{sentence(subject(deal))} "
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
