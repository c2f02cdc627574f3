"""Engine and session factory. One engine per process; sessions scoped to a unit of work."""

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, *, statement_timeout_s: int | None = None, pool_size: int = 5) -> Engine:
    """Create the engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout so the
    web process and the worker can share the file. On PostgreSQL, ``statement_timeout_s``
    bounds every statement (the web app sets it: a stuck query must not hold a request
    thread for ever) and ``pool_size`` (+ twice as many overflow) the connections."""
    if make_url(url).get_backend_name() != "sqlite":
        # a database that stops answering must fail a health check, not hang it
        connect_args: dict[str, object] = {"connect_timeout": 5}
        if statement_timeout_s:
            connect_args["options"] = f"-c statement_timeout={statement_timeout_s * 1000}"
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


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
