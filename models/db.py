"""Engine and session factory. One engine per process, built by :func:`open_database` for the
process's role; sessions scoped to a unit of work."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from models.base import Base

if TYPE_CHECKING:
    from config.settings import Settings

Role = Literal["web", "worker", "cli"]
"""Who opens the database: the Slack-facing web or Socket Mode process, the scheduler worker,
or a command line run."""

WEB_STATEMENT_TIMEOUT_S = 30
"""Longest a web request's SQL statement may run (PostgreSQL)."""


def make_engine(
    url: str,
    *,
    statement_timeout_s: int | None = None,
    pool_size: int = 5,
    application_name: str | None = None,
) -> Engine:
    """Create the engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout so the
    web process and the worker can share the file. On PostgreSQL, ``statement_timeout_s``
    bounds every statement (the web app sets it: a stuck query must not hold a request
    thread for ever), ``pool_size`` (+ twice as many overflow) the connections and
    ``application_name`` what ``pg_stat_activity`` shows for them."""
    if make_url(url).get_backend_name() != "sqlite":
        # a database that stops answering must fail a health check, not hang it
        connect_args: dict[str, object] = {"connect_timeout": 5}
        if statement_timeout_s:
            connect_args["options"] = f"-c statement_timeout={statement_timeout_s * 1000}"
        if application_name:
            connect_args["application_name"] = application_name
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=2 * pool_size,
            connect_args=connect_args,
        )
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: bulk imports touch many index pages
        cursor.close()

    return engine


def is_unreachable(error: BaseException) -> bool:
    """Whether ``error`` means the database could not be reached: the driver failed to connect
    (no statement was sent: server down, wrong host, database dropped or closed to
    connections) or lost the connection. Not a failing statement, a timeout or a deadlock."""
    if not isinstance(error, DBAPIError):
        return False
    connecting = isinstance(error, OperationalError | InterfaceError) and error.statement is None
    return connecting or error.connection_invalidated


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@dataclass(frozen=True)
class Database:
    """A process's engine and the session factory over it."""

    engine: Engine
    sessions: sessionmaker[Session]


def open_database(settings: "Settings", role: Role) -> Database:
    """The database as ``role`` uses it, the one place that decides connection options: the
    web process bounds every statement (a stuck query must not hold a request thread for
    ever) and pools a connection per two listener threads; the worker and the command line
    keep the defaults. Each role names its connections, so an operator can tell them apart."""
    web = role == "web"
    engine = make_engine(
        settings.database_url,
        statement_timeout_s=WEB_STATEMENT_TIMEOUT_S if web else None,
        pool_size=settings.listener_threads // 2 if web else 5,
        application_name=f"partnerbot-{role}",
    )
    return Database(engine, make_session_factory(engine))


def insert_new(
    session: Session, entity: type[Base], values: dict[str, Any], unique: list[str]
) -> bool:
    """``INSERT … ON CONFLICT (unique) DO NOTHING`` on either backend, in the session's
    transaction; True when the row was new. Never raises on a duplicate, even under races."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(entity).values(values).on_conflict_do_nothing(index_elements=unique)
    return session.execute(statement.returning(*inspect(entity).primary_key)).first() is not None
