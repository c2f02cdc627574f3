"""``partnerbot worker`` as operators run it, as real processes against the test database and
the fake Slack: killed mid-delivery it loses and repeats nothing; on PostgreSQL a standby takes
over from a killed leader; on SQLite a second worker is refused; runs missed while no worker
ran are caught up once."""

import pickle
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from jobs.worker import JOBS, last_fire_time
from messages.outbox import enqueue
from models import Account, DealRegistration, DealStatus, JobRun, OutboxStatus, Partner
from models.db import make_engine
from models.migrate import upgrade
from tests.jobs.deliveries import outbox, posted_keys
from tests.jobs.workers import WorkerProcess
from tests.slack.fake_slack import FakeSlack
from tests.waiting import wait_until


def queue(session_factory: sessionmaker[Session], keys: list[str], channels: list[str]) -> None:
    with session_factory.begin() as session:
        for number, key in enumerate(keys):
            channel = channels[number % len(channels)]
            enqueue(session, key=key, kind="test", channel=channel, text=key, blocks=[])


def all_sent(session_factory: sessionmaker[Session]) -> bool:
    return all(m.status is OutboxStatus.SENT for m in outbox(session_factory).values())


@pytest.fixture
def fresh_schedule(engine: Engine) -> Engine:
    """The test database without the schedule an earlier test's worker stored."""
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
    return engine


@pytest.fixture
def workers() -> Iterator[list[WorkerProcess]]:
    """Started workers, stopped at the end whatever happened."""
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        if worker.process.poll() is None:
            worker.kill()


def test_last_fire_time_is_the_period_a_run_belongs_to() -> None:
    daily = CronTrigger.from_crontab("0 7 * * *", timezone=UTC)
    assert last_fire_time(daily, datetime(2026, 11, 23, 10, tzinfo=UTC)) == datetime(
        2026, 11, 23, 7, tzinfo=UTC
    )
    assert last_fire_time(daily, datetime(2026, 11, 23, 6, 59, tzinfo=UTC)) == datetime(
        2026, 11, 22, 7, tzinfo=UTC
    )
    quarterly = CronTrigger.from_crontab("0 9 1 1,4,7,10 *", timezone=UTC)
    assert last_fire_time(quarterly, datetime(2026, 11, 23, tzinfo=UTC)) == datetime(
        2026, 10, 1, 9, tzinfo=UTC
    )


@pytest.mark.slow
def test_a_worker_killed_mid_delivery_loses_nothing_and_repeats_nothing(
    fresh_schedule: Engine,
    fake_slack: FakeSlack,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    workers: list[WorkerProcess],
) -> None:
    url = fresh_schedule.url.render_as_string(hide_password=False)
    keys = [f"m{i:02d}" for i in range(12)]
    queue(session_factory, keys, ["C0A", "C0B", "C0C"])
    release = fake_slack.hold("chat.postMessage")  # Slack posts the first, its answer is late

    workers.append(first := WorkerProcess("first", url, fake_slack, tmp_path))
    # the held post waits for its answer while the other channels go on posting
    fake_slack.wait_for(lambda r: r.name == "chat.postMessage", count=3, timeout=60)
    first.kill()
    release.set()
    unsure = [m.key for m in outbox(session_factory).values() if m.attempt_started_at]
    assert unsure, "the killed worker left a post whose outcome it never learnt"
    assert not all_sent(session_factory)

    workers.append(second := WorkerProcess("second", url, fake_slack, tmp_path))
    wait_until(lambda: all_sent(session_factory), "every message sent after the restart")

    assert sorted(posted_keys(fake_slack)) == keys  # each exactly once
    assert re.search(r"found=[1-9]", second.output()), second.output()
    assert second.stop() == 0


@pytest.mark.slow
def test_a_standby_worker_takes_over_from_a_killed_leader(
    postgres: Engine,
    fake_slack: FakeSlack,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    workers: list[WorkerProcess],
) -> None:
    with postgres.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
    url = postgres.url.render_as_string(hide_password=False)
    workers.append(leader := WorkerProcess("leader", url, fake_slack, tmp_path))
    leader.wait_for("now leading")
    workers.append(standby := WorkerProcess("standby", url, fake_slack, tmp_path))
    standby.wait_for("on standby")
    queue(session_factory, ["a1", "a2", "a3"], ["C0A", "C0B"])
    wait_until(lambda: all_sent(session_factory), "delivered by the leader")
    assert "now leading" not in standby.output()

    leader.kill()
    took_over = standby.wait_for("now leading", timeout=60)
    assert took_over < 60
    queue(session_factory, ["b1", "b2", "b3"], ["C0A", "C0B"])
    wait_until(lambda: all_sent(session_factory), "delivered by the new leader")

    assert sorted(posted_keys(fake_slack)) == ["a1", "a2", "a3", "b1", "b2", "b3"]
    with postgres.connect() as connection:
        stored = connection.scalars(text("SELECT id FROM apscheduler_jobs")).all()
    assert sorted(stored) == sorted(JOBS)  # every job, each scheduled once
    assert standby.stop() == 0


@pytest.mark.slow
def test_a_second_worker_on_sqlite_is_refused(
    fake_slack: FakeSlack, tmp_path: Path, workers: list[WorkerProcess]
) -> None:
    url = f"sqlite:///{tmp_path / 'partnerbot.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    workers.append(first := WorkerProcess("first", url, fake_slack, tmp_path))
    first.wait_for("now leading")

    workers.append(second := WorkerProcess("second", url, fake_slack, tmp_path))
    assert second.process.wait(timeout=60) == 2
    assert (
        f"another partnerbot worker (pid {first.process.pid}) is already running on the "
        f"SQLite database {tmp_path / 'partnerbot.sqlite3'}. SQLite allows one worker"
    ) in " ".join(second.output().split())
    assert first.stop() == 0


@pytest.mark.slow
def test_runs_missed_while_no_worker_ran_are_caught_up_once(
    fresh_schedule: Engine,
    fake_slack: FakeSlack,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    workers: list[WorkerProcess],
) -> None:
    url = fresh_schedule.url.render_as_string(hide_password=False)
    workers.append(first := WorkerProcess("first", url, fake_slack, tmp_path))
    first.wait_for("now leading")
    assert first.stop() == 0
    # Three days without a worker: the stored schedule says the job was due three days ago.
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    with fresh_schedule.begin() as connection:
        state = pickle.loads(
            connection.scalar(
                text("SELECT job_state FROM apscheduler_jobs WHERE id = :id"),
                {"id": "daily_registrations"},
            )
        )
        state["next_run_time"] = three_days_ago
        connection.execute(
            text("UPDATE apscheduler_jobs SET job_state = :state, next_run_time = :at"),
            {"state": pickle.dumps(state), "at": three_days_ago.timestamp()},
        )
    with session_factory.begin() as session:  # a registration waiting past the SLA
        partner = Partner(external_id="P1", name="Partner 1", tier="gold", region="AMER")
        account = Account(account_key="n:acme", name="Acme", normalized_name="acme")
        session.add_all([partner, account])
        session.flush()
        session.add(
            DealRegistration(
                external_id="R-1",
                partner_id=partner.id,
                account_id=account.id,
                amount=Decimal(1000),
                currency="USD",
                status=DealStatus.PENDING,
                registered_at=datetime.now(UTC) - timedelta(days=4),
            )
        )

    workers.append(second := WorkerProcess("second", url, fake_slack, tmp_path))
    wait_until(lambda: "C0DEALDESK" in fake_slack.messages, "the nudge delivered")
    assert second.stop() == 0  # a clean stop waits for every run the scheduler started

    with fresh_schedule.connect() as connection:
        next_run = connection.scalar(
            text("SELECT next_run_time FROM apscheduler_jobs WHERE id = 'daily_registrations'")
        )
    assert next_run > datetime.now(UTC).timestamp()  # no missed run left to catch up
    with session_factory() as session:
        runs = session.execute(select(JobRun.job, JobRun.period, JobRun.finished_at)).all()
    daily = CronTrigger.from_crontab("0 7 * * *", timezone=UTC)
    period = last_fire_time(daily, datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M")
    assert [(job, when) for job, when, _ in runs] == [("daily_registrations", period)]
    assert runs[0].finished_at is not None
    assert [m["text"] for m in fake_slack.messages["C0DEALDESK"]] == ["Waiting for approval: R-1"]
