"""The monthly tier review a manager receives (template ``tier_review.j2``): each proposed
change with Approve and Decline, and the proposal's line once decided."""

from typing import Any

from insights.tier_review import TierChange
from messages.blocks import Message, context
from messages.templating import render

APPROVE = "tier_approve"
DECLINE = "tier_decline"
PER_MESSAGE = 20
"""Proposals per message: two blocks each, inside Slack's 50."""


def proposal_value(change: TierChange) -> str:
    return f"{change.partner_id}:{change.current}:{change.recommended}"


def parse_value(value: str) -> tuple[int, str, str]:
    partner_id, current, recommended = value.split(":", 2)
    return int(partner_id), current, recommended


def tier_review_messages(changes: list[TierChange], month_label: str) -> list[Message]:
    """The proposals for one manager, ``PER_MESSAGE`` to a message."""
    return [
        message
        for start in range(0, len(changes), PER_MESSAGE)
        for message in render(
            "tier_review.j2",
            month=month_label,
            total=len(changes),
            first=start + 1,
            changes=changes[start : start + PER_MESSAGE],
            value=proposal_value,
            ids={"approve": APPROVE, "decline": DECLINE},
        )
    ]


def decided(blocks: list[dict[str, Any]], partner_id: int, said: str) -> list[dict[str, Any]]:
    """The review as posted, with one proposal's buttons replaced by what was decided."""
    block_id = f"tier:{partner_id}"
    line = {**context(said).to_dict(), "block_id": block_id}
    return [line if block.get("block_id") == block_id else block for block in blocks]
