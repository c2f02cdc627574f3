"""``/deal``: deal registration from Slack — the slash command, the registration and rejection
modals, the approval and conflict card buttons, and the partner pickers' option lists.

Every listener acknowledges first and works afterwards (the app runs with
``process_before_response=False``, so Bolt answers Slack as soon as ``ack()`` is called and the
rest runs on the listener executor): identity checks and database work never race Slack's
3-second window; the slash command's answer comes in the acknowledgement itself when it is ready
soon enough (``answer_command``). Who is asking is decided from the user id Slack sends, its
team verified through ``users.info`` (``bot.identity``), on every request, and what they may do
by each listener's rule (``_access``). (The partner pickers' option lists are the exception:
their answer *is* the acknowledgement.)
"""

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.commands._access import (
    Asker,
    Rule,
    anyone,
    as_asker,
    each,
    known,
    not_stranger,
    staff_only,
)
from bot.commands._deal_args import (
    Approve,
    DealCommand,
    Extend,
    Help,
    ListDeals,
    OpenRegisterForm,
    RegisterInline,
    Reject,
    Status,
    Usage,
    parse,
)
from bot.commands._deal_desk import Clicked, DealDesk, Decision, Registration
from bot.commands._deal_form import read_registration
from bot.commands._listeners import AnswerLater, Click, answer_command, answer_submission, button
from bot.commands._values import metadata as read_metadata
from bot.commands._values import state_values
from bot.deps import Deps
from deals import field_lengths as lengths
from deals.lookup import parse_deal_id
from deals.partner_lookup import search_partners
from messages import deal_messages as messages
from messages import deal_modals as modals
from messages import registration_notices as notices
from messages.blocks import Message
from messages.malformed import out_of_date

COMMAND = messages.COMMAND
MAX_OPTIONS = 50

logger = logging.getLogger(__name__)

KNOWN = known(COMMAND)
DECIDERS = staff_only("decide registrations")
"""Who may press a card's buttons (``deals.routing`` then says which staff, per registration)."""
PICKERS = staff_only("search partners")
"""Who may list partners by name (refused with an empty list: options have no text)."""
FORM_CHANGED = "This form is out of date or was changed: close it and start again."


def _rule(parsed: DealCommand) -> Rule:
    """Help for anyone (a stranger learns how to get access); usage for anyone we can place;
    decisions for staff; the rest for people we know."""
    if isinstance(parsed, Help):
        return anyone
    if isinstance(parsed, Usage):
        return not_stranger
    if isinstance(parsed, (Approve, Reject, Extend)):
        return each(KNOWN, DECIDERS)
    return KNOWN


def _clicked(body: dict[str, Any], action: dict[str, Any]) -> tuple[str, Clicked] | None:
    """The registration a card's button decides, and the card: where it is and the claims
    version it was rendered from; None when the button's value names no registration."""
    value = action.get("value")
    deal_id, claims = messages.read_card_value(value if isinstance(value, str) else "")
    if parse_deal_id(deal_id) != deal_id:
        return None
    container = body.get("container") or {}
    return deal_id, Clicked(
        container.get("channel_id", ""), container.get("message_ts", ""), claims
    )


def _command_answer(desk: DealDesk, parsed: DealCommand, command: dict[str, str]) -> Message | None:
    """The ephemeral answer to ``/deal`` for someone its rule let in; None when the answer is a
    modal instead."""
    match parsed:
        case Help():
            return messages.deal_help(desk.who.kind.value)
        case Usage():
            return messages.deal_usage_error(parsed.problem, desk.who.kind.value, parsed.subcommand)
        case OpenRegisterForm():
            return _open_register_form(desk, command)
        case RegisterInline():
            form = Registration(
                account_name=parsed.account_name,
                domain=parsed.domain,
                amount=parsed.amount,
                currency=parsed.currency,
                partner_text=parsed.partner,
            )
            return desk.register(form)
        case Status():
            return desk.status(parsed.deal_id)
        case ListDeals():
            return desk.listing(parsed.scope, parsed.partner)
        case Approve():
            return desk.decide("approve", parsed.deal_id).answer
        case Reject():
            return desk.decide("reject", parsed.deal_id, reason=parsed.reason).answer
        case Extend():
            return desk.decide("extend", parsed.deal_id, days=parsed.days).answer
    raise AssertionError(f"unhandled {parsed!r}")


def _open_register_form(desk: DealDesk, command: dict[str, str]) -> Message | None:
    program, who = desk.program, desk.who
    currencies = list(dict.fromkeys([program.info.currency, *sorted(program.currencies)]))
    view = modals.register_modal(
        for_staff=who.is_staff,
        partner_name=who.partner_name,
        currencies=currencies,
        metadata={"channel": command.get("channel_id", "")},
    )
    try:
        desk.client.views_open(trigger_id=command["trigger_id"], view=view)
    except (SlackApiError, SlackClientError, OSError) as error:
        logger.warning("views.open failed: %s", error)
        return messages.form_failed()
    return None


def register(app: App, deps: Deps) -> None:
    """Attach ``/deal`` and its interactive parts to ``app``."""

    @app.command(COMMAND)
    def on_command(
        command: dict[str, str], respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        parsed = parse(command.get("text", ""))

        def work(asker: Asker, _later: AnswerLater) -> Message | None:  # every answer is quick
            return _command_answer(DealDesk(deps, asker), parsed, command)

        answer_command(respond, client, context, deps, command, _rule(parsed), work)

    @app.view(modals.REGISTER_VIEW)
    def on_register(
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        metadata = read_metadata(view)
        if metadata is None:
            ack(response_action="errors", errors={modals.ACCOUNT_NAME: FORM_CHANGED})
            return
        form = read_registration(state_values(view))
        if isinstance(form, dict):
            ack(response_action="errors", errors=form)
            return
        ack()
        user_id = body["user"]["id"]

        def work(asker: Asker) -> Message:
            return DealDesk(deps, asker).register(form)

        answer_submission(
            "registration form",
            deps,
            client,
            context,
            user_id,
            metadata.get("channel"),
            KNOWN,
            work,
        )

    def decide_from_card(decision: Decision) -> Click:
        def work(asker: Asker, body: dict[str, Any], action: dict[str, Any]) -> Message | None:
            clicked = _clicked(body, action)
            if clicked is None:
                return out_of_date()
            deal_id, card = clicked
            outcome = DealDesk(deps, asker).decide(decision, deal_id, card=card)
            return None if outcome.changed else outcome.answer

        return work

    def ask_reason(whole_conflict: bool) -> Click:
        def work(asker: Asker, body: dict[str, Any], action: dict[str, Any]) -> Message | None:
            clicked = _clicked(body, action)
            if clicked is None:
                return out_of_date()
            deal_id, card = clicked
            allowed = DealDesk(deps, asker).may_decide(deal_id)
            if isinstance(allowed, Message):
                return allowed
            metadata = {
                "deal": deal_id,
                "all": "1" if whole_conflict else "",
                "channel": card.channel,
                "ts": card.ts,
                "claims": card.claims,
            }
            view = modals.reject_modal(deal_id, whole_conflict=whole_conflict, metadata=metadata)
            asker.client.views_open(trigger_id=body["trigger_id"], view=view)
            return None

        return work

    @app.view(modals.REJECT_VIEW)
    def on_reject_reason(
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        metadata = read_metadata(view)
        if metadata is None or parse_deal_id(metadata.get("deal", "")) != metadata.get("deal", ""):
            ack(response_action="errors", errors={modals.REASON: FORM_CHANGED})
            return
        reason = state_values(view).get(modals.REASON, {}).get(modals.REASON, {}).get("value")
        reason = reason if isinstance(reason, str) else ""
        problem = lengths.too_long("reason", reason.strip(), lengths.REASON)
        if not reason.strip() or problem:
            ack(
                response_action="errors",
                errors={modals.REASON: problem or "Say why: the partner reads it."},
            )
            return
        ack()
        user_id = body["user"]["id"]
        decision: Decision = "reject_all" if metadata.get("all") else "reject"

        card = Clicked(
            metadata.get("channel", ""), metadata.get("ts", ""), metadata.get("claims", "")
        )

        def work(asker: Asker) -> Message | None:
            outcome = DealDesk(deps, asker).decide(
                decision, metadata.get("deal", ""), reason=reason, card=card
            )
            return None if outcome.changed and card.channel and card.ts else outcome.answer

        answer_submission(
            "rejection", deps, client, context, user_id, metadata.get("channel"), DECIDERS, work
        )

    def partner_options(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        """Partners matching what staff typed; nobody else gets any names. The options are the
        acknowledgement, so this one listener works before acknowledging."""
        user_id = body["user"]["id"]

        def work(asker: Asker) -> list[dict[str, object]]:
            found = search_partners(asker.session, body.get("value", ""), limit=MAX_OPTIONS)
            return modals.partner_options(found)

        options: list[dict[str, object]] | Message = []
        try:
            options = as_asker(deps, client, context, user_id, PICKERS, work)
        except Exception:
            logger.exception("partner options failed for %s", user_id)
        ack(options=[] if isinstance(options, Message) else options)

    def card_button(what: str, work: Click) -> Callable[..., None]:
        return button(what, deps, lambda _action: DECIDERS, work)

    app.action(messages.APPROVE)(card_button("approve button", decide_from_card("approve")))
    app.action(messages.AWARD)(card_button("award button", decide_from_card("approve")))
    app.action(messages.REJECT)(card_button("reject button", ask_reason(whole_conflict=False)))
    app.action(messages.REJECT_ALL)(card_button("reject-all button", ask_reason(True)))

    def next_page(asker: Asker, _body: dict[str, Any], action: dict[str, Any]) -> Message:
        return DealDesk(deps, asker).next_page(action.get("value"))

    def extend(asker: Asker, body: dict[str, Any], action: dict[str, Any]) -> Message | None:
        container = body.get("container") or {}
        reminder = Clicked(container.get("channel_id", ""), container.get("message_ts", ""), "")
        posted = body.get("message") or {}
        return DealDesk(deps, asker).extend_from_reminder(action.get("value"), reminder, posted)

    app.action(messages.NEXT_PAGE)(button("next page", deps, lambda _: KNOWN, next_page))
    app.action(notices.EXTEND)(card_button("extend button", extend))
    app.options(modals.PARTNER)(partner_options)
    app.options(modals.INFLUENCERS)(partner_options)
