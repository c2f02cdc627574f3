"""Failures a user can fix end in one line saying what to do, never a traceback, and exit with
the README's codes: 2 for configuration or usage (a database not upgraded included), 3 for a
database out of reach (try again). Run through the real console entry, as a user runs it."""

from pathlib import Path

import pytest
from sqlalchemy import Engine

from config.settings import Settings
from tests.cli import run_cli

CLOSED_PORT = "postgresql+psycopg://postgres@127.0.0.1:1/partnerbot"
"""A PostgreSQL URL nothing listens at: connecting is refused at once."""


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize(
    "args", [("summary",), ("import", "partners", "partners.csv")], ids=["summary", "import"]
)
def test_a_database_not_upgraded_says_to_upgrade_it(args: tuple[str, ...], tmp_path: Path) -> None:
    (tmp_path / "partners.csv").write_text("partner_id,name,tier,region\nP1,Acme,gold,EMEA\n")
    done = run_cli(*args, database_url=f"sqlite:///{tmp_path / 'new.sqlite3'}", cwd=tmp_path)
    assert done.returncode == 2
    assert one_line(done.stderr).endswith("run partnerbot db upgrade")


@pytest.mark.parametrize(
    ("args", "environment"),
    [(("summary",), {}), (("worker",), {"SLACK_BOT_TOKEN": "xoxb-unused"})],
    ids=["summary", "worker"],
)
def test_an_unreachable_database_says_so(
    args: tuple[str, ...], environment: dict[str, str], tmp_path: Path
) -> None:
    done = run_cli(*args, database_url=CLOSED_PORT, cwd=tmp_path, **environment)
    assert done.returncode == 3
    line = one_line(done.stderr)
    assert line.startswith("partnerbot can't reach its database (")
    assert line.endswith("check DATABASE_URL and that the server is up, then try again")


def test_heroku_style_postgres_urls_get_the_psycopg_driver(engine: Engine, tmp_path: Path) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL URL")
    url = engine.url.render_as_string(hide_password=False)
    heroku = url.replace("postgresql+psycopg://", "postgres://", 1)
    assert Settings(DATABASE_URL=heroku).database_url == url
    assert Settings(DATABASE_URL=heroku.replace("postgres:", "postgresql:", 1)).database_url == url
    done = run_cli("summary", database_url=heroku, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "No partners yet" in done.stdout


def test_generate_refuses_an_empty_program(tmp_path: Path) -> None:
    done = run_cli(
        "generate", "--partners", "0", "--out", "out", database_url="sqlite://", cwd=tmp_path
    )
    assert done.returncode == 2
    assert one_line(done.stderr) == (
        "a program needs at least 1 partner and 6 months of history (--partners, --months): "
        "nothing written."
    )
    assert not (tmp_path / "out").exists()
