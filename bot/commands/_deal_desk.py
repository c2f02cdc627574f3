"""What ``/deal`` and its buttons and modals do once Slack's request is acknowledged: check who
may do what, call the registration domain, and send the cards and announcements that follow.

Access rules, in one place:

* staff (managers, leadership) see every registration; partner contacts only their own
  partner's, and "not yours" is answered with the same words as "no such registration";
* staff register for a partner they name; a partner contact only for their own partner;
* only the routed approver (or, for a channel route, any manager), or leadership, decides;
* everyone else (unmapped users of other teams, unknown members of ours) is refused by the
  listeners' rules (``_access``) before a desk is made.

A desk works in its asker's unit of work; what it posts to Slack besides the answer (cards,
notices, updates of cards) it queues in the outbox in that unit of work, under keys naming the
registration or decision, so each goes out exactly once, right after the commit or, when Slack
fails then, from the worker.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal
from uuid import uuid4

from sqlalchemy import func, select

from bot.commands._access import Asker, names_own_partner, partner_named
from bot.commands._deal_args import ListScope
from bot.commands._values import page_value, read_extend_value, read_page_value
from bot.deps import Deps
from bot.identity import Kind
from deals import decisions
from deals.cards import CardCopy, card_copies, record_card
from deals.lookup import DealFilter, DealView, deal_view, find_deals
from deals.registration import RegistrationRequest, register
from deals.routing import may_decide, route_for, target
from messages import deal_messages as messages
from messages import registration_notices as notices
from messages.blocks import Message, code, day, escape, plain, where
from messages.malformed import out_of_date
from models import DealRegistration, DealStatus, Partner
from models.enums import ACTIVE_DEAL_STATUSES

Decision = Literal["approve", "reject", "reject_all", "extend"]


@dataclass(frozen=True)
class Registration:
    """A registration as typed or filled in, before it is checked."""

    account_name: str
    domain: str | None
    amount: Decimal
    currency: str | None
    partner_id: int | None = None
    partner_text: str | None = None
    expected_close: date | None = None
    product: str | None = None
    notes: str | None = None
    influence_partner_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Clicked:
    """The card a decision was made on: where it is (either may be "" when not known) and the
    claims version it was rendered from."""

    channel: str
    ts: str
    claims: str


@dataclass
class Outcome:
    """The answer for the person who asked, and the registrations a decision changed."""

    answer: Message
    changed: list[DealView] = field(default_factory=list)


class DealDesk:
    """One request's worth of deal work for its asker, on the asker's session and client."""

    def __init__(self, deps: Deps, asker: Asker) -> None:
        self.deps = deps
        self.asker = asker
        self.who = asker.who
        self.session = asker.session
        self.client = asker.client
        self.program = deps.program

    # --- time and posting --------------------------------------------------------------------

    def today(self) -> date:
        """Today in the program's time zone: expiry dates are the program's days."""
        return self.program.today()

    def post(self, channel: str | None, key: str, kind: str, message: Message) -> None:
        """Queue ``message`` for a channel or user in the work's transaction (the outbox
        delivers it exactly once, at once when Slack answers); ``key`` names it."""
        if channel:
            self.asker.queue(key=key, kind=kind, channel=channel, message=message)

    def post_card(self, channel: str | None, key: str, card: Message, shows: list[str]) -> None:
        """Queue a card about the registrations ``shows`` and remember it by its outbox key,
        so a decision updates every copy, posted by then or not."""
        if channel:
            self.asker.queue(key=key, kind="deal_card", channel=channel, message=card)
            record_card(self.session, shows, channel, outbox_key=key)

    def update_card(self, copy: CardCopy, key: str, card: Message) -> None:
        """Queue the replacement of a card: at its ts once posted, else once its post is."""
        self.asker.queue(
            key=key,
            kind="deal_card_update",
            channel=copy.channel,
            message=card,
            update_of=None if copy.ts else copy.outbox_key,
            update_ts=copy.ts,
        )

    # --- reading ---------------------------------------------------------------------------

    def visible(self, deal_id: str) -> DealView | None:
        deal = deal_view(self.session, deal_id)
        if deal is None or self.who.is_staff or deal.partner_id == self.who.partner_id:
            return deal
        return None

    def status(self, deal_id: str) -> Message:
        deal = self.visible(deal_id)
        if deal is None:
            return messages.deal_not_found(deal_id)
        return messages.deal_status(deal, staff=self.who.is_staff)

    def listing(self, scope: ListScope, partner_text: str | None) -> Message:
        """``/deal list``'s first page; a partner named by staff, or by a contact its own."""
        partner = None
        if scope == "partner":
            found = self._partner_for_list(partner_text or "")
            if isinstance(found, Message):
                return found
            partner = found
        return self.page(scope, partner, 0)

    def next_page(self, value: object) -> Message:
        """The page a list's "Next" button asks for (``messages.page_value``), if its value is
        one the bot made and names a partner its asker may list."""
        page = read_page_value(value)
        if page is None:
            return out_of_date()
        scope, partner_id, offset = page
        partner = None
        if partner_id is not None:
            if not self.who.is_staff and partner_id != self.who.partner_id:
                return messages.own_list_only()
            name = self.session.scalar(select(Partner.name).where(Partner.id == partner_id))
            if name is None:
                return out_of_date()
            partner = partner_id, name
        return self.page(scope, partner, offset)

    def page(self, scope: ListScope, partner: tuple[int, str] | None, offset: int) -> Message:
        """The registrations of a list from ``offset`` on, and why none when there are none."""
        who = self.who
        own = None if who.is_staff else who.partner_id
        active = tuple(ACTIVE_DEAL_STATUSES)
        match scope:
            case "mine" if who.is_staff:
                title = "Registrations of partners you manage"
                where = DealFilter(managed_by=who.user_id, statuses=active)
                managed = self.session.scalar(
                    select(func.count()).where(Partner.manager_slack_id == who.user_id)
                )
                why = (
                    f"none of the {managed} partner(s) you manage has an active registration"
                    if managed
                    else "no partners are assigned to you: a partner's manager is set in the "
                    "partners file (`manager_slack_id`)"
                )
            case "mine":
                title = "Registrations you made"
                where = DealFilter(partner_id=own, registered_by=who.user_id)
                why = (
                    f"you have registered none yet; `{messages.COMMAND} list` shows your partner's"
                )
            case "pending":
                title = "Waiting for a decision"
                where = DealFilter(
                    partner_id=own, statuses=(DealStatus.PENDING, DealStatus.CONFLICT)
                )
                why = "no registration is waiting for a decision"
            case "expiring":
                days = max(self.program.registration.reminder_days, default=14)
                title = f"Protection ending within {days} days"
                where = DealFilter(partner_id=own, expiring_by=self.today() + timedelta(days=days))
                why = f"no approved registration's protection ends within {days} days"
            case "partner" if partner is not None:
                title = f"Active registrations of {partner[1]}"
                where = DealFilter(partner_id=partner[0], statuses=active)
                why = "it has no pending, approved or conflicting registration"
            case _:
                title = "Your partner's active registrations" if own else "Active registrations"
                where = DealFilter(partner_id=own, statuses=active)
                why = "no registration is pending, approved or in conflict"
        deals, total = find_deals(self.session, where, limit=messages.MAX_LISTED, offset=offset)
        after = offset + messages.MAX_LISTED
        return messages.deal_list(
            title,
            deals,
            total,
            staff=who.is_staff,
            why_none=why,
            offset=offset,
            next_value=page_value(scope, partner[0] if partner else None, after),
        )

    def _partner_for_list(self, text: str) -> tuple[int, str] | Message:
        who = self.who
        if who.is_staff:
            return partner_named(self.session, text)
        if names_own_partner(self.session, who, text):
            assert who.partner_id is not None
            assert who.partner_name is not None
            return who.partner_id, who.partner_name
        return messages.own_list_only()

    # --- registering -----------------------------------------------------------------------

    def register(self, form: Registration) -> Message:
        """Record a registration and send what follows from it; the answer is for the asker."""
        who = self.who
        partner = self._registering_partner(form)
        if isinstance(partner, Message):
            return partner
        influencers = form.influence_partner_ids if who.is_staff else []
        if not self._partners_exist([partner, *influencers]):
            return out_of_date()  # picked from a list of partners: one was changed or deleted
        known = {self.program.info.currency, *self.program.currencies}
        currency = (form.currency or self.program.info.currency).upper()
        if currency not in known:
            return messages.registration_problem(
                f"this program takes amounts in {', '.join(sorted(known))}, not {code(currency)}."
            )
        outcome = register(
            self.session,
            RegistrationRequest(
                partner_id=partner,
                account_name=form.account_name.strip(),
                account_domain=form.domain,
                amount=form.amount,
                currency=currency,
                product=form.product,
                expected_close=form.expected_close,
                notes=form.notes,
                influence_partner_ids=influencers,
                registered_by=who.user_id,
            ),
            self.program,
            self.deps.registrations,
        )
        if outcome.kind == "duplicate":
            assert outcome.existing_external_id is not None
            return messages.duplicate(outcome.existing_external_id)
        assert outcome.external_id is not None
        deal = deal_view(self.session, outcome.external_id)
        assert deal is not None
        if outcome.kind == "registered":
            card = self._approval_card(deal)
            desk = target(route_for(self.program, deal.routing_subject))
            key = f"deal:{deal.external_id}"
            self.post_card(desk, f"{key}:card:{desk}", card, [deal.external_id])
            notice = messages.notice_registered(deal)
            self.post(deal.partner_channel, f"{key}:notice", "registration_notice", notice)
            return messages.registered(deal)
        rivals = [deal_view(self.session, i) for i in outcome.conflicting_ids]
        self._announce_conflict(deal, [r for r in rivals if r is not None])
        return messages.registered_in_conflict(deal)

    def _partners_exist(self, ids: list[int]) -> bool:
        found = self.session.scalars(select(Partner.id).where(Partner.id.in_(ids))).all()
        return set(found) == set(ids)

    def _claims(self, deal: DealView) -> str:
        return decisions.claims_version(self.session, deal, self.program, self.deps.registrations)

    def _approval_card(self, deal: DealView) -> Message:
        routed_to = where(target(route_for(self.program, deal.routing_subject)))
        return messages.approval_card(deal, routed_to, self._claims(deal))

    def _conflict_card(self, claims: list[DealView]) -> Message:
        """The claims side by side, earliest first (first come, first served)."""
        claims = sorted(claims, key=lambda d: (d.registered_at, d.external_id))
        return messages.conflict_card(claims, self._claims(claims[0]))

    def _registering_partner(self, form: Registration) -> int | Message:
        who = self.who
        if who.kind is Kind.PARTNER:
            assert who.partner_id is not None
            if form.partner_text or form.partner_id not in (None, who.partner_id):
                return messages.registration_problem(
                    "you register for your own partner; leave out `for …`."
                )
            return who.partner_id
        if form.partner_id is not None:
            return form.partner_id
        if not form.partner_text:
            return messages.registration_problem(
                "say which partner it is for: `… for PARTNER`, or use `/deal register` alone."
            )
        found = partner_named(self.session, form.partner_text)
        return found if isinstance(found, Message) else found[0]

    def _announce_conflict(self, deal: DealView, rivals: list[DealView]) -> None:
        """The conflict card to every route involved; each partner told in its own channel."""
        claims = [*rivals, deal]
        card = self._conflict_card(claims)
        shows = [d.external_id for d in claims]
        key = f"deal:{deal.external_id}"
        for destination in dict.fromkeys(
            target(route_for(self.program, d.routing_subject)) for d in claims
        ):
            self.post_card(destination, f"{key}:conflict_card:{destination}", card, shows)
        notice = messages.notice_conflict_new(deal)
        self.post(deal.partner_channel, f"{key}:notice", "registration_notice", notice)
        told = {deal.partner_id}
        for rival in rivals:
            if rival.partner_id not in told:
                told.add(rival.partner_id)
                earlier = messages.notice_conflict_earlier(rival)
                rival_key = f"{key}:notice:{rival.external_id}"
                self.post(rival.partner_channel, rival_key, "registration_notice", earlier)

    # --- deciding --------------------------------------------------------------------------

    def may_decide(self, deal_id: str) -> DealView | Message:
        """The registration if the asker (staff: the listeners' rule) may decide it, else the
        refusal to show them."""
        who = self.who
        deal = self.visible(deal_id)
        if deal is None:
            return messages.deal_not_found(deal_id)
        route = route_for(self.program, deal.routing_subject)
        if not may_decide(route, user_id=who.user_id, role=who.role):
            return plain(
                f"{escape(deal.external_id)} is routed to {where(target(route))}: only they "
                f"or leadership can decide it."
            )
        return deal

    def decide(
        self,
        decision: Decision,
        deal_id: str,
        *,
        reason: str = "",
        days: int = 0,
        card: Clicked | None = None,
    ) -> Outcome:
        """Make the decision, announce it to each partner concerned, turn every posted card
        showing a registration it changed into the outcome, and return the changes. A decision
        made on a ``card`` showing other claims than the account has now is not made: the card
        is shown as it stands instead."""
        allowed = self.may_decide(deal_id)
        if isinstance(allowed, Message):
            return Outcome(allowed)
        actor, today = self.who.user_id, self.today()
        index, shown = self.deps.registrations, card.claims if card else None
        try:
            match decision:
                case "approve":
                    changed = decisions.approve(
                        self.session,
                        deal_id,
                        actor=actor,
                        program=self.program,
                        today=today,
                        index=index,
                        shown=shown,
                    )
                case "reject" | "reject_all":
                    one = decision == "reject"
                    changed = (decisions.reject if one else decisions.reject_conflict)(
                        self.session,
                        deal_id,
                        actor=actor,
                        reason=reason,
                        program=self.program,
                        index=index,
                        shown=shown,
                    )
                case "extend":
                    changed = decisions.extend(
                        self.session,
                        deal_id,
                        actor=actor,
                        days=days,
                        program=self.program,
                        today=today,
                    )
        except decisions.StaleCardError as error:
            if card and card.channel and card.ts:
                self._refresh(deal_id, card)
            return Outcome(plain(str(error)))
        except decisions.DecisionError as error:
            return Outcome(plain(str(error)))
        views = [v for v in (deal_view(self.session, c.external_id) for c in changed) if v]
        notice = messages.notice_extended if decision == "extend" else messages.notice_decided
        key = f"decision:{uuid4().hex}"  # one decision: its messages are queued once, with it
        for view in views:
            self.post(
                view.partner_channel,
                f"{key}:notice:{view.external_id}",
                "decision_notice",
                notice(view),
            )
        decided = messages.decided_card(views)
        copies = card_copies(self.session, [v.external_id for v in views])
        if card and card.channel and card.ts:
            copies = list(dict.fromkeys([*copies, CardCopy(card.channel, card.ts, None)]))
        for number, copy in enumerate(copies, start=1):
            self.update_card(copy, f"{key}:card:{number}", decided)
        return Outcome(decided, views)

    def extend_from_reminder(
        self, value: object, reminder: Clicked, posted: dict[str, Any]
    ) -> Message | None:
        """An Extend button on a manager's expiry reminder: the same checks as ``/deal
        extend``, then the extension, once: only from the expiry the reminder showed (the
        registration's row locked meanwhile), so a second click says it was done. The reminder
        (``posted``: the message as Slack sends it along) then says who extended it to when."""
        clicked = read_extend_value(value, self.program.registration.max_extension_days)
        if clicked is None:
            return out_of_date()
        deal_id, shown, days = clicked
        allowed = self.may_decide(deal_id)
        if isinstance(allowed, Message):
            return allowed
        current = self.session.scalar(
            select(DealRegistration.expires_at)
            .where(DealRegistration.external_id == deal_id)
            .with_for_update()
        )
        if current != shown:
            return plain(
                f"{escape(deal_id)} was extended since this reminder: it is protected until "
                f"{day(current)}. See `{messages.COMMAND} status {escape(deal_id)}`."
            )
        outcome = self.decide("extend", deal_id, days=days)
        if not outcome.changed:
            return outcome.answer
        until = outcome.changed[0].expires_at
        assert until is not None  # an approved registration, just extended
        if reminder.channel and reminder.ts:
            self.asker.queue_update(
                key=f"extend:{uuid4().hex}:reminder",
                kind="registration_reminder_update",
                channel=reminder.channel,
                ts=reminder.ts,
                text=posted.get("text") or outcome.answer.text,
                blocks=notices.reminder_extended(
                    posted.get("blocks") or [], self.who.user_id, days, until
                ),
            )
        return None

    def _refresh(self, deal_id: str, card: Clicked) -> None:
        """Show a stale card as the account stands now (the conflict, or the registration
        alone again), and remember that it shows those claims now."""
        deal = deal_view(self.session, deal_id)
        assert deal is not None  # a stale card is only found for an undecided registration
        if deal.status is DealStatus.CONFLICT:
            ids = decisions.conflict_claims(
                self.session, deal, self.program, self.deps.registrations
            )
            claims = [v for v in (deal_view(self.session, i) for i in ids) if v]
            current = self._conflict_card(claims)
        else:
            ids, current = [deal.external_id], self._approval_card(deal)
        record_card(self.session, ids, card.channel, card.ts)
        copy = CardCopy(card.channel, card.ts, None)
        self.update_card(copy, f"refresh:{uuid4().hex}:card", current)
