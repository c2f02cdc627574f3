"""The answers on an alert: Acknowledge, Snooze 30 days, Not a problem.

Only staff may answer (an alert goes to managers, but a forwarded message carries its buttons).
The answer is recorded on the alert (``insights.alert_store``) and the message loses its buttons
and says who answered what (an update queued in the outbox with the answer), so the next
person to look sees it is handled."""

from typing import Any
from uuid import uuid4

from slack_bolt import App

from bot.commands._access import Asker, staff_only
from bot.commands._listeners import Click, button
from bot.commands._values import row_id
from bot.deps import Deps
from insights.alert_store import record_feedback
from messages.alert_messages import ANSWERS, answered
from messages.blocks import Message, plain
from messages.malformed import out_of_date
from models.enums import AlertState

ANSWERERS = staff_only("answer alerts")


def register(app: App, deps: Deps) -> None:
    def answer(state: AlertState) -> Click:
        def work(asker: Asker, body: dict[str, Any], action: dict[str, Any]) -> Message | None:
            user_id = asker.who.user_id
            alert_id = row_id(action.get("value"))
            if alert_id is None:
                return out_of_date()
            feedback = record_feedback(
                asker.session,
                alert_id,
                state,
                user_id,
                deps.program.today(),
                deps.program.alerts.snooze_days,
            )
            if feedback is None:
                return plain("This alert no longer exists.")
            alert = feedback.alert
            if not feedback.changed:
                return plain(f"This alert is already {alert.state.value} by <@{alert.state_by}>.")
            card = body.get("container") or {}
            posted = (body.get("message") or {}).get("blocks") or []
            until = alert.snoozed_until.isoformat() if alert.snoozed_until else ""
            asker.queue_update(
                key=f"alert_answer:{alert.id}:{uuid4().hex}",
                kind="alert_update",
                channel=card["channel_id"],
                ts=card["message_ts"],
                text=alert.headline,
                blocks=answered(posted, state, user_id, until),
            )
            return None

        return work

    for action_id, state in ANSWERS.items():
        app.action(action_id)(
            button(f"alert {state.value}", deps, lambda _: ANSWERERS, answer(state))
        )
