"""The answers on an alert: Acknowledge, Snooze 30 days, Not a problem.

Only staff may answer (an alert goes to managers, but a forwarded message carries its buttons).
The answer is recorded on the alert (``insights.alert_store``) and the message loses its buttons
and says who answered what, so the next person to look sees it is handled."""

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.commands._listeners import Click, button
from bot.deps import Deps
from bot.identity import identify_asker
from insights.alert_store import record_feedback
from messages.alert_messages import ANSWERS, answered
from messages.blocks import Message, plain
from models.enums import AlertState


def register(app: App, deps: Deps) -> None:
    def answer(state: AlertState) -> Click:
        def work(
            body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
        ) -> Message | None:
            user_id = body["user"]["id"]
            today = deps.program.today()
            with deps.session_factory.begin() as session:
                who = identify_asker(session, client, deps.teams, context, user_id)
                if not who.is_staff:
                    return plain("Only partner managers and leadership can answer alerts.")
                feedback = record_feedback(
                    session,
                    int(action["value"]),
                    state,
                    user_id,
                    today,
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
            client.chat_update(
                channel=card["channel_id"],
                ts=card["message_ts"],
                text=alert.headline,
                blocks=answered(posted, state, user_id, until),
            )
            return None

        return work

    for action_id, state in ANSWERS.items():
        app.action(action_id)(button(f"alert {state.value}", answer(state)))
