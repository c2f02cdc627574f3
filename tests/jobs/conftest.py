"""Fixtures for job tests: the fake Slack and session factory of the Slack tests, a delivery
client pointed at the fake, and helpers to read the outbox."""

import time
from collections import Counter

import pytest
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from jobs.delivery import Backoff, DeliveryReport, Pacer, deliver_pending, delivery_client
from models import OutboxMessage, OutboxStatus
from tests.slack.conftest import fake_slack, session_factory
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack

__all__ = [
    "FAST",
    "client",
    "deliver_all",
    "fake_slack",
    "outbox",
    "posted_keys",
    "session_factory",
]

FAST = {"pacer": Pacer(0.0), "backoff": Backoff(first_s=0.05, cap_s=0.2)}
"""Delivery without pacing and with short back-offs, for tests."""


@pytest.fixture
def client(fake_slack: FakeSlack) -> WebClient:
    return delivery_client(Settings(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=fake_slack.api_url))


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
        time.sleep(0.05)
    return DeliveryReport(**total)
