"""``partnerbot serve`` as a platform runs it: gunicorn with several worker processes, answering
signed commands and health probes, stopping cleanly on SIGTERM; refusing to start, in one line
that says what to fix, on a bad port or with Slack out of reach; and the health probe telling
an unmigrated database apart from an unreachable one."""

import json
import socket
from pathlib import Path

import pytest

from models.db import make_engine
from models.migrate import upgrade
from tests.slack.fake_slack import HOME_TEAM, FakeSlack
from tests.slack.running_app import running_app
from tests.slack.serve_process import free_port, post, serve_until_it_stops, serving
from tests.slack.signing import signed, slash_command_body

MANAGER = "U0MANAGER"


@pytest.mark.slow
def test_serve_runs_gunicorn_workers_that_answer_slack(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    fake_slack.add_user(MANAGER, HOME_TEAM)
    with serving(fake_slack, tmp_path) as served:
        answers = []
        for _ in range(6):  # spread over both workers
            response_url = fake_slack.response_url()
            body = slash_command_body(
                "/deal", "help", user_id=MANAGER, team_id=HOME_TEAM, response_url=response_url
            )
            request = signed(body)
            status, answered = post(served.port, request.body, request.headers)
            assert status == 200
            if not answered:  # not in the acknowledgement: through response_url
                answered = fake_slack.wait_for_response(response_url, timeout=10).raw
            answers.append(json.loads(answered))
        assert {a["text"] for a in answers} == {"/deal usage"}
        forged = signed(body, forge=True)
        assert post(served.port, forged.body, forged.headers)[0] == 401
    assert served.returncode == 0, served.output
    assert "Booting worker" in served.output


def test_healthz_is_503_until_the_database_is_migrated(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    with running_app(fake_slack, database) as app:
        answer = app.request("GET", "/healthz")
        assert (answer.status, answer.json()) == (503, {"ok": False, "error": "migrations"})
        upgrade(make_engine(database))
        assert app.request("GET", "/healthz").status == 200


@pytest.mark.parametrize(
    ("environment", "says"),
    [
        pytest.param(
            {"PORT": "0"}, "PORT: Input should be greater than or equal to 1", id="PORT=0"
        ),
        pytest.param({"PORT": "taken"}, "cannot listen on port", id="port in use"),
        pytest.param(
            {"SLACK_API_URL": "unreachable"},
            "Slack did not answer at http://127.0.0.1:",
            id="Slack unreachable",
        ),
    ],
)
def test_serve_that_cannot_start_says_why_in_one_line(
    fake_slack: FakeSlack, tmp_path: Path, environment: dict[str, str], says: str
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        environment = {"PORT": str(free_port()), **environment}
        if environment["PORT"] == "taken":
            environment["PORT"] = str(taken.getsockname()[1])
        if environment.get("SLACK_API_URL") == "unreachable":  # a port nothing listens on
            environment["SLACK_API_URL"] = f"http://127.0.0.1:{free_port()}/api/"
        done = serve_until_it_stops(fake_slack.api_url, tmp_path, **environment)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
