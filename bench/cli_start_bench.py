"""Command line start-up benchmark: how long ``partnerbot --help`` and ``partnerbot doctor`` take,
beside ``python -c pass`` (the interpreter alone), as wall time of fresh processes.

Prints the median and min–max of --runs runs of each. ``doctor`` runs on a temporary, migrated
SQLite database without Slack settings, so it checks configuration, database, schema and
outbox and stops there. Bytecode is written and one untimed run warms each command up, as an
installed package would have its bytecode compiled. Target: ``--help`` under 0.5 s.

    python bench/cli_start_bench.py
    python bench/cli_start_bench.py --source /tmp/main   # e.g. `git archive main`, for a before
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 0.5


def environment(database: Path, source: Path | None) -> dict[str, str]:
    """The environment a user has: no Slack settings, bytecode written; ``source`` first on the
    path when measuring another checkout."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SLACK_", "PARTNERBOT_")) and name != "PYTHONDONTWRITEBYTECODE"
    }
    env["DATABASE_URL"] = f"sqlite:///{database}"
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    return env


def wall_times(command: list[str], env: dict[str, str], cwd: Path, runs: int) -> list[float]:
    """Seconds of each of ``runs`` runs of ``command``, after one untimed warm-up run."""
    times = []
    for run in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(command, env=env, cwd=cwd, capture_output=True, check=False)
        if run:
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each command")
    parser.add_argument(
        "--source", type=Path, help="a checkout whose partnerbot to measure (default: installed)"
    )
    args = parser.parse_args()
    partnerbot = [sys.executable, "-m", "partnerbot"]
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        env = environment(cwd / "partnerbot.sqlite3", args.source)
        subprocess.run(
            [*partnerbot, "db", "upgrade"], env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL
        )
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "partnerbot --help": [*partnerbot, "--help"],
            "partnerbot doctor": [*partnerbot, "doctor"],
        }
        print(f"median of {args.runs} runs (min–max), wall time of a fresh process")
        medians = {}
        for name, command in commands.items():
            times = wall_times(command, env, cwd, args.runs)
            medians[name] = statistics.median(times)
            print(f"  {name:<18} {medians[name]:6.3f} s  ({min(times):.3f}–{max(times):.3f})")
    verdict = "met" if medians["partnerbot --help"] < TARGET_S else "MISSED"
    print(f"target: partnerbot --help under {TARGET_S} s: {verdict}")


if __name__ == "__main__":
    main()
