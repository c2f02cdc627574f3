"""Approve or Decline on the monthly tier review. Staff only; the decision is recorded
(``insights.tier_review``) and the proposal's buttons are replaced by who decided what, an
update queued in the outbox with the decision."""

from typing import Any
from uuid import uuid4

from slack_bolt import App

from bot.commands._access import Asker, staff_only
from bot.commands._listeners import Click, button
from bot.deps import Deps
from insights.tier_review import decide_tier
from messages.blocks import Message, plain
from messages.tier_messages import APPROVE, DECLINE, decided, parse_value

DECIDERS = staff_only("decide tier changes")


def register(app: App, deps: Deps) -> None:
    def decide(approve: bool) -> Click:
        def work(asker: Asker, body: dict[str, Any], action: dict[str, Any]) -> Message | None:
            user_id = asker.who.user_id
            partner_id, current, recommended = parse_value(action["value"])
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
