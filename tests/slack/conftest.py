"""Fixtures for Slack tests: a fake Slack, and the real HTTP app pointed at it and at the test
database (``engine`` from ``tests/conftest.py``, so every test runs on SQLite and PostgreSQL)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.http import make_server
from config.logs import ContextExecutor
from config.program import Program, example_text, parse_program
from config.settings import Settings
from models.db import make_session_factory
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.slack.running_app import RunningApp
from tests.slack.signing import SIGNING_SECRET

PROGRAM = parse_program(example_text(), "program.example.toml")


def slack_settings(
    database_url: str, fake: FakeSlack, *, registration_index: bool = True, **environment: Any
) -> Settings:
    """Settings for the app under test; ``environment`` sets more of them by variable name."""
    return Settings(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        PARTNERBOT_REGISTRATION_INDEX=registration_index,
        **{"PARTNERBOT_CHART_PROCESSES": 0, **environment},  # default: drawn in the thread
    )


@contextmanager
def running_app(
    fake: FakeSlack,
    database_url: str,
    session_factory: sessionmaker[Session] | None = None,
    program: Program = PROGRAM,
    **environment: Any,
) -> Iterator[RunningApp]:
    """Serve the app (the same server ``bot.http.serve`` runs) on a free port, with settings
    ``environment`` besides the tests' own; on exit stop it and let running lazy listeners
    finish, so nothing reaches the fake after the test."""
    executor = ContextExecutor(max_workers=4, thread_name_prefix="bolt")
    server = make_server(
        slack_settings(database_url, fake, **environment),
        0,
        host="127.0.0.1",
        session_factory=session_factory,
        program=program,
        listener_executor=executor,
    )
    app = RunningApp(server, fake).start()
    try:
        yield app
    finally:
        app.stop()
        executor.shutdown(wait=True)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def slack_app(
    engine: Engine, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> Iterator[RunningApp]:
    """The app on the test database. Its start-up ``auth.test`` is checked and then cleared
    from the recording, so a test sees only what its own requests caused."""
    url = engine.url.render_as_string(hide_password=False)
    with running_app(fake_slack, url, session_factory) as app:
        assert [r.name for r in fake_slack.requests] == ["auth.test"]
        fake_slack.clear()
        yield app
