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
import json
import logging
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, func, select  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from bench.slack_load import Command, report_phase, send, serving  # noqa: E402
from config.program import Program, example_text, parse_program  # noqa: E402
from insights.scorecard_store import compute_and_store, latest_month  # noqa: E402
from messages import scorecard_messages  # noqa: E402
from models import Partner, Person, PersonRole  # noqa: E402
from models.db import make_engine, make_session_factory  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from tests.slack.fake_slack import (  # noqa: E402
    Recorded,
)

DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/partnerbot_helpers1_bench"
MANAGER = "U0BENCHMGR"
COMPUTE_SECONDS = 10.0
COMPUTE_MIB = 2048.0
ACK_P99 = 0.100
DELIVERY_P95 = 1.5


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
    started = time.perf_counter()
    with make_session_factory(engine).begin() as session:  # the commit is part of the cost
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


def blocks_of(answer: Recorded) -> list[dict[str, Any]]:
    blocks = answer.body.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def is_card(answer: Recorded) -> bool:
    actions = [e.get("action_id") for b in blocks_of(answer) for e in b.get("elements", [])]
    return scorecard_messages.DEALS in actions


def is_leaderboard(answer: Recorded) -> bool:
    text = str(answer.body.get("text", ""))
    return text.startswith("Top ") and len(blocks_of(answer)) > 1


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
    command = Command(scorecard_messages.COMMAND, MANAGER)
    targets: dict[str, Any] = {"ack_p99": ACK_P99, "delivery": (95, DELIVERY_P95)}
    with serving(url, program(), MANAGER) as (server, fake):
        send(server, fake, command, "warmup", pick.choices(texts, k=args.warmup), args.rate)
        fake.clear()
        picked = pick.choices(texts, k=args.requests)
        cards = send(server, fake, command, "card", picked, args.rate)
        report_phase("/scorecard <partner id or name>", cards, fake, is_card, **targets)
        fake.clear()
        tops = send(server, fake, command, "top", ["top 10"] * args.top_requests, args.rate)
        report_phase("/scorecard top 10", tops, fake, is_leaderboard, **targets)
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
