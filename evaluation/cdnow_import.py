"""The CDNOW protocol through the product's own doors: the raw file written as partner and deal
CSV files, imported with ``partnerbot import``, scored with ``partnerbot score --as-of
1997-09-30 --out`` (the end of the last day before the cut-off: data dated on or before it), and
the CSV that command wrote compared with the 39-week holdout.

Each customer is a partner signed at its first purchase; each purchase a won deal registered
and closed that day. The program rules set the horizon to the holdout's 39 weeks and turn the
revenue-drop part of the at-risk label off, so the label is the protocol's: no purchase.

    PYTHONPATH=. python -m evaluation.cdnow_import [--data PATH] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from evaluation.cdnow import CUTOFF, DATA, HORIZON_DAYS, REFERENCE, load_events
from insights.risk_model import inactive_label, metrics

PROGRAM = f"""
[program]
name = "CDNOW as a partner program"
currency = "USD"

[alerts]
churn_horizon_days = {HORIZON_DAYS}
revenue_drop_ratio = 0
"""


def write_csv(events: pd.DataFrame, folder: Path) -> None:
    """partners.csv and deals.csv in the import formats (see the README)."""
    first = events.groupby("partner_id")["date"].min()
    with (folder / "partners.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["partner_id", "name", "tier", "region", "signed_at"])
        for pid, signed in first.items():
            out.writerow([pid, f"Customer {pid}", "registered", "NA", f"{signed:%Y-%m-%d}"])
    with (folder / "deals.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(
            ["deal_id", "partner_id", "account_name", "amount", "registered_at", "status",
             "closed_at"]
        )  # fmt: skip
        for n, row in enumerate(events.itertuples(index=False)):
            day = f"{row.date:%Y-%m-%d}"
            out.writerow([f"O{n:06d}", row.partner_id, f"Order {n}", f"{row.amount:.2f}",
                          f"{day}T12:00:00Z", "won", day])  # fmt: skip


def partnerbot(*args: str, env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "partnerbot", *args],
        capture_output=True, text=True, env=env, cwd=cwd, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"partnerbot {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    events = load_events(args.data)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        write_csv(events, folder)
        (folder / "program.toml").write_text(PROGRAM, encoding="utf-8")
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{folder / 'cdnow.sqlite3'}",
            "PARTNERBOT_PROGRAM": str(folder / "program.toml"),
            "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        }
        partnerbot("db", "upgrade", env=env, cwd=folder)
        for kind in ("partners", "deals"):
            print(partnerbot("import", kind, str(folder / f"{kind}.csv"), env=env, cwd=folder)
                  .strip())  # fmt: skip
        day = (CUTOFF - pd.Timedelta(days=1)).date().isoformat()
        scored_at = time.perf_counter()
        partnerbot("score", "--as-of", day, "--out", str(folder / "risk.csv"), env=env, cwd=folder)
        scoring = time.perf_counter() - scored_at
        risk = pd.read_csv(folder / "risk.csv", dtype={"partner_id": str})
    scores = risk.set_index("partner_id")["risk"]
    y = inactive_label(events, CUTOFF, HORIZON_DAYS, scores.index).to_numpy()
    ours = metrics(y, scores.to_numpy())
    print(f"\n{len(scores):,} partners scored by `partnerbot score --as-of {day}`: {scoring:.0f} s")
    print(f"label: no purchase {CUTOFF.date()}..+{HORIZON_DAYS} days; positive rate {y.mean():.3f}")
    print("\n| method | ROC-AUC | prec. top 10 % |\n|---|---|---|")
    print(f"| partnerbot import + score | {ours['roc_auc']:.3f} | {ours['precision_top10']:.3f} |")
    for name, (auc, precision) in REFERENCE.items():
        print(f"| {name} (README) | {auc:.3f} | {precision:.3f} |")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
