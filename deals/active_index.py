"""An in-process :class:`~deals.company_index.CompanyIndex` of the active registrations, kept in
step with the database, so the fuzzy part of every registration check is a few milliseconds
even with a million active registrations.

The database stays the truth: the index only proposes candidates (registration ids), which
are read back from the database with their current status and confirmed by
:func:`deals.names.same_company`. So the index may lag or hold stale entries without giving a
wrong answer, as long as it does not *miss* a registration:

* before each check it adds the registrations committed since it last looked (ids above the
  highest it has seen, and anything registered in the last two minutes: indexed reads of a
  handful of rows), so it sees what other processes registered — under the account's
  advisory lock, everything committed before;
* a candidate that is no longer active is dropped when a check finds it so;
* it is rebuilt from scratch every ``rebuild_seconds`` (an import may change an account), in a
  background thread, the old index answering meanwhile.

Until the first build finishes (about 30 s per million registrations) :meth:`candidates`
answers None and the caller falls back to SQL lookups.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from deals.company_index import CompanyIndex
from deals.names import FREE_MAIL_DOMAINS, CompanyKey, registrable_domain
from models import Account, DealRegistration
from models.enums import ACTIVE_DEAL_STATUSES

logger = logging.getLogger(__name__)

REBUILD_SECONDS = 3600.0
RETRY_SECONDS = 60.0
RECENT = timedelta(minutes=2)
"""Registrations this recent are looked at again on every catch-up: a transaction that took
an id earlier may commit later than one with a higher id."""


def _key(normalized_name: str, domain: str | None) -> CompanyKey:
    """The company key of a stored account, from its stored normalised fields (normalising a
    million names again would take most of a minute)."""
    if domain and registrable_domain(domain) in FREE_MAIL_DOMAINS:
        domain = None
    return CompanyKey(normalized_name, domain)


class ActiveIndex:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        rebuild_seconds: float = REBUILD_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session_factory = session_factory
        self.rebuild_seconds = rebuild_seconds
        self.clock = clock
        self._index: CompanyIndex | None = None
        self._last_id = 0
        self._built_at = 0.0
        self._attempted_at = clock()
        self._lock = threading.Lock()
        self._building = threading.Lock()

    @property
    def ready(self) -> bool:
        return self._index is not None

    def build(self) -> None:
        """Load every active registration into a fresh index and swap it in."""
        if not self._building.acquire(blocking=False):
            return  # another thread is building
        self._attempted_at = started = self.clock()
        try:
            index = CompanyIndex()
            with self.session_factory() as session:
                last_id = self._add_since(session, index, 0)
            with self._lock:
                if self._index is not None:  # registrations committed while we were building
                    with self.session_factory() as session:
                        last_id = self._add_since(session, index, last_id)
                self._index, self._last_id, self._built_at = index, last_id, self.clock()
            logger.info(
                "registration index: %s active registrations in %.1f s",
                f"{len(index):,}",
                self.clock() - started,
            )
        except Exception as error:  # the database may be down: SQL lookups until it is back
            logger.warning("registration index not built (retrying later): %s", error)
        finally:
            self._building.release()

    def start(self) -> threading.Thread:
        """Build in a background thread; checks use SQL until it is ready."""
        thread = threading.Thread(target=self.build, name="registration-index", daemon=True)
        thread.start()
        return thread

    @staticmethod
    def _add_since(session: Session, index: CompanyIndex, last_id: int) -> int:
        """Add the active registrations above ``last_id`` and those registered within
        ``RECENT`` (ids are handed out at insert and commits land in another order, so a
        registration may become visible after one with a higher id); one indexed read, the
        inactive rows included so the highest id seen moves past them. Returns that id."""
        recent = datetime.now(UTC) - RECENT
        seen = (
            or_(DealRegistration.id > last_id, DealRegistration.registered_at > recent)
            if last_id
            else DealRegistration.status.in_(ACTIVE_DEAL_STATUSES)  # the first build
        )
        rows = session.execute(
            select(
                DealRegistration.id,
                DealRegistration.status,
                Account.normalized_name,
                Account.domain,
            )
            .join(Account, Account.id == DealRegistration.account_id)
            .where(seen)
            .execution_options(yield_per=50_000)
        )
        for deal_id, status, normalized_name, domain in rows:
            if status in ACTIVE_DEAL_STATUSES:
                index.add(deal_id, _key(normalized_name, domain))
            last_id = max(last_id, deal_id)
        if not index and not last_id:  # nothing active yet: start from the newest id
            last_id = session.scalar(select(func.max(DealRegistration.id))) or 0
        return last_id

    def candidates(self, session: Session, key: CompanyKey, threshold: float) -> list[int] | None:
        """Ids of the registrations that may name the company ``key`` names, after catching
        up with what was committed since the last look (in ``session``'s view); None while
        the index is not built yet."""
        if self._index is None:
            if self.clock() - self._attempted_at > RETRY_SECONDS:
                self.start()
            return None
        if self.clock() - self._built_at > self.rebuild_seconds:
            self._built_at = self.clock()  # one rebuild at a time, not one per check
            self.start()
        with self._lock:
            index = self._index
            self._last_id = self._add_since(session, index, self._last_id)
            return index.matches(key, threshold)

    def forget(self, ids: Iterable[int]) -> None:
        """Drop registrations a check found no longer active."""
        with self._lock:
            if self._index is not None:
                for deal_id in ids:
                    self._index.remove(deal_id)
