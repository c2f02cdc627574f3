"""Fixtures for job tests: a delivery client pointed at the fake Slack, and a generated program
in the test database."""

from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine

from config.program import Program
from config.settings import Settings
from ingest import import_file
from jobs.delivery import delivery_client
from synth import ProgramSpec, generate_program
from tests.programs import EXAMPLE_PROGRAM
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack


@pytest.fixture
def client(fake_slack: FakeSlack) -> WebClient:
    return delivery_client(Settings(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=fake_slack.api_url))


@pytest.fixture
def program_db(engine: Engine, tmp_path: Path) -> Program:
    """A generated program (80 partners, 18 months) imported into the test database."""
    generated = generate_program(ProgramSpec(partners=80, months=18, seed=5), tmp_path)
    for kind in ("partners", "people", "deals", "activities"):
        import_file(kind, generated.paths[kind], engine, EXAMPLE_PROGRAM)
    return EXAMPLE_PROGRAM
