"""Timing slash commands through the real HTTP server, as Slack would send them: the server and
a fake Slack (``tests.slack.fake_slack``) in this process, a client in another process sending
signed commands at a steady rate. Ack latency is send → HTTP answer; delivery latency is send →
the answer: the acknowledgement itself when it carries the answer, else the fake receiving the
POST on that command's ``response_url`` (both on CLOCK_MONOTONIC, which is system-wide, so
comparable across the two processes). Used by the scorecard and registration benchmarks."""

import http.client
import json
import multiprocessing
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.http import EVENTS_PATH, make_server  # noqa: E402
from config.program import Program  # noqa: E402
from config.settings import Settings  # noqa: E402
from tests.slack.fake_slack import (  # noqa: E402
    BOT_TOKEN,
    HOME_TEAM,
    RESPONSE_URL,
    UPLOAD,
    FakeSlack,
    Recorded,
)
from tests.slack.signing import SIGNING_SECRET, signed, slash_command_body  # noqa: E402

DELIVERY_WAIT = 60.0
"""Seconds to wait, after the last command, for answers still on their way."""
QUIET = 1.0
"""Seconds without a request to the fake after which a phase's work counts as finished."""


@dataclass(frozen=True)
class Command:
    """A slash command and who types it."""

    name: str
    user: str


@dataclass
class TimedFake(FakeSlack):
    """A fake Slack that also notes when each request arrived (CLOCK_MONOTONIC)."""

    arrivals: dict[str, float] = field(default_factory=dict)

    def _record(self, request: Recorded) -> None:
        self.arrivals.setdefault(request.path, time.monotonic())
        super()._record(request)


@dataclass(frozen=True)
class Sent:
    """One command as the client saw it."""

    path: str
    """The path of its ``response_url``."""
    sent: float
    acked: float
    status: int
    answer: Recorded | None = None
    """The answer, when it came in the acknowledgement."""


@contextmanager
def serving(
    url: str, rules: Program, user: str, *, registration_index: bool = True
) -> Iterator[tuple[str, TimedFake]]:
    """The real server on a free port, as ``partnerbot serve`` configures it (listener threads
    and chart processes from the settings' defaults), pointed at a fake Slack that knows
    ``user`` as a member of our workspace; yields the server's URL and the fake."""
    with TimedFake() as fake:
        settings = Settings(
            DATABASE_URL=url,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=fake.api_url,
            PARTNERBOT_REGISTRATION_INDEX=registration_index,
            PARTNERBOT_SCORECARDS_PER_MINUTE=100_000,  # one bench user asks for them all
        )
        server = make_server(settings, 0, host="127.0.0.1", program=rules)
        thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        fake.add_user(user, HOME_TEAM)
        host, port = server.server_address[:2]
        try:
            yield f"http://{host!s}:{port}", fake
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def post_command(server: str, fake_url: str, command: Command, path: str, text: str) -> Sent:
    """Send one signed slash command on a new connection, as Slack would."""
    body = slash_command_body(
        command.name,
        text,
        user_id=command.user,
        team_id=HOME_TEAM,
        response_url=fake_url + path,
    )
    request = signed(body)
    parts = urlsplit(server)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        sent = time.monotonic()
        connection.request("POST", EVENTS_PATH, body=request.body, headers=request.headers)
        response = connection.getresponse()
        raw = response.read()
        acked = time.monotonic()
        headers = {k.lower(): v for k, v in response.getheaders()}
        answer = (
            Recorded.acknowledgement(fake_url + path, headers, raw, response.status)
            if raw and response.status == 200
            else None
        )
        return Sent(path, sent, acked, response.status, answer)
    finally:
        connection.close()


def client(
    server: str, fake_url: str, command: Command, texts: list[tuple[str, str]], rate: float
) -> list[Sent]:
    """Runs in its own process: sends ``texts`` (path, text) at a steady ``rate`` per second,
    each from a pool thread so a slow answer does not delay the next command."""
    with ThreadPoolExecutor(max_workers=16) as pool:
        start = time.monotonic()
        futures = []
        for index, (path, text) in enumerate(texts):
            time.sleep(max(0.0, start + index / rate - time.monotonic()))
            futures.append(pool.submit(post_command, server, fake_url, command, path, text))
        return [f.result() for f in futures]


@dataclass(frozen=True)
class Phase:
    results: list[tuple[Sent, float | None]]
    """Each command and when its answer arrived: with the acknowledgement, or at the fake
    (None: it did not)."""
    cpu_seconds: float
    """CPU time this process (server and fake Slack) spent meanwhile."""


def send(
    server: str, fake: TimedFake, command: Command, label: str, texts: list[str], rate: float
) -> Phase:
    """Send ``command`` with each of ``texts`` from a client process; pair each with its
    delivery time."""
    paths = [(f"/{RESPONSE_URL}/{label}-{i}", text) for i, text in enumerate(texts)]
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(1) as pool:
        cpu = time.process_time()
        sent = pool.apply(client, (server, fake.url, command, paths, rate))
        deadline = time.monotonic() + DELIVERY_WAIT
        awaited = [s for s in sent if s.answer is None]
        while time.monotonic() < deadline and any(s.path not in fake.arrivals for s in awaited):
            time.sleep(0.05)
        wait_quiet(fake)
        cpu = time.process_time() - cpu
    return Phase([(s, s.acked if s.answer else fake.arrivals.get(s.path)) for s in sent], cpu)


def wait_quiet(fake: TimedFake) -> None:
    """Until nothing has reached the fake for ``QUIET`` seconds, so that work left over from
    one phase (late answers, uploads) is not counted in the next."""
    deadline = time.monotonic() + DELIVERY_WAIT
    seen = -1
    while time.monotonic() < deadline and len(fake.requests) != seen:
        seen = len(fake.requests)
        time.sleep(QUIET)


def blocks_of(answer: Recorded) -> list[dict[str, Any]]:
    blocks = answer.body.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def latency_line(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    if not ms:
        return f"   {name:<10}no samples"
    return (
        f"   {name:<10}{statistics.median(ms):>9.0f}{percentile(ms, 95):>9.0f}"
        f"{percentile(ms, 99):>9.0f}{max(ms):>9.0f}"
    )


def has_image(answer: Recorded) -> bool:
    return any(b.get("type") == "image" for b in blocks_of(answer))


def report_phase(
    title: str,
    phase: Phase,
    fake: TimedFake,
    wanted: Callable[[Recorded], bool],
    *,
    ack_p99: float,
    delivery: tuple[int, float],
) -> None:
    """Latencies of one phase (ack: send → HTTP answer; delivery: send → the answer reaches
    the fake's response_url), failures, and the ratio to the targets: ack p99 and delivery at
    the given percentile, in seconds."""
    results = phase.results
    answers = {r.path: r for r in fake.calls(RESPONSE_URL)}
    answers |= {s.path: s.answer for s, _ in results if s.answer is not None}
    acks = [s.acked - s.sent for s, _ in results]  # a late ack's 404 counts too
    delivered = [arrived - s.sent for s, arrived in results if arrived is not None]
    wrong = [s for s, _ in results if s.path in answers and not wanted(answers[s.path])]
    charts = sum(1 for s, _ in results if s.path in answers and has_image(answers[s.path]))
    cpu_ms = phase.cpu_seconds / max(len(results), 1) * 1000
    print(f"   {title}: {len(results)} commands; server + fake CPU {cpu_ms:.0f} ms per command")
    print(f"   {'ms':<10}{'median':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    print(latency_line("ack", acks))
    print(latency_line("delivery", delivered))
    failed = Counter(s.status for s, _ in results if s.status != 200)
    print(
        f"   not HTTP 200: {failed.total()}{f' {dict(failed)}' if failed else ''}; "
        f"not delivered in time: {len(results) - len(delivered)}; "
        f"wrong answer: {len(wrong)}; answers with an image: {charts}; "
        f"file uploads received: {len(fake.calls(UPLOAD))}"
    )
    for sent in wrong[:3]:
        print(f"     e.g. {sent.path}: {str(answers[sent.path].body.get('text'))[:100]!r}")
    if acks and delivered:
        print(
            f"   vs target: ack p99 {percentile(acks, 99) / ack_p99:.0%} of "
            f"{ack_p99 * 1000:.0f} ms, delivery p{delivery[0]} "
            f"{percentile(delivered, delivery[0]) / delivery[1]:.0%} of {delivery[1]:g} s"
        )
