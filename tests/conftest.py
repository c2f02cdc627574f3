"""Test databases. Every test that takes ``engine`` runs on SQLite and on PostgreSQL (the
production database): ``TEST_DATABASES=sqlite`` narrows that, ``TEST_POSTGRES_URL`` points
elsewhere (its database's name must end in ``_test``: its schema is dropped). When no server
answers there, a throwaway one from ``pgserver`` serves the session (see ``tests/databases.py``).
The schema is built by the migrations, exactly as in production, and emptied before each test.
PostgreSQL tests carry the ``postgres`` marker, so ``-m "not postgres"`` runs the SQLite half.
Also here, for the Slack and the job tests alike: the fake Slack and a session factory."""

from __future__ import annotations  # pytest 8.0, the floor, has no public TerminalReporter

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings
from slack_sdk import WebClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from messages.delivery import delivery_client
from models import Base
from models.db import make_engine, make_session_factory
from models.migrate import upgrade
from tests.databases import (
    POSTGRES_URL,
    Postgres,
    create_postgres_database,
    refusal,
    session_postgres,
)
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack

# A deadline measures the machine, not the code: on a shared runner the first example of a test
# (which may load a module or a word list) took 650 ms against hypothesis's default 200 ms.
settings.register_profile("partnerbot", deadline=None)
settings.load_profile("partnerbot")

BACKENDS = os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(",")
POSTGRES = pytest.StashKey[Postgres]()
UNRUN = pytest.StashKey[int]()  # PostgreSQL tests deselected for want of a server


def pytest_sessionstart(session: pytest.Session) -> None:
    """Choose the session's PostgreSQL before the header is written (it names the choice)."""
    if "postgresql" not in BACKENDS:
        return
    if reason := refusal(POSTGRES_URL):
        pytest.exit(reason, returncode=pytest.ExitCode.USAGE_ERROR)
    session.config.stash[POSTGRES] = session_postgres(POSTGRES_URL)


def pytest_report_header(config: pytest.Config) -> str:
    if "postgresql" not in BACKENDS:
        return "PostgreSQL: not used (TEST_DATABASES=sqlite)"
    return f"PostgreSQL: {config.stash[POSTGRES].description}"


def pytest_sessionfinish(session: pytest.Session) -> None:
    if POSTGRES in session.config.stash:
        session.config.stash[POSTGRES].stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the PostgreSQL variants and the PostgreSQL-only tests ``postgres``; with no server
    at all, deselect them (one line in the summary says so, rather than a skip each)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("database_url") == "postgresql"
        if on_postgres or "postgres" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
    if POSTGRES in config.stash and config.stash[POSTGRES].url is None:
        unrunnable = [item for item in items if item.get_closest_marker("postgres")]
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]
        config.hook.pytest_deselected(items=unrunnable)
        config.stash[UNRUN] = len(unrunnable)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    if config.stash.get(UNRUN, 0):
        terminalreporter.write_line(
            f"NOT RUN: {config.stash[UNRUN]} PostgreSQL tests; PostgreSQL: "
            f"{config.stash[POSTGRES].description}",
            red=True,
            bold=True,
        )


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "postgresql":
        url = request.config.stash[POSTGRES].url
        assert url is not None, "PostgreSQL tests are deselected when there is no server"
        create_postgres_database(url)
        return url
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
def fake_slack() -> Iterator[FakeSlack]:
    """A fake Slack Web API on a free local port, recording every request."""
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on the emptied test database."""
    return make_session_factory(engine)


@pytest.fixture
def postgres(engine: Engine) -> Engine:
    """The test engine on PostgreSQL only: SQLite has one writer, so nothing races there."""
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL only (SQLite has one writer)")
    return engine


@pytest.fixture
def client(fake_slack: FakeSlack) -> WebClient:
    """The worker's delivery client, on the fake Slack."""
    return delivery_client(Settings(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=fake_slack.api_url))
