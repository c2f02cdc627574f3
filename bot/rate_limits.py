"""Per-user rate limits for expensive commands, counted in the database so that every web
process and machine shares one count (a limit kept in process memory would multiply by the
number of processes)."""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import RequestCount

KEEP = timedelta(minutes=10)
"""Counts older than this are deleted now and then."""


def over_limit(session: Session, key: str, per_minute: int, now: datetime | None = None) -> int:
    """Count one request for ``key`` in the current minute; returns 0 while within
    ``per_minute``, else the seconds until the next minute starts. The caller commits, and
    should soon: until then the count's row (and, on SQLite, the database) stays locked."""
    now = now or datetime.now(UTC)
    window = now.replace(second=0, microsecond=0)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(RequestCount).values(key=key, window=window, hits=1)
    statement = statement.on_conflict_do_update(
        index_elements=["key", "window"], set_={"hits": RequestCount.hits + 1}
    ).returning(RequestCount.hits)
    hits = session.execute(statement).scalar_one()
    if random.random() < 0.01:
        session.execute(delete(RequestCount).where(RequestCount.window < now - KEEP))
    return 0 if hits <= per_minute else 60 - now.second
