"""The alert a partner manager receives, its answered form, and the daily overflow summary
(templates ``alert.j2`` and ``alerts_summary.j2``).

An alert follows the shape of a good incident message: one headline, the reasons, what to type
for the detail, and the three answers as buttons — each answer is also a label for judging the
model, so answering is one click."""

from typing import Any

from insights.alert_rules import AT_RISK, Finding
from messages.blocks import Message, context
from messages.templating import render
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


def alert_message(
    alert_id: int, finding: Finding, name: str, headline: str, snooze_days: int
) -> Message:
    detail = finding.detail
    (message,) = render(
        "alert.j2",
        alert_id=alert_id,
        mark=MARK[finding.severity],
        headline=headline,
        name=name,
        factors=detail.get("factors", []),
        changes=detail.get("flags", []) if finding.condition == AT_RISK else [],
        severity=finding.severity,
        risk=finding.risk,
        band=detail.get("risk_band", ""),
        snooze_days=snooze_days,
        ids={"acknowledge": ACKNOWLEDGE, "snooze": SNOOZE, "dismiss": DISMISS},
    )
    return Message(text=headline, blocks=message.blocks)


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
    (message,) = render("alerts_summary.j2", headlines=shown, total=len(headlines), cap=cap)
    return Message(
        text=f"{len(headlines)} more alert(s) today, beyond your {cap} a day",
        blocks=message.blocks,
    )
