"""Which PostgreSQL the tests use: the one at ``TEST_POSTGRES_URL`` when it answers, else a
throwaway server from the ``pgserver`` wheel (PostgreSQL binaries shipped on PyPI), so the
PostgreSQL half of the suite runs on a machine without a server; else none."""

import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy import make_url, text

from models.db import make_engine

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/partnerbot_test"
)


def refusal(url: str) -> str | None:
    """Why the tests must not touch ``url``, or None. They drop its database's public schema,
    so only a database named for tests (``…_test``) may be named."""
    database = make_url(url).database or ""
    if database.endswith("_test"):
        return None
    return (
        f"refusing {make_url(url)}: the tests drop the schema of the database it names "
        f"({database!r}), so its name must end in _test (set TEST_POSTGRES_URL)"
    )


def create_postgres_database(url: str) -> None:
    """Create the database named in ``url`` if it is missing (connecting to ``postgres``)."""
    if reason := refusal(url):
        raise ValueError(reason)
    target = make_url(url)
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def scratch_database(url: str, purpose: str) -> str:
    """``url`` with a sibling database for ``purpose`` (``partnerbot_test`` ->
    ``partnerbot_<purpose>_test``), created if missing: also named for tests."""
    database = (make_url(url).database or "").removesuffix("_test")
    scratch = make_url(url).set(database=f"{database}_{purpose}_test")
    created = scratch.render_as_string(hide_password=False)
    create_postgres_database(created)
    return created


def unreachable(url: str) -> str | None:
    """None when the PostgreSQL server at ``url`` takes a connection, else libpq's reason. Asks the
    maintenance database (the test database may not exist yet) and gives up after 2 s (libpq's
    shortest timeout), so a machine without a server is not kept waiting."""
    admin = make_url(url).set(drivername="postgresql", database="postgres")
    try:
        psycopg.connect(admin.render_as_string(hide_password=False), connect_timeout=2).close()
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]
    return None


@dataclass
class Postgres:
    """The PostgreSQL of this test session: ``url`` (None when there is none), what the
    session header says about it, and how to stop it."""

    url: str | None
    description: str
    stop: Callable[[], None] = field(default=lambda: None)


def throwaway(database: str) -> Postgres:
    """Start a PostgreSQL from the ``pgserver`` wheel in a new temporary directory, listening
    on a Unix socket only. PostgreSQL refuses to run as root: as root, pgserver runs it as a
    system user ``pgserver`` (made with ``useradd`` if missing) that owns the data directory,
    and opens up read and traverse rights on the directories above the data and binaries."""
    with warnings.catch_warnings():  # platformdirs warns where XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver  # here: only machines without a server need it

    pgdata = Path(tempfile.mkdtemp(prefix="partnerbot-pgserver-"))
    try:
        server = pgserver.get_server(pgdata, cleanup_mode="delete")
    except BaseException:
        shutil.rmtree(pgdata, ignore_errors=True)
        raise
    socket_dir = server.get_postmaster_info().socket_dir
    url = f"postgresql+psycopg://postgres@/{database}?host={socket_dir}"

    def stop() -> None:
        server.cleanup()  # stops the server and deletes its data directory
        shutil.rmtree(pgdata, ignore_errors=True)  # gone already unless another handle was open

    return Postgres(url, f"throwaway pgserver in {pgdata} (stopped and removed at exit)", stop)


def session_postgres(url: str) -> Postgres:
    """The configured server when it answers, else a throwaway one, else none (saying why)."""
    if (reason := unreachable(url)) is None:
        return Postgres(url, f"configured server at {make_url(url)}")
    try:
        server = throwaway(str(make_url(url).database))
    except Exception as error:  # ImportError, no useradd, initdb failing: all mean "none"
        return Postgres(
            None,
            f"none: no connection to {make_url(url)} ({reason}), and no throwaway pgserver "
            f"could start ({type(error).__name__}: {error})",
        )
    server.description = f"{server.description}; no connection to {make_url(url)} ({reason})"
    return server
