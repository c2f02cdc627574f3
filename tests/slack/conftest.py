"""Fixtures for Slack tests: the real HTTP app pointed at the fake Slack and at the test
database (``engine`` from ``tests/conftest.py``, so every test runs on SQLite and PostgreSQL)."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.slack.fake_slack import FakeSlack
from tests.slack.running_app import RunningApp, running_app


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
