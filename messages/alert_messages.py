"""The alert a partner manager receives, its answered form, and the daily overflow summary.

An alert follows the shape of a good incident message: one headline, the reasons, what to type
for the detail, and the three answers as buttons — each answer is also a label for judging the
model, so answering is one click."""

from typing import Any

from insights.alert_rules import AT_RISK, Finding, is_modelled
from insights.metric_display import format_metric
from messages.blocks import Message, actions, button, confirm, context, esc, section
from models.enums import AlertState

ACKNOWLEDGE = "alert_acknowledge"
SNOOZE = "alert_snooze"
DISMISS = "alert_dismiss"
ANSWERS = {
    ACKNOWLEDGE: AlertState.ACKNOWLEDGED,
    SNOOZE: AlertState.SNOOZED,
    DISMISS: AlertState.DISMISSED,
}
MARK = {"high": ":red_circle:", "medium": ":large_orange_circle:", "low": ":white_circle:"}
SUMMARY_LINES = 15


def _listed(title: str, items: list[str]) -> str:
    """``items`` as bullets under ``title``; nothing at all without items."""
    return "\n".join([title, *(f"• {item}" for item in items)]) if items else ""


def _change(flag: dict[str, Any]) -> str:
    magnitude = flag["magnitude"]
    moved = "up from none" if magnitude is None else f"{magnitude * 100:+.0f}%"
    return f"{esc(flag['metric'].replace('_', ' '))} {moved} since {flag['since'][:7]}"


def _at_risk(finding: Finding) -> str:
    """The partner's at-risk figure as its method allows: the model's probability with its
    band, or the band alone from the rule-based fallback, which has no probability to give."""
    band = esc(finding.detail.get("risk_band", ""))
    if not is_modelled(finding.detail):
        return f"at risk: {band} · rule-based (too little history for the model), no probability"
    return f"at-risk probability {format_metric(finding.risk, 'percent', '')} ({band})"


def alert_message(
    alert_id: int, finding: Finding, name: str, headline: str, snooze_days: int
) -> Message:
    detail = finding.detail
    flags = detail.get("flags", []) if finding.condition == AT_RISK else []
    value = str(alert_id)
    not_a_problem = confirm(
        "Not a problem?",
        f"partnerbot will not raise this again for {name}.",
        "Not a problem",
        "Keep it",
    )
    return Message(
        esc(headline, 300),
        [
            section(f"{MARK[finding.severity]} *{esc(headline, 300)}*"),
            section(_listed("*Why*", [esc(f, 200) for f in detail.get("factors", [])])),
            section(_listed("*What changed*", [_change(f) for f in flags])),
            context(f"{_at_risk(finding)} · details: `/scorecard {esc(name)}`"),
            actions(
                [
                    button("Acknowledge", ACKNOWLEDGE, value, style="primary"),
                    button(f"Snooze {snooze_days} days", SNOOZE, value),
                    button("Not a problem", DISMISS, value, confirm=not_a_problem),
                ],
                f"alert:{alert_id}",
            ),
        ],
    )


def answered(
    blocks: list[dict[str, Any]], state: AlertState, user_id: str, until: str
) -> list[dict[str, Any]]:
    """The alert as posted, its buttons replaced by who answered what."""
    said = {
        AlertState.ACKNOWLEDGED: f":white_check_mark: Acknowledged by <@{user_id}>",
        AlertState.SNOOZED: f":zzz: Snoozed by <@{user_id}> until {until}",
        AlertState.DISMISSED: f":heavy_minus_sign: <@{user_id}> marked this not a problem; "
        "it will not be raised again for this partner",
    }[state]
    kept = [block for block in blocks if block.get("type") != "actions"]
    return [*kept, context(said).to_dict()]


def alerts_summary(headlines: list[str], cap: int) -> Message:
    """The alerts over a manager's daily cap, in one message: the first ``SUMMARY_LINES`` and
    how many more."""
    shown = headlines[:SUMMARY_LINES]
    if len(headlines) > SUMMARY_LINES:
        shown = [*shown, f"… and {len(headlines) - SUMMARY_LINES} more"]
    title = f"{len(headlines)} more alert(s) today, beyond your {cap} a day"
    return Message(title, [section(_listed(f"*{title}*", [esc(h, 300) for h in shown]))])
