"""``partnerbot serve`` as a platform runs it: gunicorn with several worker processes, answering
signed commands and health probes, stopping cleanly on SIGTERM; and the health probe telling
an unmigrated database apart from an unreachable one."""

import json
from pathlib import Path

import pytest

from models.db import make_engine
from models.migrate import upgrade
from tests.slack.fake_slack import HOME_TEAM, FakeSlack
from tests.slack.running_app import running_app
from tests.slack.serve_process import post, serving
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
