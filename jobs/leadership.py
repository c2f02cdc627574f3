"""Only one worker schedules jobs at a time. On PostgreSQL the leader holds a session-level
advisory lock on a connection of its own: the server drops it the moment that connection
ends, however the process died, so a standby worker polling for it takes over. SQLite has
no such lock and one writer at a time anyway: a second worker is refused, by an exclusive
file lock beside the database that the kernel releases when its holder dies."""

import fcntl
import os
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

LOCK_KEYS = {"a": 0x70626F74, "b": 1}
"""The advisory lock's two keys ("pbot", the worker's lead); two-key locks never collide with
the one-key locks registration takes."""


class WorkerError(Exception):
    """A worker that must not start; the message says why and what to do."""


class Lead(Protocol):
    def try_acquire(self) -> bool:
        """Become the leader if nobody is; False means wait and try again."""

    def held(self) -> bool:
        """Still the leader (the lock's connection is alive)."""

    def release(self) -> None: ...


class PostgresLead:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None

    def try_acquire(self) -> bool:
        try:
            if self._connection is None:
                connection = self._engine.connect()
                self._connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            statement = text("SELECT pg_try_advisory_lock(:a, :b)")
            return bool(self._connection.scalar(statement, LOCK_KEYS))
        except DBAPIError:  # the database is away: keep waiting, with a fresh connection
            self.release()
            return False

    def held(self) -> bool:
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
        except DBAPIError:
            return False
        return True

    def release(self) -> None:
        if self._connection is not None:
            self._connection.invalidate()  # closing the session releases the lock
            self._connection.close()
            self._connection = None


class SqliteLead:
    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".worker.lock")
        self._file: IO[str] | None = None

    def try_acquire(self) -> bool:
        file = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            holder = file.read().strip() or "unknown"
            file.close()
            raise WorkerError(
                f"another partnerbot worker (pid {holder}) is already running on the SQLite "
                f"database {self.database}. SQLite allows one "
                f"worker: stop the other one first, or use PostgreSQL (DATABASE_URL) to run a "
                f"standby worker that takes over when the leader stops."
            ) from None
        file.truncate(0)
        file.write(str(os.getpid()))
        file.flush()
        self._file = file
        return True

    def held(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the descriptor releases the lock
            self._file = None


def lead_for(engine: Engine) -> Lead:
    if engine.dialect.name == "postgresql":
        return PostgresLead(engine)
    database = engine.url.database
    if not database or database == ":memory:":
        raise WorkerError("the worker needs a database file or server, not an in-memory one")
    return SqliteLead(Path(database).resolve())
