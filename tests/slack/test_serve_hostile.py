"""``partnerbot serve`` (gunicorn, as production runs it) against clients that do not play fair:
connections that send their headers or their body a byte at a time must not keep Slack's signed
requests from being acknowledged within Slack's 3 seconds; and gunicorn's own lines are JSON
when the logs are."""

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest

from tests.slack.fake_slack import HOME_TEAM, FakeSlack
from tests.slack.serve_process import Served, post, serving, slow_connection, trickle
from tests.slack.signing import signed, slash_command_body

MANAGER = "U0MANAGER"
SLOW_CONNECTIONS = 64
SLACK_WAITS = 3.0


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake_slack:
        fake_slack.add_user(MANAGER, HOME_TEAM)
        yield fake_slack


@pytest.fixture(scope="module")
def served(fake: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server for the module, 2 workers of 4 threads, logging JSON."""
    folder = tmp_path_factory.mktemp("serve-hostile")
    with serving(fake, folder, PARTNERBOT_LOG_FORMAT="json") as running:
        yield running


def acknowledged_in(fake: FakeSlack, port: int) -> float:
    """Seconds until a signed ``/deal help`` is acknowledged (200), within Slack's wait."""
    response_url = fake.response_url()
    body = slash_command_body(
        "/deal", "help", user_id=MANAGER, team_id=HOME_TEAM, response_url=response_url
    )
    request = signed(body)
    started = time.monotonic()
    status, _ = post(port, request.body, request.headers, timeout=SLACK_WAITS)
    assert status == 200
    return time.monotonic() - started


@pytest.mark.slow
def test_slow_clients_do_not_hold_up_slacks_requests(fake: FakeSlack, served: Served) -> None:
    stop = threading.Event()
    with ExitStack() as stack:
        connections = [
            stack.enter_context(slow_connection(served.port, n)) for n in range(SLOW_CONNECTIONS)
        ]
        trickler = threading.Thread(target=trickle, args=(connections, stop), daemon=True)
        trickler.start()
        stack.callback(trickler.join)
        stack.callback(stop.set)
        time.sleep(1)  # every slow connection accepted and trickling
        with ThreadPoolExecutor(6) as senders:
            waits = list(senders.map(lambda _: acknowledged_in(fake, served.port), range(6)))
    assert max(waits) < SLACK_WAITS


def test_gunicorns_own_lines_are_json(served: Served) -> None:
    output = served.output
    lines = output[: output.rfind("\n")].splitlines()  # a line being written is left out
    entries = [json.loads(line) for line in lines]
    gunicorn = [e["message"] for e in entries if e["logger"] == "gunicorn.error"]
    assert any(m.startswith("Booting worker") for m in gunicorn)
    assert any(m.startswith("Listening at") for m in gunicorn)
