"""``partnerbot worker``: runs the scheduled jobs at the times of ``[schedules]`` in
``program.toml`` (in ``program.timezone``) and delivers the outbox every few seconds.

- One leader: see :mod:`jobs.leadership`. Standby workers only wait.
- The schedule lives in the database (APScheduler's SQLAlchemy job store, table
  ``apscheduler_jobs``), so a restarted or new leader knows what was due while no worker ran.
  Runs missed during downtime are coalesced: one catch-up run per job, however many were missed.
- Every run is recorded for its period — the scheduled time it belongs to (:class:`JobRun`) —
  and a period that finished is not run again; what a job sends goes through the outbox under
  idempotency keys, so a run interrupted half-way is simply run again.

Adding a job is one line in :data:`JOBS`: its name is also its ``[schedules]`` key.
"""

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from slack_sdk import WebClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from config.program import Program
from config.settings import Settings
from jobs.digests import qbr_digest_job, weekly_digest_job
from jobs.leadership import Lead, WorkerError, lead_for
from jobs.registrations import daily_registrations
from jobs.scoring import nightly_scoring
from jobs.tier_review import tier_review
from messages.delivery import DeliveryReport, Pacer, deliver_pending
from messages.outbox import utcnow
from models import JobRun
from models.db import Database, insert_new
from models.migrate import is_current

logger = logging.getLogger(__name__)

JobFunction = Callable[[sessionmaker[Session], Program, datetime], object]
"""A job: (session factory, program rules, now in the program's time zone) → a report."""

JOBS: dict[str, JobFunction] = {
    "nightly_scoring": nightly_scoring,
    "daily_registrations": daily_registrations,
    "weekly_digest": weekly_digest_job,
    "qbr_digest": qbr_digest_job,
    "tier_review": tier_review,
}
"""The scheduled jobs, each run on the ``[schedules]`` entry of the same name."""

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
JOB_THREADS = 4


class LostLeadError(Exception):
    """The leader's lock connection broke: another worker may lead now, so this one stops."""


def last_fire_time(trigger: CronTrigger, now: datetime) -> datetime:
    """The latest time ``trigger`` fired at or before ``now``: the period a run belongs to,
    also when it runs late (a catch-up after downtime)."""
    window = timedelta(days=1)
    while True:
        fire = trigger.get_next_fire_time(None, now - window)
        if fire is not None and fire <= now:
            break
        window *= 2  # a rare schedule (quarterly): look further back
    while (later := trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))) <= now:
        fire = later
    return fire


def run_once(
    session_factory: sessionmaker[Session], job: str, period: str, work: Callable[[], object]
) -> bool:
    """Run ``work`` as ``job`` for ``period`` unless a run for that period finished already.
    A run that started but never finished (the worker died) runs again: jobs are idempotent
    through the outbox, this only saves doing finished work twice. True when it ran."""
    where = (JobRun.job == job, JobRun.period == period)
    with session_factory.begin() as session:
        values = {"job": job, "period": period, "worker": WORKER_ID, "started_at": utcnow()}
        insert_new(session, JobRun, values, ["job", "period"])
        if session.scalar(select(JobRun.finished_at).where(*where)) is not None:
            logger.info("%s for %s already ran: skipped", job, period)
            return False
    work()
    with session_factory.begin() as session:
        session.execute(update(JobRun).where(*where).values(finished_at=utcnow(), worker=WORKER_ID))
    return True


@dataclass(frozen=True)
class _Runtime:
    """What scheduled runs need. The job store keeps only a job's name (it must pickle jobs),
    so the leader publishes this for :func:`run_scheduled` to find."""

    session_factory: sessionmaker[Session]
    program: Program
    triggers: dict[str, CronTrigger]


_runtime: _Runtime | None = None


def run_scheduled(name: str) -> None:
    """What the scheduler calls (by reference, from the job store) when ``name`` is due."""
    runtime = _runtime
    assert runtime is not None, "only the leading worker runs jobs"
    trigger = runtime.triggers[name]
    now = datetime.now(trigger.timezone)
    period = last_fire_time(trigger, now).strftime("%Y-%m-%dT%H:%M")

    def work() -> None:
        report = JOBS[name](runtime.session_factory, runtime.program, now)
        logger.info("%s for %s: %s", name, period, report)

    run_once(runtime.session_factory, name, period, work)


class Worker:
    def __init__(
        self, settings: Settings, program: Program, database: Database, client: WebClient
    ) -> None:
        self.settings = settings
        self.program = program
        self.engine = database.engine
        self.client = client
        self.session_factory = database.sessions
        self.pacer = Pacer()
        self.timezone = program.timezone

    def run(self, stop: threading.Event) -> None:
        """Wait to lead, then schedule until ``stop`` is set. Raises :class:`WorkerError` when
        this worker must not run at all, :class:`LostLeadError` when it lost the lead."""
        if not is_current(self.engine):
            raise WorkerError("the database schema is behind the code: run partnerbot db upgrade")
        lead = lead_for(self.engine)
        try:
            if not self._wait_to_lead(lead, stop):
                return
            self._lead(lead, stop)
        finally:
            lead.release()

    def _wait_to_lead(self, lead: Lead, stop: threading.Event) -> bool:
        waiting = False
        while not lead.try_acquire():
            if not waiting:
                logger.info("worker %s on standby: another worker leads", WORKER_ID)
                waiting = True
            if stop.wait(self.settings.worker_poll_s):
                return False
        return True

    def _lead(self, lead: Lead, stop: threading.Event) -> None:
        global _runtime
        triggers = {
            name: CronTrigger.from_crontab(
                getattr(self.program.schedules, name), timezone=self.timezone
            )
            for name in JOBS
        }
        _runtime = _Runtime(self.session_factory, self.program, triggers)
        scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.engine)},
            executors={"default": ThreadPoolExecutor(JOB_THREADS)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=self.timezone,
        )
        scheduler.start(paused=True)
        leading = threading.Event()  # set when this worker stops leading
        delivery = threading.Thread(target=self._deliver_until, args=(leading,), name="delivery")
        try:
            self._schedule(scheduler, triggers)
            scheduler.resume()
            delivery.start()
            logger.info("worker %s now leading; jobs: %s", WORKER_ID, ", ".join(JOBS))
            while not stop.wait(self.settings.worker_poll_s):
                if not lead.held():
                    raise LostLeadError(f"worker {WORKER_ID} lost its database connection")
        finally:
            leading.set()
            scheduler.shutdown(wait=True)
            if delivery.is_alive():
                delivery.join()
            _runtime = None

    def _schedule(self, scheduler: BackgroundScheduler, triggers: dict[str, CronTrigger]) -> None:
        """Bring the stored schedule in line with program.toml, keeping each unchanged job's
        next run time (a run missed while no worker ran is then due at once)."""
        for name, trigger in triggers.items():
            stored = scheduler.get_job(name, jobstore="default")
            if stored is None:
                scheduler.add_job(
                    run_scheduled, trigger, args=[name], id=name, name=name, jobstore="default"
                )
            elif (str(stored.trigger), str(stored.trigger.timezone)) != (
                str(trigger),
                str(trigger.timezone),
            ):
                scheduler.reschedule_job(name, jobstore="default", trigger=trigger)
        for stored in scheduler.get_jobs(jobstore="default"):
            if stored.id not in triggers:
                scheduler.remove_job(stored.id, jobstore="default")

    def _deliver_until(self, done: threading.Event) -> None:
        """Deliver the outbox, pausing ``delivery_interval_s`` between runs (a run may take
        longer: pacing), until ``done`` is set; a failed run is logged and the next retries."""
        lease = timedelta(seconds=self.settings.delivery_lease_s)
        while True:
            try:
                report = deliver_pending(
                    self.session_factory, self.client, pacer=self.pacer, lease=lease
                )
            except Exception:
                logger.exception("delivery run failed; the next run retries")
            else:
                if report != DeliveryReport():
                    logger.info("delivery: %s", report)
            if done.wait(self.settings.delivery_interval_s):
                return
