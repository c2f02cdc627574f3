"""Scorecard benchmark: computing the whole program's scorecards, and ``/scorecard`` over HTTP.

Targets (from the issue): computing all scorecards for the whole program takes ≤ 10 s and
≤ 2 GiB peak RSS; ``/scorecard`` is acknowledged in ≤ 100 ms p99 and the full card with its
chart is delivered in ≤ 1.5 s p95.

1. ``compute_and_store`` for the shipped example program, as of today, each run in a fresh
   process (this script with ``--child-compute``) so its peak RSS is that computation's own;
   ``--repeat`` runs, each printed, then the median.
2. The real HTTP server (``bot.http.make_server``) and a fake Slack (``tests.slack.fake_slack``)
   in this process; a separate client process sends signed ``/scorecard <partner>`` commands
   for random partners at a steady ``--rate``, then ``/scorecard top 10``. Ack latency is send
   → HTTP answer read; delivery latency is send → the fake receives the POST on that command's
   ``response_url`` (both on CLOCK_MONOTONIC, which is system-wide, so comparable across the two
   processes). Warm-up commands come first and are not counted.
3. Peak RSS of this (server + fake Slack) process and the total run time.

Run from the repository root::

    python bench/scorecard_bench.py
    python bench/scorecard_bench.py --requests 100 --rate 10 --repeat 1

It needs a PostgreSQL database holding a synthetic program (10,000 partners, 36 months; about
a million deals). To create it::

    createdb -h 127.0.0.1 -U postgres partnerbot_helpers1_bench
    export DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/partnerbot_helpers1_bench
    partnerbot db upgrade
    partnerbot generate --partners 10000 --months 36 --seed 1 --out DIR
    partnerbot import partners DIR/partners.csv      # then people, deals, activities

The bench upgrades the schema itself (``partner_scorecards`` comes with migration 0002) and
replaces the stored scorecards of last month; it adds one staff person, ``U0BENCHMGR``.
"""

import argparse
import http.client
import json
import logging
import multiprocessing
import os
import random
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, func, select  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from bot.http import EVENTS_PATH, make_server  # noqa: E402
from bot.render import scorecard_messages  # noqa: E402
from insights.scorecard_store import compute_and_store, latest_month  # noqa: E402
from models import Partner, Person, PersonRole  # noqa: E402
from models.db import make_engine, make_session_factory  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from partnerbot.program import Program, example_text, parse_program  # noqa: E402
from partnerbot.settings import Settings  # noqa: E402
from tests.slack.fake_slack import (  # noqa: E402
    BOT_TOKEN,
    HOME_TEAM,
    RESPONSE_URL,
    UPLOAD,
    FakeSlack,
    Recorded,
)
from tests.slack.signing import SIGNING_SECRET, signed, slash_command_body  # noqa: E402

DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/partnerbot_helpers1_bench"
MANAGER = "U0BENCHMGR"
COMPUTE_SECONDS = 10.0
COMPUTE_MIB = 2048.0
ACK_P99 = 0.100
DELIVERY_P95 = 1.5
DELIVERY_WAIT = 60.0
"""Seconds to wait, after the last command, for answers still on their way."""
QUIET = 1.0
"""Seconds without a request to the fake after which a phase's work counts as finished."""


def program() -> Program:
    return parse_program(example_text(), "program.example.toml")


def mib(kib: float) -> float:
    return kib / 1024


# --- the database ---------------------------------------------------------------------------


def prepared_engine(url: str) -> Engine:
    """The bench database, upgraded to the newest schema; exits with how to create it when it
    is missing or empty."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            partners = connection.scalar(select(func.count()).select_from(Partner))
    except OperationalError as error:
        sys.exit(f"cannot use {url}: {str(error).splitlines()[0]}\n\n{__doc__}")
    if not partners:
        sys.exit(f"{url} holds no partners; how to fill it:\n\n{__doc__}")
    return engine


def ensure_manager(engine: Engine) -> None:
    with make_session_factory(engine).begin() as session:
        if session.scalar(select(Person).where(Person.slack_user_id == MANAGER)) is None:
            session.add(Person(slack_user_id=MANAGER, role=PersonRole.MANAGER, name="Bench"))


def partner_texts(engine: Engine) -> list[str]:
    """What someone might type after ``/scorecard``: each partner's external id and name."""
    with engine.connect() as connection:
        rows = connection.execute(select(Partner.external_id, Partner.name)).all()
    return [text for row in rows for text in row]


# --- part 1: computing every scorecard --------------------------------------------------------


def current_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def child_compute(url: str) -> None:
    """One ``compute_and_store`` in this fresh process; prints its figures as JSON."""
    engine = make_engine(url)
    rules = program()
    before = current_rss_kib()
    with make_session_factory(engine)() as session:
        started = time.perf_counter()
        run = compute_and_store(session, rules, datetime.now(UTC).date())
        seconds = time.perf_counter() - started
    figures = {
        "seconds": seconds,
        "partners": run.partners,
        "month": run.month.isoformat(),
        "baseline_mib": mib(before),
        "peak_mib": mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
    }
    print(json.dumps(figures))


def run_compute(url: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child-compute", url],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_compute(url: str, repeat: int) -> None:
    print(f"1. compute_and_store, whole program, fresh process each run ({repeat} runs)")
    print(f"   {'run':<8}{'seconds':>9}{'peak RSS':>12}{'(after imports)':>17}{'partners':>10}")
    runs = []
    for index in range(1, repeat + 1):
        run = run_compute(url)
        runs.append(run)
        print(
            f"   {index:<8}{run['seconds']:>9.2f}{run['peak_mib']:>8.0f} MiB"
            f"{run['baseline_mib']:>13.0f} MiB{run['partners']:>10,}"
        )
    seconds = statistics.median(r["seconds"] for r in runs)
    peak = statistics.median(r["peak_mib"] for r in runs)
    print(
        f"   {'median':<8}{seconds:>9.2f}{peak:>8.0f} MiB   month {runs[-1]['month']}\n"
        f"   vs target: time {seconds / COMPUTE_SECONDS:.0%} of {COMPUTE_SECONDS:.0f} s, "
        f"peak {peak / COMPUTE_MIB:.0%} of {COMPUTE_MIB / 1024:.0f} GiB"
    )


# --- part 2: the server, the fake Slack and the client ---------------------------------------


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


@contextmanager
def serving(url: str, rules: Program) -> Iterator[tuple[str, TimedFake]]:
    """The real server on a free port, as ``partnerbot serve`` configures it (listener threads
    and chart processes from the settings' defaults), pointed at a fake Slack; yields its URL
    and the fake."""
    with TimedFake() as fake:
        settings = Settings(
            DATABASE_URL=url,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=fake.api_url,
        )
        server = make_server(settings, 0, host="127.0.0.1", program=rules)
        thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        fake.add_user(MANAGER, HOME_TEAM)
        host, port = server.server_address[:2]
        try:
            yield f"http://{host!s}:{port}", fake
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def post_command(server: str, fake_url: str, path: str, text: str) -> Sent:
    """Send one signed ``/scorecard {text}`` on a new connection, as Slack would."""
    body = slash_command_body(
        scorecard_messages.COMMAND,
        text,
        user_id=MANAGER,
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
        response.read()
        return Sent(path, sent, time.monotonic(), response.status)
    finally:
        connection.close()


def client(server: str, fake_url: str, commands: list[tuple[str, str]], rate: float) -> list[Sent]:
    """Runs in its own process: sends ``commands`` (path, text) at a steady ``rate`` per second,
    each from a pool thread so a slow answer does not delay the next command."""
    with ThreadPoolExecutor(max_workers=16) as pool:
        start = time.monotonic()
        futures = []
        for index, (path, text) in enumerate(commands):
            time.sleep(max(0.0, start + index / rate - time.monotonic()))
            futures.append(pool.submit(post_command, server, fake_url, path, text))
        return [f.result() for f in futures]


@dataclass(frozen=True)
class Phase:
    results: list[tuple[Sent, float | None]]
    """Each command and when its answer reached the fake (None: it did not)."""
    cpu_seconds: float
    """CPU time this process (server and fake Slack) spent meanwhile."""


def send(server: str, fake: TimedFake, label: str, texts: list[str], rate: float) -> Phase:
    """Send ``texts`` from a client process; pair each command with its delivery time."""
    commands = [(f"/{RESPONSE_URL}/{label}-{i}", text) for i, text in enumerate(texts)]
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(1) as pool:
        cpu = time.process_time()
        sent = pool.apply(client, (server, fake.url, commands, rate))
        deadline = time.monotonic() + DELIVERY_WAIT
        while time.monotonic() < deadline and any(s.path not in fake.arrivals for s in sent):
            time.sleep(0.05)
        wait_quiet(fake)
        cpu = time.process_time() - cpu
    return Phase([(s, fake.arrivals.get(s.path)) for s in sent], cpu)


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


def is_card(answer: Recorded) -> bool:
    actions = [e.get("action_id") for b in blocks_of(answer) for e in b.get("elements", [])]
    return scorecard_messages.DEALS in actions


def has_chart(answer: Recorded) -> bool:
    return any(b.get("type") == "image" for b in blocks_of(answer))


def is_leaderboard(answer: Recorded) -> bool:
    text = str(answer.body.get("text", ""))
    return text.startswith("Top ") and len(blocks_of(answer)) > 1


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


def report_phase(
    title: str, phase: Phase, fake: TimedFake, wanted: Callable[[Recorded], bool]
) -> None:
    results = phase.results
    answers = {r.path: r for r in fake.calls(RESPONSE_URL)}
    acks = [s.acked - s.sent for s, _ in results]  # a late ack's 404 counts too
    delivered = [arrived - s.sent for s, arrived in results if arrived is not None]
    wrong = [s for s, _ in results if s.path in answers and not wanted(answers[s.path])]
    charts = sum(1 for s, _ in results if s.path in answers and has_chart(answers[s.path]))
    cpu_ms = phase.cpu_seconds / max(len(results), 1) * 1000
    print(f"   {title}: {len(results)} commands; server + fake CPU {cpu_ms:.0f} ms per command")
    print(f"   {'ms':<10}{'median':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    print(latency_line("ack", acks))
    print(latency_line("delivery", delivered))
    failed = Counter(s.status for s, _ in results if s.status != 200)
    print(
        f"   not HTTP 200: {failed.total()}{f' {dict(failed)}' if failed else ''}; "
        f"not delivered in time: {len(results) - len(delivered)}; "
        f"wrong answer: {len(wrong)}; answers with chart: {charts}; "
        f"chart uploads received: {len(fake.calls(UPLOAD))}"
    )
    for sent in wrong[:3]:
        print(f"     e.g. {sent.path}: {str(answers[sent.path].body.get('text'))[:100]!r}")
    if acks and delivered:
        print(
            f"   vs target: ack p99 {percentile(acks, 99) / ACK_P99:.0%} of "
            f"{ACK_P99 * 1000:.0f} ms, delivery p95 "
            f"{percentile(delivered, 95) / DELIVERY_P95:.0%} of {DELIVERY_P95} s"
        )


def bench_slack(url: str, engine: Engine, args: argparse.Namespace) -> None:
    # Bolt warns for each command not acknowledged within 3 s and answers it 404; those are
    # counted below (not HTTP 200), so only errors are shown
    logging.basicConfig(level=logging.ERROR)
    texts = partner_texts(engine)
    pick = random.Random(args.seed)
    print(
        f"2. /scorecard over HTTP: real server + fake Slack here, client in another process, "
        f"{args.rate:g} commands/s"
    )
    with serving(url, program()) as (server, fake):
        send(server, fake, "warmup", pick.choices(texts, k=args.warmup), args.rate)
        fake.clear()
        cards = send(server, fake, "card", pick.choices(texts, k=args.requests), args.rate)
        report_phase("/scorecard <partner id or name>", cards, fake, is_card)
        fake.clear()
        tops = send(server, fake, "top", ["top 10"] * args.top_requests, args.rate)
        report_phase("/scorecard top 10", tops, fake, is_leaderboard)
        fake.clear()


def ensure_scored(url: str, engine: Engine) -> None:
    """Without part 1, still make sure the app finds stored scorecards (so no request
    computes them)."""
    with make_session_factory(engine)() as session:
        if latest_month(session) is None:
            print("   no stored scorecards: computing them once (not timed)")
            run_compute(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--repeat", type=int, default=3, help="compute runs (median shown)")
    parser.add_argument("--requests", type=int, default=300, help="/scorecard <partner> count")
    parser.add_argument("--top-requests", type=int, default=50, help="/scorecard top 10 count")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--rate", type=float, default=5.0, help="commands per second")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-compute", action="store_true", help="only part 2")
    args = parser.parse_args()
    started = time.perf_counter()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} at start (a shared machine: noise)")
    engine = prepared_engine(args.database_url)
    ensure_manager(engine)
    if args.skip_compute:
        ensure_scored(args.database_url, engine)
    else:
        bench_compute(args.database_url, args.repeat)
    bench_slack(args.database_url, engine, args)
    engine.dispose()
    peak = mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    print(f"3. peak RSS of the server process (with the fake Slack): {peak:.0f} MiB")
    print(f"   total run time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child-compute":
        child_compute(sys.argv[2])
    else:
        main()
