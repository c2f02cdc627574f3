"""Test databases. Every test that takes ``engine`` runs on SQLite and on PostgreSQL (the
production database): ``TEST_DATABASES=sqlite`` narrows that, ``TEST_POSTGRES_URL`` points
elsewhere. The schema is built by the migrations, exactly as in production, and emptied before
each test."""

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, make_url, text

from models import Base
from models.db import make_engine
from models.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/partnerbot_test"
)
BACKENDS = os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(",")


def create_postgres_database(url: str) -> None:
    """Create the database named in ``url`` if it is missing (connecting to ``postgres``)."""
    target = make_url(url)
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "postgresql":
        create_postgres_database(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'partnerbot-test.sqlite3'}"


@pytest.fixture(scope="session")
def migrated_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(migrated_engine: Engine) -> Engine:
    """The migrated test database, emptied."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with migrated_engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
    return migrated_engine


@pytest.fixture
def postgres(engine: Engine) -> Engine:
    """The test engine on PostgreSQL only: SQLite has one writer, so nothing races there."""
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL only (SQLite has one writer)")
    return engine
