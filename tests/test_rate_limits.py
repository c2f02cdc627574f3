"""Rate limits counted in the database: per key and minute, shared by every process."""

from datetime import UTC, datetime

from sqlalchemy import Engine

from bot.rate_limits import over_limit
from models.db import make_session_factory

NOW = datetime(2026, 11, 23, 10, 15, 42, tzinfo=UTC)


def test_counts_per_key_and_minute(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    with sessions() as first, sessions() as second:  # two "processes"
        waits = [over_limit(s, "/scorecard:U1", 3, NOW) for s in (first, second, first, second)]
        assert waits == [0, 0, 0, 60 - 42]
        assert over_limit(first, "/scorecard:U2", 3, NOW) == 0
        next_minute = NOW.replace(minute=16, second=1)
        assert over_limit(second, "/scorecard:U1", 3, next_minute) == 0
