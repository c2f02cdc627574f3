"""Fixtures for job tests: a delivery client pointed at the fake Slack, and a generated program
in the test database."""

from pathlib import Path

import pytest
from sqlalchemy import Engine

from config.program import Program
from ingest import import_file
from synth import ProgramSpec, generate_program
from tests.programs import EXAMPLE_PROGRAM


@pytest.fixture
def program_db(engine: Engine, tmp_path: Path) -> Program:
    """A generated program (80 partners, 18 months) imported into the test database."""
    generated = generate_program(ProgramSpec(partners=80, months=18, seed=5), tmp_path)
    for kind in ("partners", "people", "deals", "activities"):
        import_file(kind, generated.paths[kind], engine, EXAMPLE_PROGRAM)
    return EXAMPLE_PROGRAM
