"""The monthly tier review: the tier changes the last complete month's scorecards propose,
sent to each partner's manager with Approve and Decline buttons.

Keys name the month and the manager (``tier_review:2026-10:UMGREMEA01``, later parts ``:2``…),
so the review goes out once a month however often the job runs."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from config.program import Program
from insights.scorecard_store import scorecard_month
from insights.tier_review import TierChange, proposed_tier_changes
from jobs.recipients import manager_routes
from messages.outbox import enqueue_message
from messages.tier_messages import tier_review_messages
from models import PartnerScorecard

KIND = "tier_review"


@dataclass(frozen=True)
class TierReviewReport:
    month: str
    proposals: int
    messages: int
    """Messages queued by this run (0 when the month's review went out before)."""


def tier_review(
    session_factory: sessionmaker[Session], program: Program, now: datetime
) -> TierReviewReport:
    yesterday = program.today(now) - timedelta(days=1)  # what the nightly scoring last scored
    wanted = scorecard_month(yesterday).to_timestamp().date()
    with session_factory.begin() as session:
        month = session.scalar(
            select(func.max(PartnerScorecard.month)).where(PartnerScorecard.month <= wanted)
        )
        changes = proposed_tier_changes(session, program, month)
        routes = manager_routes(session, program, {c.partner_id for c in changes})
        by_recipient: dict[str, list[TierChange]] = defaultdict(list)
        for change in changes:
            if change.partner_id in routes:
                by_recipient[routes[change.partner_id][1]].append(change)
        label = month.strftime("%B %Y") if month else ""
        queued = 0
        for recipient, mine in sorted(by_recipient.items()):
            for part, message in enumerate(tier_review_messages(mine, label), start=1):
                key = f"{KIND}:{month:%Y-%m}:{recipient}" + (f":{part}" if part > 1 else "")
                queued += enqueue_message(
                    session, key=key, kind=KIND, channel=recipient, message=message
                )
    return TierReviewReport(label, len(changes), queued)
