"""The daily registrations job: expire what has run out, remind partners and their managers
before protection ends, and nudge approvers about registrations waiting past the SLA.

Every message is queued in the outbox under a key naming the registration and the occasion
(the reminder step, the nudge's day), so running the job twice — or after a crash half-way —
sends nothing twice. Reminders follow state, not the calendar: a registration inside the
14-day window that never had its 14-day reminder (the worker was down that day) gets it now,
and one approved with 2 days left gets only the tightest, the 3-day one.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.program import Program
from deals.decisions import claims_version
from deals.lookup import deal_view
from deals.registration import expire_due, expiring_within
from deals.routing import route_for, target
from messages import registration_notices as notices
from messages.blocks import Message, where
from messages.outbox import enqueue_message
from models import DealRegistration, DealStatus, OutboxMessage

ACTOR = "job:daily_registrations"


@dataclass(frozen=True)
class RegistrationsReport:
    expired: int
    reminders: int
    """Reminder messages queued (to partners' channels and managers)."""
    nudges: int


def daily_registrations(
    session_factory: sessionmaker[Session], program: Program, now: datetime
) -> RegistrationsReport:
    """Run for the program's local day of ``now`` (an aware datetime)."""
    today = program.today(now)
    with session_factory.begin() as session:
        expired = expire_due(session, today, actor=ACTOR)
    with session_factory.begin() as session:
        reminders = _remind(session, program, today)
        nudges = _nudge(session, program, now, today)
    return RegistrationsReport(expired, reminders, nudges)


def _queue(session: Session, key: str, kind: str, channel: str | None, message: Message) -> int:
    if channel is None:
        return 0
    return enqueue_message(session, key=key, kind=kind, channel=channel, message=message)


def _existing(session: Session, keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` are already queued (so only the rest are rendered)."""
    wanted, found = list(keys), set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found |= set(session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(chunk))))
    return found


def _remind(session: Session, program: Program, today: date) -> int:
    steps = sorted(program.registration.reminder_days)
    if not steps:
        return 0
    due: dict[str, tuple[int, int]] = {}  # registration → (days left, its reminder step)
    for deal in expiring_within(session, steps[-1], today):
        assert deal.expires_at is not None  # expiring_within selects by it
        left = (deal.expires_at - today).days
        due[deal.external_id] = (left, next(step for step in steps if step >= left))
    keys = {
        external_id: f"registration:{external_id}:reminder:{step}"
        for external_id, (_, step) in due.items()
    }
    done = _existing(
        session, (f"{k}:{who}" for k in keys.values() for who in ("partner", "manager"))
    )
    queued = 0
    for external_id, (left, _) in due.items():
        key = keys[external_id]
        if {f"{key}:partner", f"{key}:manager"} <= done:
            continue
        view = deal_view(session, external_id)
        assert view is not None
        queued += _queue(
            session,
            f"{key}:partner",
            "registration_reminder",
            view.partner_channel,
            notices.expiry_reminder(view, left),
        )
        queued += _queue(
            session,
            f"{key}:manager",
            "registration_reminder",
            view.partner_manager,
            notices.expiry_reminder_for_manager(
                view, left, program.registration.max_extension_days
            ),
        )
    return queued


def _nudge(session: Session, program: Program, now: datetime, today: date) -> int:
    sla_hours = program.registration.approval_sla_hours
    waiting = session.scalars(
        select(DealRegistration.external_id)
        .where(
            DealRegistration.status == DealStatus.PENDING,
            DealRegistration.registered_at <= now - timedelta(hours=sla_hours),
        )
        .order_by(DealRegistration.registered_at, DealRegistration.id)
    ).all()
    keys = {external_id: f"registration:{external_id}:nudge:{today}" for external_id in waiting}
    done = _existing(session, keys.values())
    queued = 0
    for external_id, key in keys.items():
        if key in done:
            continue
        view = deal_view(session, external_id)
        assert view is not None
        approver = target(route_for(program, view.routing_subject))
        claims = claims_version(session, view, program)
        waited = now - view.registered_at
        message = notices.approval_nudge(view, waited, sla_hours, where(approver), claims)
        queued += _queue(session, key, "approval_nudge", approver, message)
    return queued
