"""``partnerbot worker`` as a real process for tests: started with the environment an operator
sets, fast intervals, its log in a file the test can wait on, and SIGKILL to crash it."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from config.program import example_text
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import SIGNING_SECRET
from tests.waiting import wait_until


class WorkerProcess:
    def __init__(
        self, name: str, database_url: str, fake: FakeSlack, folder: Path, program: str = ""
    ) -> None:
        self.log = folder / f"{name}.log"
        rules = folder / "program.toml"
        if not rules.exists():
            rules.write_text(program or example_text(), encoding="utf-8")
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SLACK_API_URL": fake.api_url,
            "SLACK_BOT_TOKEN": fake.token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "PARTNERBOT_PROGRAM": str(rules),
            "PARTNERBOT_DELIVERY_INTERVAL": "0.3",
            "PARTNERBOT_WORKER_POLL": "0.5",
            "PARTNERBOT_DELIVERY_LEASE": "3",
        }
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "partnerbot", "worker"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=folder,
            )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def wait_for(self, text: str, timeout: float = 60) -> float:
        """Seconds until ``text`` appeared in the log; fails the test after ``timeout``."""

        def logged() -> bool:
            if text in self.output():
                return True
            if self.process.poll() is not None and text not in self.output():
                raise AssertionError(f"worker exited before {text!r}:\n{self.output()}")
            return False

        return wait_until(logged, f"{text!r} in the log of {self.log.name}", timeout=timeout)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)
