"""The command line starts at once: ``partnerbot --help`` loads neither the database nor the
domain, and ``partnerbot doctor`` (no Slack token) none of the data science, charting or web
libraries (its outbox check reads through the delivery module, which brings the Slack SDK).
Each command imports what it uses: a module-level import of the domain in a command module
would show here. (bench/cli_start_bench.py measures the time itself.)"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from models.db import make_engine
from models.migrate import upgrade

HEAVY = ("pandas", "sklearn", "scipy", "matplotlib", "slack_bolt", "gunicorn")

PROBE = """
import json, sys
from partnerbot.cli import main
sys.argv = ["partnerbot", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def loaded(*args: str, cwd: Path) -> set[str]:
    """The top-level packages loaded by the end of ``partnerbot *args``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SLACK_", "PARTNERBOT_"))
    }
    env["DATABASE_URL"] = f"sqlite:///{cwd / 'partnerbot.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
        timeout=120,
    )
    modules = json.loads(done.stdout.splitlines()[-1])
    return {name.split(".")[0] for name in modules}


@pytest.mark.parametrize(
    ("args", "unwanted"),
    [
        pytest.param(("--help",), (*HEAVY, "slack_sdk", "sqlalchemy", "pydantic"), id="help"),
        pytest.param(("doctor",), HEAVY, id="doctor"),
    ],
)
def test_commands_load_only_what_they_use(
    args: tuple[str, ...], unwanted: tuple[str, ...], tmp_path: Path
) -> None:
    upgrade(make_engine(f"sqlite:///{tmp_path / 'partnerbot.sqlite3'}"))
    assert set(unwanted) & loaded(*args, cwd=tmp_path) == set()
