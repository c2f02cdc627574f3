"""Rate limits counted in the database: per key and minute, shared by every process."""

from datetime import UTC, datetime

from sqlalchemy import Engine

from bot.rate_limits import over_limit
from models.db import make_session_factory

NOW = datetime(2026, 11, 23, 10, 15, 42, tzinfo=UTC)


def test_counts_per_key_and_minute(engine: Engine) -> None:
    sessions = make_session_factory(engine)

    def count(key: str, now: datetime = NOW) -> int:
        """One request, counted in its own unit of work as a listener does."""
        with sessions.begin() as session:
            return over_limit(session, key, 3, now)

    assert [count("/scorecard:U1") for _ in range(4)] == [0, 0, 0, 60 - 42]
    assert count("/scorecard:U2") == 0
    assert count("/scorecard:U1", NOW.replace(minute=16, second=1)) == 0
