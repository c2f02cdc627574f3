"""Import benchmark: a 1,000,000-row deals CSV into SQLite and PostgreSQL.

Prints seconds, rows/s and peak RSS (writer process + reader process) for the first import and
for a re-import of the same file, which must change nothing. Each import runs in a fresh
process, so its peaks are its own; each figure is the median of --repeat runs.

    python bench/import_bench.py                  # 1,000,000 rows, both backends
    python bench/import_bench.py --rows 200000 --backends sqlite
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text

from config.program import example_text, parse_program
from ingest import import_file
from models import DealRegistration
from models.db import make_engine
from models.migrate import upgrade
from synth import ProgramSpec, generate_program

OUT = Path(__file__).with_name("out")
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/partnerbot_bench"


def program_files(rows: int) -> tuple[Path, Path]:
    """Partners and a deals file of exactly ``rows`` rows from the synthetic generator."""
    folder = OUT / "program"
    deals = OUT / f"deals-{rows}.csv"
    if not deals.exists():
        partners = 10_000
        while True:
            generated = generate_program(ProgramSpec(partners=partners, months=36, seed=1), folder)
            if generated.deals >= rows:
                break
            partners = int(partners * rows / max(generated.deals, 1) * 1.1)
        with (folder / "deals.csv").open(encoding="utf-8") as source, deals.open("w") as target:
            for index, line in enumerate(source):
                if index > rows:
                    break
                target.write(line)
    return folder / "partners.csv", deals


def fresh_database(backend: str) -> str:
    if backend == "sqlite":
        path = OUT / "bench.sqlite3"
        for leftover in OUT.glob("bench.sqlite3*"):
            leftover.unlink()
        return f"sqlite:///{path}"
    admin = make_engine(POSTGRES.rsplit("/", 1)[0] + "/postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("DROP DATABASE IF EXISTS partnerbot_bench WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE partnerbot_bench"))
    admin.dispose()
    return POSTGRES


def child(url: str, kind: str, path: Path) -> None:
    """One import in this process; prints its figures as JSON. The reader is this process's
    child, so RUSAGE_CHILDREN is its peak."""
    engine = make_engine(url)
    program = parse_program(example_text(), "program.example.toml")
    started = time.perf_counter()
    result = import_file(kind, path, engine, program)
    seconds = time.perf_counter() - started
    figures = {
        "seconds": seconds,
        "rows": result.rows,
        "inserted": result.inserted,
        "updated": result.updated,
        "writer_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "reader_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }
    print(json.dumps(figures))


def run_child(url: str, kind: str, path: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", url, kind, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def fingerprint(url: str) -> tuple[object, ...]:
    engine = make_engine(url)
    with engine.connect() as connection:
        row = connection.execute(
            select(
                func.count(),
                func.sum(DealRegistration.amount),
                func.max(DealRegistration.updated_at),
            )
        ).one()
    engine.dispose()
    return tuple(row)


def report(backend: str, label: str, runs: list[dict[str, float]]) -> None:
    seconds = statistics.median(r["seconds"] for r in runs)
    writer = max(r["writer_mib"] for r in runs)
    reader = max(r["reader_mib"] for r in runs)
    print(
        f"{backend:<11}{label:<10}{seconds:>9.1f}{runs[0]['rows'] / seconds:>10,.0f}"
        f"{f'{writer:.0f} + {reader:.0f} = {writer + reader:.0f} MiB':>26}"
        f"{runs[-1]['inserted']:>11,}{runs[-1]['updated']:>9,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median shown)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    partners, deals = program_files(args.rows)
    size_mib = deals.stat().st_size / 2**20
    print(f"deals file: {args.rows:,} rows, {size_mib:.0f} MiB; median of {args.repeat} run(s)")
    print(
        f"{'backend':<11}{'run':<10}{'seconds':>9}{'rows/s':>10}"
        f"{'peak RSS writer + reader':>26}{'inserted':>11}{'updated':>9}"
    )
    for backend in args.backends.split(","):
        first, again, unchanged = [], [], True
        for _ in range(args.repeat):
            url = fresh_database(backend)
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
            run_child(url, "partners", partners)
            first.append(run_child(url, "deals", deals))
            before = fingerprint(url)
            again.append(run_child(url, "deals", deals))
            unchanged = unchanged and fingerprint(url) == before
        report(backend, "import", first)
        report(backend, "re-import", again)
        print(f"{backend:<11}re-import left the table {'unchanged' if unchanged else 'CHANGED'}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    else:
        main()
