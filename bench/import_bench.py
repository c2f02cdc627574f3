"""Import benchmark: a 1,000,000-row deals CSV into SQLite and PostgreSQL.

Prints rows/s and peak RSS of the importing process for the first import and for a re-import
of the same file (which must change nothing). Each import runs in its own process so its peak
memory is its own.

    python bench/import_bench.py                  # 1,000,000 rows, both backends
    python bench/import_bench.py --rows 200000 --backends sqlite
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text

from ingest import import_file
from models import DealRegistration
from models.db import make_engine
from models.migrate import upgrade
from partnerbot.program import example_text, parse_program
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
        connection.execute(text("DROP DATABASE IF EXISTS partnerbot_bench"))
        connection.execute(text("CREATE DATABASE partnerbot_bench"))
    admin.dispose()
    return POSTGRES


def child(url: str, kind: str, path: Path) -> None:
    """One import in this process; prints its figures as JSON."""
    engine = make_engine(url)
    started = time.perf_counter()
    result = import_file(kind, path, engine, parse_program(example_text(), "example"))
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rows": result.rows,
                "inserted": result.inserted,
                "updated": result.updated,
                "peak_mib": peak_kib / 1024,
            }
        )
    )


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    partners, deals = program_files(args.rows)
    size_mib = deals.stat().st_size / 2**20
    print(f"deals file: {args.rows:,} rows, {size_mib:.0f} MiB ({deals})")
    print(
        f"{'backend':<11}{'run':<10}{'seconds':>9}{'rows/s':>10}{'peak RSS':>11}"
        f"{'inserted':>10}{'updated':>9}"
    )
    for backend in args.backends.split(","):
        url = fresh_database(backend)
        upgrade(make_engine(url))
        run_child(url, "partners", partners)
        first = run_child(url, "deals", deals)
        before = fingerprint(url)
        again = run_child(url, "deals", deals)
        unchanged = fingerprint(url) == before
        for label, figures in (("import", first), ("re-import", again)):
            print(
                f"{backend:<11}{label:<10}{figures['seconds']:>9.1f}"
                f"{figures['rows'] / figures['seconds']:>10,.0f}"
                f"{figures['peak_mib']:>7.0f} MiB{figures['inserted']:>10,}"
                f"{figures['updated']:>9,}"
            )
        print(f"{backend:<11}re-import left the table {'unchanged' if unchanged else 'CHANGED'}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    else:
        main()
