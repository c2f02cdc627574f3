"""QBR benchmark: every partner's quarterly business review for a 2,000-partner program.

Target (from the issue): QBR digests for 2,000 partners rendered in ≤ 60 s.

Setup (not timed, reused on the next run): ``synth.generate_program`` writes a synthetic
program (``--partners``, ``--months``, ``--seed``; history up to the first of this month) into
``--dir``, it is imported into the database exactly as ``partnerbot demo`` imports it
(``ingest.import_file``, partners → people → deals → activities), and the scorecards of the
quarter's last month are computed (the nightly run's job, not the QBR's).

Measured in a fresh process (this script with ``--child``), so its peak RSS is the QBR run's:

1. ``qbr_digest_job`` as the scheduler runs it — content for every active partner, rendering,
   queueing in the outbox — end to end (the quarter's outbox rows are deleted first);
2. the same work broken down: the content of all QBRs (``qbr_digests``, one pass over the
   program), then each partner's rendering (``qbr_messages``) timed one by one;
3. every QBR's chart drawn (``messages.charts.revenue_chart``), as the outbox draws each just
   before its first post: the CPU delivery adds to the job.

Run from the repository root::

    python bench/qbr_bench.py                       # scratch SQLite file in --dir
    python bench/qbr_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/partnerbot_qbr_bench

A PostgreSQL database must exist (``createdb``); the bench upgrades its schema and imports the
program when it holds no partners.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, select  # noqa: E402

from config.program import Program, example_text, parse_program  # noqa: E402
from ingest import import_file  # noqa: E402
from insights.digests import DAY, last_complete, qbr_digests  # noqa: E402
from insights.scorecard_store import compute_and_store  # noqa: E402
from jobs.digests import qbr_digest_job  # noqa: E402
from messages.charts import revenue_chart  # noqa: E402
from messages.digests import qbr_messages  # noqa: E402
from models import OutboxMessage, Partner  # noqa: E402
from models.db import make_engine, make_session_factory  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from synth import ProgramSpec, generate_program  # noqa: E402

TARGET_SECONDS = 60.0
IMPORT_ORDER = ("partners", "people", "deals", "activities")


def program() -> Program:
    return parse_program(example_text(), "program.example.toml")


def spec(args: argparse.Namespace) -> ProgramSpec:
    today = datetime.now(UTC).date()
    return ProgramSpec(
        partners=args.partners, months=args.months, seed=args.seed, end=today.replace(day=1)
    )


def prepare(args: argparse.Namespace, url: str) -> str:
    """Generate and import the program unless the database holds one; score the quarter's
    last month. Returns the quarter's label."""
    engine = make_engine(url)
    upgrade(engine)
    rules = program()
    generated = spec(args)
    quarter = last_complete("quarter", generated.end)
    with engine.connect() as connection:
        partners = connection.scalar(select(func.count()).select_from(Partner))
    if not partners:
        if not all((args.dir / f"{kind}.csv").exists() for kind in IMPORT_ORDER):
            print(f"   generating {args.partners:,} partners × {args.months} months in {args.dir}")
            generate_program(generated, args.dir)
        for kind in IMPORT_ORDER:
            started = time.perf_counter()
            result = import_file(kind, args.dir / f"{kind}.csv", engine, rules)
            print(f"   imported {result.rows:,} {kind} in {time.perf_counter() - started:.1f} s")
    with make_session_factory(engine).begin() as session:
        run = compute_and_store(session, rules, quarter.end + DAY)
    print(f"   scored {run.partners:,} partners for {run.month:%B %Y} in {run.seconds:.1f} s")
    engine.dispose()
    return quarter.label


def child(url: str) -> None:
    """The measured run, in this fresh process; prints its figures as JSON."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    rules = program()
    with factory.begin() as session:
        session.execute(delete(OutboxMessage).where(OutboxMessage.key.like("qbr:%")))
    now = datetime.now(UTC)
    started = time.perf_counter()
    report = qbr_digest_job(factory, rules, now)  # the quarter before `now`: the bench's
    job_seconds = time.perf_counter() - started
    quarter = last_complete("quarter", now.date())

    with factory() as session:
        started = time.perf_counter()
        digests = qbr_digests(session, rules, quarter)
        content_seconds = time.perf_counter() - started
    renders, blocks, charts = [], 0, []
    for digest in digests:
        started = time.perf_counter()
        messages = qbr_messages(digest, rules.partner_view)
        renders.append(time.perf_counter() - started)
        blocks = max(blocks, max(len(m.blocks) for m in messages))
        for chart in (m.chart for m in messages if m.chart is not None):
            started = time.perf_counter()
            revenue_chart(chart)
            charts.append(time.perf_counter() - started)
    figures = {
        "quarter": report.period,
        "job_seconds": job_seconds,
        "queued": report.queued,
        "no_channel": report.no_channel,
        "partners": len(digests),
        "content_seconds": content_seconds,
        "render_median_ms": statistics.median(renders) * 1000,
        "render_p95_ms": statistics.quantiles(renders, n=20)[-1] * 1000,
        "render_max_ms": max(renders) * 1000,
        "render_seconds": sum(renders),
        "most_blocks": blocks,
        "charts": len(charts),
        "chart_seconds": sum(charts),
        "chart_median_ms": statistics.median(charts) * 1000 if charts else 0.0,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=2000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--dir", type=Path, default=Path("/tmp/partnerbot-qbr-bench"), help="generated files"
    )
    parser.add_argument("--database-url", help="default: a SQLite file in --dir")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{args.dir / 'bench.sqlite3'}"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} at start (a shared machine: noise)")
    print(f"database: {make_engine(url).url.render_as_string()}")
    print("setup (not timed)")
    quarter = prepare(args, url)
    print(f"QBRs of {quarter}, each run in a fresh process ({args.repeat} runs)")
    print(
        f"   {'run':<5}{'job s':>7}{'content s':>11}{'render med':>12}{'p95':>8}{'max':>8}"
        f"{'partners':>10}{'per partner':>13}{'peak RSS':>10}"
    )
    runs = []
    for index in range(1, args.repeat + 1):
        done = subprocess.run(
            [sys.executable, __file__, "--child", url],
            capture_output=True,
            text=True,
            check=True,
        )
        run = json.loads(done.stdout.strip().splitlines()[-1])
        runs.append(run)
        per_partner = run["job_seconds"] / max(run["partners"], 1) * 1000
        print(
            f"   {index:<5}{run['job_seconds']:>7.2f}{run['content_seconds']:>11.2f}"
            f"{run['render_median_ms']:>9.2f} ms{run['render_p95_ms']:>5.1f} ms"
            f"{run['render_max_ms']:>5.1f} ms{run['partners']:>10,}{per_partner:>10.2f} ms"
            f"{run['peak_mib']:>6.0f} MiB"
        )
    job = statistics.median(r["job_seconds"] for r in runs)
    last = runs[-1]
    print(
        f"   median job {job:.2f} s for {last['partners']:,} partners "
        f"({last['queued']:,} queued, {last['no_channel']} without a channel; "
        f"at most {last['most_blocks']} blocks a message) — "
        f"{job / TARGET_SECONDS:.0%} of the {TARGET_SECONDS:.0f} s target"
    )
    charts = statistics.median(r["chart_seconds"] for r in runs)
    print(
        f"   their {last['charts']:,} charts, drawn at delivery: {charts:.1f} s median "
        f"({last['chart_median_ms']:.1f} ms each)"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
