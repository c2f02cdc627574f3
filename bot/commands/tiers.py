"""Approve or Decline on the monthly tier review. Staff only; the decision is recorded
(``insights.tier_review``) and the proposal's buttons are replaced by who decided what, an
update queued in the outbox with the decision."""

from typing import Any
from uuid import uuid4

from slack_bolt import App

from bot.commands._access import Asker, staff_only
from bot.commands._listeners import Click, button
from bot.commands._values import row_id
from bot.deps import Deps
from insights.tier_review import decide_tier
from messages.blocks import Message, plain
from messages.malformed import out_of_date
from messages.tier_messages import APPROVE, DECLINE, decided
from models import Partner

DECIDERS = staff_only("decide tier changes")


def read_proposal(value: object, tiers: list[str]) -> tuple[int, str, str] | None:
    """The proposal a button's value carries (partner id, current tier, recommended tier), if
    both tiers are the program's (stored tiers may differ in case) and differ, else None: the
    value was changed."""
    parts = value.split(":") if isinstance(value, str) else []
    if len(parts) != 3:
        return None
    partner_id, current, recommended = row_id(parts[0]), parts[1], parts[2]
    named = {current.lower(), recommended.lower()}
    if partner_id is None or len(named) != 2 or not named <= {t.lower() for t in tiers}:
        return None
    return partner_id, current, recommended


def register(app: App, deps: Deps) -> None:
    def decide(approve: bool) -> Click:
        def work(asker: Asker, body: dict[str, Any], action: dict[str, Any]) -> Message | None:
            user_id = asker.who.user_id
            proposal = read_proposal(action.get("value"), deps.program.tier_names)
            if proposal is None:
                return out_of_date()
            partner_id, current, recommended = proposal
            if asker.session.get(Partner, partner_id) is None:
                return out_of_date()  # no such partner: the value was changed
            outcome = decide_tier(
                asker.session, partner_id, current, recommended, approve=approve, actor=user_id
            )
            if not outcome.changed:
                return plain(f"Already decided: the partner's tier is {outcome.tier} now.")
            verb = f"approved: now {recommended}" if approve else f"declined: stays {current}"
            card = body.get("container") or {}
            posted = (body.get("message") or {}).get("blocks") or []
            asker.queue_update(
                key=f"tier_decision:{partner_id}:{uuid4().hex}",
                kind="tier_review_update",
                channel=card["channel_id"],
                ts=card["message_ts"],
                text=(body.get("message") or {}).get("text", "Tier review"),
                blocks=decided(posted, partner_id, f"{verb} (<@{user_id}>)"),
            )
            return None

        return work

    app.action(APPROVE)(button("tier approve", deps, lambda _: DECIDERS, decide(approve=True)))
    app.action(DECLINE)(button("tier decline", deps, lambda _: DECIDERS, decide(approve=False)))
