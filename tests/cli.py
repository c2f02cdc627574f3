"""``partnerbot`` run as a user runs it: a new process, the environment it would have."""

import os
import subprocess
import sys
from pathlib import Path

from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import SIGNING_SECRET


def run_cli(
    *args: str, database_url: str, cwd: Path, **environment: str
) -> subprocess.CompletedProcess[str]:
    """``partnerbot ARGS`` on ``database_url``, with more ``environment`` variables."""
    env = {**os.environ, **environment, "DATABASE_URL": database_url, "COLUMNS": "160"}
    env.pop("PARTNERBOT_PROGRAM", None)
    return subprocess.run(
        [sys.executable, "-m", "partnerbot", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def doctor(fake: FakeSlack, database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": fake.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "COLUMNS": "200",
    }
    env.pop("PARTNERBOT_PROGRAM", None)  # the shipped example's rules
    return subprocess.run(
        [sys.executable, "-m", "partnerbot", "doctor"],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
        timeout=120,
    )
