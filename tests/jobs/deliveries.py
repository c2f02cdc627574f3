"""Delivering the outbox in tests, and reading what it holds and what reached the fake Slack."""

import time
from collections import Counter

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from messages.delivery import Backoff, DeliveryReport, Pacer, deliver_pending
from models import OutboxMessage, OutboxStatus
from tests.slack.fake_slack import FakeSlack

FAST = {"pacer": Pacer(0.0), "backoff": Backoff(first_s=0.05, cap_s=0.2)}
"""Delivery without pacing and with short back-offs, for tests."""


def outbox(session_factory: sessionmaker[Session]) -> dict[str, OutboxMessage]:
    with session_factory() as session:
        return {m.key: m for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))}


def posted_keys(fake: FakeSlack) -> list[str]:
    """The outbox key of every message that reached the fake Slack, in posting order."""
    return [
        m["metadata"]["event_payload"]["key"]
        for m in sorted(fake.all_messages(), key=lambda m: float(m["ts"]))
    ]


def deliver_all(
    session_factory: sessionmaker[Session],
    client: WebClient,
    timeout: float = 60,
    **options: object,
) -> DeliveryReport:
    """Run deliveries until nothing is pending (as the worker does every few seconds)."""
    deadline = time.monotonic() + timeout
    total = Counter[str]()
    while any(m.status is OutboxStatus.PENDING for m in outbox(session_factory).values()):
        assert time.monotonic() < deadline, "messages still pending"
        report = deliver_pending(session_factory, client, **options)  # type: ignore[arg-type]
        total.update(report.__dict__)
        time.sleep(0.05)  # a failed post is retried after its back-off: let that pass
    return DeliveryReport(**total)
