"""The digest jobs: the weekly leadership digest and every partner's quarterly business
review, queued in the outbox for delivery.

Each covers the last complete period before ``now`` in the program's time zone, and its
outbox key names that period (``weekly:2026-W47``, ``qbr:2026-Q3:<partner id>``; the later
parts of a digest longer than one message add ``:2``, ``:3`` …). So a run that fires late,
twice, or on two workers queues each digest once, and a partner whose QBR was queued is not
even computed again.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.program import Program
from insights.digests import last_complete, qbr_digests, weekly_digest
from messages.digests import QBR, WEEKLY, qbr_key, qbr_messages, weekly_key, weekly_messages
from messages.outbox import queue_messages
from models import OutboxMessage, Partner, PartnerStatus


@dataclass(frozen=True)
class DigestReport:
    period: str
    queued: int
    """Digests queued by this run."""
    already: int
    """Digests of the period queued before."""
    no_channel: int
    """Digests with nowhere to go: no leadership channel, or a partner without its channel."""


def weekly_digest_job(
    session_factory: sessionmaker[Session], program: Program, now: datetime
) -> DigestReport:
    """Queue last week's leadership digest for ``channels.leadership_digest``."""
    week = last_complete("week", program.today(now))
    channel = program.channels.leadership_digest
    if channel is None:
        return DigestReport(week.label, 0, 0, 1)
    key = weekly_key(week)
    with session_factory.begin() as session:
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)):
            return DigestReport(week.label, 0, 1, 0)
        messages = weekly_messages(weekly_digest(session, program, week))
        queued = queue_messages(session, key=key, kind=WEEKLY, channel=channel, messages=messages)
    return DigestReport(week.label, int(queued), int(not queued), 0)


def qbr_digest_job(
    session_factory: sessionmaker[Session], program: Program, now: datetime
) -> DigestReport:
    """Queue last quarter's QBR of every active partner, each for its own shared channel."""
    quarter = last_complete("quarter", program.today(now))
    with session_factory.begin() as session:
        partners = session.execute(
            select(Partner.id, Partner.slack_channel_id).where(
                Partner.status == PartnerStatus.ACTIVE
            )
        ).all()
        queued_before = set(
            session.scalars(
                select(OutboxMessage.key).where(OutboxMessage.key.like(f"qbr:{quarter.label}:%"))
            )
        )
        due = [
            pid
            for pid, channel in partners
            if channel and qbr_key(quarter, pid) not in queued_before
        ]
        queued = 0
        for digest in qbr_digests(session, program, quarter, due) if due else []:
            assert digest.channel is not None  # due partners have one
            queued += queue_messages(
                session,
                key=qbr_key(quarter, digest.partner_id),
                kind=QBR,
                channel=digest.channel,
                messages=qbr_messages(digest),
            )
    with_channel = sum(1 for _, channel in partners if channel)
    return DigestReport(quarter.label, queued, with_channel - queued, len(partners) - with_channel)
