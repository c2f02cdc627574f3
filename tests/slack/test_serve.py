"""``partnerbot serve`` as a platform runs it: gunicorn with several worker processes, answering
signed commands and health probes, stopping cleanly on SIGTERM; and the health probe telling
an unmigrated database apart from an unreachable one."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from models.db import make_engine
from models.migrate import upgrade
from tests.slack.fake_slack import HOME_TEAM, FakeSlack
from tests.slack.running_app import running_app
from tests.slack.signing import SIGNING_SECRET, signed, slash_command_body
from tests.waiting import wait_until

MANAGER = "U0MANAGER"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def post(port: int, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("POST", "/slack/events", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_until_healthy(port: int, process: subprocess.Popen[str]) -> None:
    def healthy() -> bool:
        assert process.poll() is None, process.communicate()[0]
        try:
            return get(port, "/healthz")[0] == 200
        except OSError:
            return False

    wait_until(healthy, "partnerbot serve healthy", interval=0.2)


@pytest.mark.slow
def test_serve_runs_gunicorn_workers_that_answer_slack(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    upgrade(make_engine(database))
    fake_slack.add_user(MANAGER, HOME_TEAM)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "SLACK_BOT_TOKEN": fake_slack.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "PARTNERBOT_CHART_PROCESSES": "0",
    }
    env.pop("PARTNERBOT_PROGRAM", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "partnerbot", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_healthy(port, process)
        # each worker checks the token itself (the first may answer /healthz before the second)
        fake_slack.wait_for(lambda r: r.name == "auth.test", count=2, timeout=30)
        answers = []
        for _ in range(6):  # spread over both workers
            response_url = fake_slack.response_url()
            body = slash_command_body(
                "/deal", "help", user_id=MANAGER, team_id=HOME_TEAM, response_url=response_url
            )
            request = signed(body)
            status, answered = post(port, request.body, request.headers)
            assert status == 200
            if not answered:  # not in the acknowledgement: through response_url
                answered = fake_slack.wait_for_response(response_url, timeout=10).raw
            answers.append(json.loads(answered))
        assert {a["text"] for a in answers} == {"/deal usage"}
        forged = signed(body, forge=True)
        assert post(port, forged.body, forged.headers)[0] == 401
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=40)
    assert process.returncode == 0, output
    assert "Booting worker" in output


def test_healthz_is_503_until_the_database_is_migrated(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    with running_app(fake_slack, database) as app:
        answer = app.request("GET", "/healthz")
        assert (answer.status, answer.json()) == (503, {"ok": False, "error": "migrations"})
        upgrade(make_engine(database))
        assert app.request("GET", "/healthz").status == 200
