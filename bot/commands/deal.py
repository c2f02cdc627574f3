"""``/deal``: deal registration from Slack — the slash command, the registration and rejection
modals, the approval and conflict card buttons, and the partner pickers' option lists.

Every listener acknowledges first and works afterwards (the app runs with
``process_before_response=False``, so Bolt answers Slack as soon as ``ack()`` is called and the
rest runs on the listener executor): identity checks and database work never race Slack's
3-second window; the slash command's answer comes in the acknowledgement itself when it is ready
soon enough (``answer_command``). Who is asking is decided from the user id Slack sends, its
team verified through ``users.info`` (``bot.identity``), on every request.
"""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

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
from bot.commands._deal_desk import DealDesk, Decision, Registration
from bot.commands._deal_form import read_registration
from bot.commands._listeners import AnswerLater, Click, answer_command, button, guarded
from bot.deps import Deps
from bot.identity import Identity, Kind, identify_asker
from deals import field_limits as limits
from deals.partner_lookup import search_partners
from messages import deal_messages as messages
from messages import deal_modals as modals
from messages.blocks import Message, plain, stranger_refusal

COMMAND = messages.COMMAND
MAX_OPTIONS = 50

logger = logging.getLogger(__name__)


def unknown_member() -> Message:
    return plain(
        "I do not know you yet, so I can only show `/deal help`. Ask a partnerbot admin to add "
        "you to the people file (`partnerbot import people`)."
    )


@contextmanager
def _desk(
    deps: Deps, client: WebClient, context: BoltContext, user_id: str
) -> Iterator[tuple[DealDesk, Identity]]:
    with deps.session_factory.begin() as session:
        who = identify_asker(session, client, deps.teams, context, user_id)
        yield DealDesk(deps, client, session), who


def _tell(client: WebClient, user_id: str, channel: str | None, message: Message) -> None:
    """An answer to someone who submitted a modal: ephemeral where they started, else a DM."""
    try:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user_id, **message.as_post())
            return
    except (SlackApiError, SlackClientError, OSError) as error:
        logger.warning("ephemeral answer to %s in %s failed: %s", user_id, channel, error)
    try:
        client.chat_postMessage(channel=user_id, **message.as_post())
    except (SlackApiError, SlackClientError, OSError) as error:
        logger.error("could not answer %s: %s", user_id, error)


def _command_answer(
    desk: DealDesk, who: Identity, parsed: DealCommand, command: dict[str, str]
) -> Message | None:
    """The ephemeral answer to ``/deal``; None when the answer is a modal instead."""
    if who.is_stranger:
        return stranger_refusal()
    if isinstance(parsed, Help):
        return messages.deal_help()
    if isinstance(parsed, Usage):
        return messages.deal_usage_error(parsed.problem, parsed.subcommand)
    if who.kind is Kind.MEMBER:
        return unknown_member()
    match parsed:
        case OpenRegisterForm():
            return _open_register_form(desk, who, command)
        case RegisterInline():
            form = Registration(
                account_name=parsed.account_name,
                domain=parsed.domain,
                amount=parsed.amount,
                currency=parsed.currency,
                partner_text=parsed.partner,
            )
            return desk.register(who, form)
        case Status():
            return desk.status(who, parsed.deal_id)
        case ListDeals():
            return desk.listing(who, parsed.scope, parsed.partner)
        case Approve():
            return desk.decide(who, "approve", parsed.deal_id).answer
        case Reject():
            return desk.decide(who, "reject", parsed.deal_id, reason=parsed.reason).answer
        case Extend():
            return desk.decide(who, "extend", parsed.deal_id, days=parsed.days).answer
    raise AssertionError(f"unhandled {parsed!r}")


def _open_register_form(desk: DealDesk, who: Identity, command: dict[str, str]) -> Message | None:
    program = desk.program
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
        return plain(
            "I could not open the form. Try again, or register in one line: "
            "`/deal register Acme Corp acme.com 48000`."
        )
    return None


def register(app: App, deps: Deps) -> None:
    """Attach ``/deal`` and its interactive parts to ``app``."""

    @app.command(COMMAND)
    def on_command(
        ack: Ack, command: dict[str, str], respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        user_id = command["user_id"]
        parsed = parse(command.get("text", ""))

        def work(_later: AnswerLater) -> Message | None:  # every answer is quick
            with _desk(deps, client, context, user_id) as (desk, who):
                return _command_answer(desk, who, parsed, command)

        answer_command(ack, respond, deps, COMMAND, user_id, work)

    @app.view(modals.REGISTER_VIEW)
    def on_register(
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        form = read_registration(view["state"]["values"])
        if isinstance(form, dict):
            ack(response_action="errors", errors=form)
            return
        ack()
        user_id = body["user"]["id"]
        metadata = json.loads(view.get("private_metadata") or "{}")

        def work() -> Message:
            with _desk(deps, client, context, user_id) as (desk, who):
                if who.kind not in (Kind.STAFF, Kind.PARTNER):
                    return stranger_refusal()
                return desk.register(who, form)

        message = guarded("registration form", user_id, work)
        assert message is not None
        _tell(client, user_id, metadata.get("channel"), message)

    def decide_from_card(decision: Decision) -> Click:
        def work(
            body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
        ) -> Message | None:
            card = body.get("container") or {}
            with _desk(deps, client, context, body["user"]["id"]) as (desk, who):
                outcome = desk.decide(who, decision, action["value"])
            if not outcome.changed:
                return outcome.answer
            client.chat_update(
                channel=card["channel_id"],
                ts=card["message_ts"],
                **messages.decided_card(outcome.changed).as_post(),
            )
            return None

        return work

    def ask_reason(whole_conflict: bool) -> Click:
        def work(
            body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
        ) -> Message | None:
            deal_id, card = action["value"], body.get("container") or {}
            with _desk(deps, client, context, body["user"]["id"]) as (desk, who):
                allowed = desk.may_decide(who, deal_id)
            if isinstance(allowed, Message):
                return allowed
            metadata = {
                "deal": deal_id,
                "all": "1" if whole_conflict else "",
                "channel": card.get("channel_id", ""),
                "ts": card.get("message_ts", ""),
            }
            view = modals.reject_modal(deal_id, whole_conflict=whole_conflict, metadata=metadata)
            client.views_open(trigger_id=body["trigger_id"], view=view)
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
        reason = (view["state"]["values"].get(modals.REASON, {}).get(modals.REASON) or {}).get(
            "value"
        ) or ""
        problem = limits.too_long("reason", reason.strip(), limits.REASON)
        if not reason.strip() or problem:
            ack(
                response_action="errors",
                errors={modals.REASON: problem or "Say why: the partner reads it."},
            )
            return
        ack()
        user_id = body["user"]["id"]
        metadata = json.loads(view.get("private_metadata") or "{}")
        decision: Decision = "reject_all" if metadata.get("all") else "reject"

        def work() -> Message | None:
            with _desk(deps, client, context, user_id) as (desk, who):
                outcome = desk.decide(who, decision, metadata.get("deal", ""), reason=reason)
            if outcome.changed and metadata.get("channel") and metadata.get("ts"):
                client.chat_update(
                    channel=metadata["channel"],
                    ts=metadata["ts"],
                    **messages.decided_card(outcome.changed).as_post(),
                )
                return None
            return outcome.answer

        message = guarded("rejection", user_id, work)
        if message is not None:
            _tell(client, user_id, metadata.get("channel"), message)

    def partner_options(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        """Partners matching what staff typed; nobody else gets any names."""
        user_id = body["user"]["id"]
        options: list[dict[str, object]] = []
        try:
            with _desk(deps, client, context, user_id) as (desk, who):
                if who.is_staff:
                    found = search_partners(desk.session, body.get("value", ""), limit=MAX_OPTIONS)
                    options = [
                        {
                            "text": {
                                "type": "plain_text",
                                "text": f"{p.name} · {p.region} · {p.tier}"[:75],
                            },
                            "value": str(p.id),
                        }
                        for p in found
                    ]
        except Exception:
            logger.exception("partner options failed for %s", user_id)
        ack(options=options)

    app.action(messages.APPROVE)(button("approve button", decide_from_card("approve")))
    app.action(messages.AWARD)(button("award button", decide_from_card("approve")))
    app.action(messages.REJECT)(button("reject button", ask_reason(whole_conflict=False)))
    app.action(messages.REJECT_ALL)(button("reject-all button", ask_reason(whole_conflict=True)))
    app.options(modals.PARTNER)(partner_options)
    app.options(modals.INFLUENCERS)(partner_options)
