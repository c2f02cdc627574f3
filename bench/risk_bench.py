"""Scale of the nightly risk assessment: at-risk model (training included), reasons and drift
flags for 10,000 / 30,000 / 100,000 partners × 36 months, each size in a fresh process.

Target (issue 7): 100,000 partners in ≤ 60 s wall and ≤ 4 GiB peak on 2 cores, with near-linear
growth. Input is the drift bench's fast synth-like generator (tiers, seasonal over-dispersed
registrations, wins and losses after a sales cycle, activities) plus churn: 15 % of partners
stop at a random month, so the model has something real to learn. Generation is not timed.

    python bench/risk_bench.py [--sizes 10000 30000 100000] [--repeat 3] [--threads 1]
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
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.drift_bench import fast_events  # noqa: E402
from config.program import EXAMPLE, example_text, parse_program  # noqa: E402
from insights.risk_scoring import assess  # noqa: E402

CHURN_SHARE = 0.15


def program_data(partners: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, date]:
    """Events and a partners frame (status, signing date, tier, region) for ``partners``."""
    events, peers, end = fast_events(partners, seed)
    rng = np.random.default_rng(seed + 1)
    churned = rng.random(partners) < CHURN_SHARE
    last = np.datetime64(end, "ns")
    stop = last - rng.integers(30, 720, partners).astype("timedelta64[D]")
    cut = np.where(churned, stop, last + np.timedelta64(1, "D"))  # partner ids are 1..n
    events = events.loc[events["date"].to_numpy() < cut[events["partner_id"].to_numpy() - 1]]
    tier, region = peers.str.split("/", expand=True).to_numpy().T
    partners_frame = pd.DataFrame(
        {
            "external_id": [f"P{i:06d}" for i in peers.index],
            "name": [f"Partner {i}" for i in peers.index],
            "tier": tier,
            "region": region,
            "status": "active",
            "signed_at": events.groupby("partner_id")["date"].min().reindex(peers.index),
        },
        index=pd.Index(peers.index, name="partner_id"),
    )
    events = events.sort_values("date", kind="stable", ignore_index=True)  # as program_events
    events["kind"] = events["kind"].astype("category")
    return events, partners_frame, (end - pd.Timedelta(days=1)).date()


def generate(partners: int, folder: Path) -> None:
    """Write the program to ``folder`` (pickles keep dtypes), so the timed processes hold only
    what a real run holds: the loaded program, not the generator's scratch arrays."""
    events, frame, as_of = program_data(partners)
    events.to_pickle(folder / "events.pkl")
    frame.to_pickle(folder / "partners.pkl")
    (folder / "as_of").write_text(as_of.isoformat())


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def child(folder: Path, threads: int) -> None:
    """One timed assessment in this process; prints a JSON line."""
    events = pd.read_pickle(folder / "events.pkl")
    frame = pd.read_pickle(folder / "partners.pkl")
    as_of = date.fromisoformat((folder / "as_of").read_text())
    loaded = _rss_mib()
    program = parse_program(example_text(), EXAMPLE)
    started = time.perf_counter()
    result = assess(events, frame, as_of, program, threads=threads)
    wall = time.perf_counter() - started
    bands = result.scores["risk_band"].value_counts().to_dict()
    print(
        json.dumps(
            {
                "partners": len(frame),
                "events": len(events),
                "wall": wall,
                "parts": result.seconds,
                "loaded_mib": loaded,
                "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "method": result.model.family or result.model.method,
                "training_rows": result.card["training"].get("rows", 0),
                "bands": bands,
                "flagged": int((result.scores["drift_flags"].map(len) > 0).sum()),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.child)
        return
    if args.child:
        child(args.child, args.threads)
        return
    print(
        "| partners | events | wall s (median) | per 1k partners | model / reasons / drift s "
        "| program loaded MiB | peak MiB | model | high / medium / low | drift-flagged |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            me = [sys.executable, __file__, "--child", folder]
            subprocess.run([*me, "--generate", str(size)], check=True)
            runs = []
            for _ in range(args.repeat):
                command = [*me, "--threads", str(args.threads)]
                out = subprocess.run(command, capture_output=True, text=True, check=True)
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        walls = [r["wall"] for r in runs]
        mid = sorted(runs, key=lambda r: r["wall"])[len(runs) // 2]
        parts = mid["parts"]
        bands = mid["bands"]
        print(
            f"| {size:,} | {mid['events']:,} | {statistics.median(walls):.1f} "
            f"({min(walls):.1f}–{max(walls):.1f}) | {1000 * statistics.median(walls) / size:.2f} "
            f"| {parts['model']:.1f} / {parts['reasons']:.1f} / {parts['drift']:.1f} "
            f"| {mid['loaded_mib']:,.0f} | {max(r['peak_mib'] for r in runs):,.0f} "
            f"| {mid['method']} ({mid['training_rows']:,} rows) | {bands.get('high', 0):,} / "
            f"{bands.get('medium', 0):,} / {bands.get('low', 0):,} | {mid['flagged']:,} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
