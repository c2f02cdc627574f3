"""The nightly scoring job end to end on PostgreSQL: database → scorecards → at-risk model,
reasons and drift flags → stored scores → alerts in the outbox, for a 10,000-partner program.

Target (issue 5): ≤ 60 s. Each run is a fresh process calling ``jobs.scoring.nightly_scoring``
exactly as the worker does, after the previous run's scores, alerts and outbox rows are
removed (so every run raises its alerts again).

    python bench/nightly_bench.py [--partners 10000] [--months 36] [--repeat 3]

The first run creates and fills the database ``partnerbot_nightly_bench`` (a generated program
imported as ``partnerbot import`` does; a few minutes); later runs reuse it.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.program import EXAMPLE, example_text, parse_program  # noqa: E402
from ingest import import_file  # noqa: E402
from jobs.scoring import nightly_scoring  # noqa: E402
from models import OutboxMessage, Partner, PartnerAlert  # noqa: E402
from models.db import make_engine, make_session_factory  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from models.monitoring import PartnerRiskScore, RiskRun  # noqa: E402
from synth import ProgramSpec, generate_program  # noqa: E402
from tests.conftest import create_postgres_database  # noqa: E402

URL = "postgresql+psycopg://postgres@127.0.0.1:5432/partnerbot_nightly_bench"
NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # the night after the generated history ends
PROGRAM = parse_program(example_text(), EXAMPLE)


def prepare(partners: int, months: int) -> None:
    create_postgres_database(URL)
    engine = make_engine(URL)
    upgrade(engine)
    with engine.connect() as connection:
        have = connection.scalar(select(func.count()).select_from(Partner))
    if have == partners:
        return
    if have:
        raise SystemExit(f"{URL} holds {have} partners, not {partners}: drop it first")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        generated = generate_program(ProgramSpec(partners, months, seed=1), Path(folder))
        for kind in ("partners", "people", "deals", "activities"):
            import_file(kind, generated.paths[kind], engine, PROGRAM)
    print(f"created {URL}: {generated.describe()} in {time.perf_counter() - started:.0f} s")


def child() -> None:
    engine = make_engine(URL)
    with engine.begin() as connection:
        for table in (OutboxMessage, PartnerAlert, PartnerRiskScore, RiskRun):
            connection.execute(delete(table))
        connection.execute(text("ANALYZE"))
    factory = make_session_factory(engine)
    started = time.perf_counter()
    report = nightly_scoring(factory, PROGRAM, NOW)
    wall = time.perf_counter() - started
    with factory() as session:
        queued = session.scalar(select(func.count()).select_from(OutboxMessage))
    print(
        json.dumps(
            {
                "wall": wall,
                "phases": report.seconds,
                "partners": report.partners,
                "alerts": report.alerts,
                "summarised": report.summarised,
                "outbox": queued,
                "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    prepare(args.partners, args.months)
    runs = []
    for _ in range(args.repeat):
        done = subprocess.run(
            [sys.executable, __file__, "--child"], capture_output=True, text=True, check=True
        )
        run = json.loads(done.stdout.strip().splitlines()[-1])
        runs.append(run)
        phases = " · ".join(f"{k} {v:.1f}" for k, v in run["phases"].items())
        print(
            f"run: {run['wall']:.1f} s, {run['peak_mib']:,.0f} MiB peak — {phases}; "
            f"{run['partners']:,} partners scored, {run['alerts']} alerts + "
            f"{run['summarised']} summarised, {run['outbox']} messages in the outbox",
            flush=True,
        )
    walls = [r["wall"] for r in runs]
    print(
        f"\nnightly scoring, {args.partners:,} partners × {args.months} months on PostgreSQL: "
        f"median {statistics.median(walls):.1f} s ({min(walls):.1f}–{max(walls):.1f}), "
        f"peak {max(r['peak_mib'] for r in runs):,.0f} MiB; target ≤ 60 s"
    )


if __name__ == "__main__":
    main()
