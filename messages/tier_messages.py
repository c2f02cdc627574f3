"""The monthly tier review a manager receives: each proposed change with Approve and Decline,
and the proposal's line once decided."""

from typing import Any

from slack_sdk.models.blocks import Block

from insights.tier_review import TierChange
from messages.blocks import Message, actions, button, confirm, context, esc, fit, section

APPROVE = "tier_approve"
DECLINE = "tier_decline"
PER_MESSAGE = 20
"""Proposals per message: two blocks each, inside Slack's 50."""
NEEDS_APPROVAL = " — needs your approval"


def proposal_value(change: TierChange) -> str:
    return f"{change.partner_id}:{change.current}:{change.recommended}"


def parse_value(value: str) -> tuple[int, str, str]:
    partner_id, current, recommended = value.split(":", 2)
    return int(partner_id), current, recommended


def _proposal(change: TierChange) -> list[Block]:
    arrow = ":arrow_up:" if change.direction == "up" else ":arrow_down:"
    approval = NEEDS_APPROVAL if change.needs_approval else ""
    value = proposal_value(change)
    move = f"{change.name} from {change.current} to {change.recommended}"
    approve = confirm(
        "Approve this tier change?",
        f"{move}: the partner's tier changes at once; this cannot be undone here.",
        "Approve",
        "Cancel",
    )
    decline = confirm(
        "Decline this tier change?",
        f"{change.name} stays {change.current}; the proposal is closed.",
        "Decline",
        "Cancel",
    )
    line = section(
        f"{arrow} *{esc(change.name)}*: {esc(change.current)} → {esc(change.recommended)}{approval}"
    )
    line.block_id = f"tier:{change.partner_id}:proposal"
    return [
        line,
        actions(
            [
                button("Approve", APPROVE, value, style="primary", confirm=approve),
                button("Decline", DECLINE, value, confirm=decline),
            ],
            f"tier:{change.partner_id}",
        ),
    ]


def tier_review_messages(changes: list[TierChange], month_label: str) -> list[Message]:
    """The proposals for one manager, ``PER_MESSAGE`` to a message."""
    messages = []
    for start in range(0, len(changes), PER_MESSAGE):
        first = f" (from {start + 1})" if start else ""
        title = f"*Tier review, {month_label}: {len(changes)} change(s) proposed by the scorecards*"
        blocks = [section(title + first)]
        for change in changes[start : start + PER_MESSAGE]:
            blocks += _proposal(change)
        messages += fit(Message("", blocks))
    return messages


def decided(blocks: list[dict[str, Any]], partner_id: int, said: str) -> list[dict[str, Any]]:
    """The review as posted, with one proposal's buttons replaced by what was decided and its
    line no longer asking for an approval."""
    block_id = f"tier:{partner_id}"
    line = {**context(said).to_dict(), "block_id": block_id}
    shown = []
    for block in blocks:
        if block.get("block_id") == block_id:
            block = line
        elif block.get("block_id") == f"{block_id}:proposal":
            text = block["text"]["text"].removesuffix(NEEDS_APPROVAL)
            block = {**block, "text": {**block["text"], "text": text}}
        shown.append(block)
    return shown
