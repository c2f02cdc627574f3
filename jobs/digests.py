"""The digest jobs: the weekly leadership digest and every partner's quarterly business
review, queued in the outbox for delivery.

Each covers the last complete period before ``now`` in the program's time zone, and its
outbox key names that period (``weekly:2026-W47``, ``qbr:2026-Q3:<partner id>``; the later
parts of a digest longer than one message add ``:2``, ``:3`` …). So a run that fires late,
twice, or on two workers queues each digest once, and a partner whose QBR was queued is not
even computed again.
"""

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.program import Program
from insights.digests import Period, last_complete, qbr_digests, weekly_digest
from insights.scorecard_metrics import load_frames
from insights.scorecard_store import compute_and_store, data_start
from messages.blocks import Message
from messages.digests import QBR, WEEKLY, qbr_key, qbr_messages, weekly_key, weekly_messages
from messages.outbox import queue_messages
from models import OutboxMessage, Partner, PartnerScorecard, PartnerStatus


@dataclass(frozen=True)
class DigestReport:
    period: str
    queued: int
    """Digests queued by this run."""
    already: int
    """Digests of the period queued before."""
    no_channel: int
    """Digests with nowhere to go: no leadership channel, or a partner without its channel."""


@dataclass(frozen=True)
class RenderedDigest:
    """One digest as the Slack messages it is posted as, with its outbox key and channel: what
    the worker queues and ``partnerbot digest`` shows (and queues)."""

    key: str
    kind: str
    name: str
    """Whom it is for: "leadership", or the partner's name."""
    channel: str | None
    messages: list[Message]


def rendered_weekly(session: Session, program: Program, week: Period) -> RenderedDigest:
    """``week``'s leadership digest, for ``channels.leadership_digest``."""
    messages = weekly_messages(weekly_digest(session, program, week))
    channel = program.channels.leadership_digest
    return RenderedDigest(weekly_key(week), WEEKLY, "leadership", channel, messages)


def rendered_qbrs(
    session: Session,
    program: Program,
    quarter: Period,
    partner_ids: Collection[int] | None,
    today: date,
) -> Iterator[RenderedDigest]:
    """``quarter``'s QBRs of ``partner_ids`` (None: every active partner), each for its
    partner's shared channel, on ``today``. No partners: nothing loaded, nothing computed."""
    if partner_ids is not None and not partner_ids:
        return
    score_quarter(session, program, quarter, today)
    for qbr in qbr_digests(session, program, quarter, partner_ids):
        key = qbr_key(quarter, qbr.partner_id)
        yield RenderedDigest(
            key, QBR, qbr.name, qbr.channel, qbr_messages(qbr, program.partner_view)
        )


def score_quarter(session: Session, program: Program, quarter: Period, today: date) -> None:
    """Store the scorecards of ``quarter``'s last month when it has ended (before ``today``)
    and none are stored, in the caller's transaction. A QBR shows that month's card: without
    it a first run, or one after a night whose scoring failed, would send "not scored yet" of
    a quarter the data can score, and the QBR is queued once. A quarter that ended before the
    data starts is left unscored: its cards would be of silent partners."""
    last_month = quarter.months[-1].start_time.date()
    scored = select(PartnerScorecard.partner_id).where(PartnerScorecard.month == last_month)
    if quarter.end >= today or session.scalar(scored.limit(1)) is not None:
        return
    frames = load_frames(session, program)
    start = data_start(frames)
    if start is not None and start <= quarter.end:  # a month before the data has nothing
        compute_and_store(session, program, quarter.end, frames)


def queue_digests(
    session: Session, period: Period, digests: Iterable[RenderedDigest]
) -> DigestReport:
    """Queue each of ``digests`` that has a channel, once: a key queued before is counted, not
    queued again. In the session's transaction; the caller commits."""
    queued = already = no_channel = 0
    for digest in digests:
        if digest.channel is None:
            no_channel += 1
            continue
        fresh = queue_messages(
            session,
            key=digest.key,
            kind=digest.kind,
            channel=digest.channel,
            messages=digest.messages,
        )
        queued, already = queued + fresh, already + (not fresh)
    return DigestReport(period.label, queued, already, no_channel)


def weekly_digest_job(
    session_factory: sessionmaker[Session], program: Program, now: datetime
) -> DigestReport:
    """Queue last week's leadership digest for ``channels.leadership_digest``."""
    week = last_complete("week", program.today(now))
    if program.channels.leadership_digest is None:
        return DigestReport(week.label, 0, 0, 1)
    with session_factory.begin() as session:
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == weekly_key(week))):
            return DigestReport(week.label, 0, 1, 0)
        return queue_digests(session, week, [rendered_weekly(session, program, week)])


def qbr_digest_job(
    session_factory: sessionmaker[Session], program: Program, now: datetime
) -> DigestReport:
    """Queue last quarter's QBR of every active partner, each for its own shared channel."""
    today = program.today(now)
    quarter = last_complete("quarter", today)
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
        queued = queue_digests(
            session, quarter, rendered_qbrs(session, program, quarter, due, today)
        ).queued
    with_channel = sum(1 for _, channel in partners if channel)
    return DigestReport(quarter.label, queued, with_channel - queued, len(partners) - with_channel)
