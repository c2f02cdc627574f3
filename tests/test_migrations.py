"""The migrations build the schema the models describe, from an empty database, on both
backends; and upgrading twice is harmless."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, make_url, text

from models import Base
from models.db import make_engine
from models.migrate import is_current, upgrade
from tests.databases import scratch_database


@pytest.fixture
def empty_engine(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A brand-new empty database on the same backend as ``database_url``."""
    if make_url(database_url).get_backend_name() == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    else:
        engine = make_engine(scratch_database(database_url, "empty"))
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    yield engine
    engine.dispose()


def test_upgrade_from_empty_matches_the_models(empty_engine: Engine) -> None:
    assert inspect(empty_engine).get_table_names() == []
    upgrade(empty_engine)
    upgrade(empty_engine)
    assert is_current(empty_engine)
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    tables = set(inspect(empty_engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_an_unmigrated_database_is_not_current(empty_engine: Engine) -> None:
    assert not is_current(empty_engine)
