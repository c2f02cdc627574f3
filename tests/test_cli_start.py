"""The command line starts at once: ``partnerbot --help`` loads neither the database nor the
domain, and ``partnerbot doctor`` (no Slack token) none of the data science, charting or web
libraries (its outbox check reads through the delivery module, which brings the Slack SDK).
Each command imports what it uses: a module-level import of the domain in a command module
would show here. (bench/cli_start_bench.py measures the time itself.)"""

from pathlib import Path

import pytest

from models.db import make_engine
from models.migrate import upgrade
from tests.cli import run_cli

HEAVY = ("pandas", "sklearn", "scipy", "matplotlib", "slack_bolt", "gunicorn")


@pytest.mark.parametrize(
    ("args", "unwanted"),
    [
        pytest.param(("--help",), (*HEAVY, "slack_sdk", "sqlalchemy", "pydantic"), id="help"),
        pytest.param(("doctor",), HEAVY, id="doctor"),
    ],
)
def test_commands_load_only_what_they_use(
    args: tuple[str, ...],
    unwanted: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")  # each import, on stderr
    url = f"sqlite:///{tmp_path / 'partnerbot.sqlite3'}"
    upgrade(make_engine(url))
    done = run_cli(*args, database_url=url, cwd=tmp_path)
    imported = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "click" in imported, done.stderr
    assert set(unwanted) & imported == set()
