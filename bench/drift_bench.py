"""Drift benchmark: does :func:`insights.drift.detect.detect_drift` find partners whose business
dropped, sooner and more often than the two reference detectors, at the same false-alarm budget,
and does it fit the nightly time and memory budget?

Quality. Synthetic programs from ``synth`` (36 months, a program-wide dip in month
``DIP_MONTH``) whose ground truth says which partners dropped or churned and when. Every
detector runs as of the first of each month after a 12-month burn-in, with a permissive
threshold; its flags are then thresholded on ``score`` (IsolationForest ``pattern`` flags of
detect_drift count whatever the threshold: they have their own, fixed rate). The threshold is
calibrated on held-out seeds so that at most 5 % of stable partners are flagged per quarter
(three consecutive monthly runs), then reported on other seeds:

- recall: drop and churned partners flagged by a run at most 2 months after onset (the run on
  the first of month onset + 1 has seen one changed month, onset + 2 two);
- delay: median months from onset to the first flag, among those flagged within 6 months;
- stable partners flagged per quarter, and in the run right after the program-wide dip.

Scale. ``detect_drift`` on 10,000 and 100,000 partners × 36 months of events from a fast numpy
generator (synth takes about 2 ms a partner, over 3 minutes for 100,000), each in a fresh
process so its peak RSS is its own. The events frame is part of that peak.

Run from the repository root::

    python bench/drift_bench.py            # 2,000 partners, seeds 1-3, calibration seeds 101-102
    python bench/drift_bench.py --quick    # 1,000 partners, one seed of each, 10k scale only
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from insights.drift.config import DriftConfig  # noqa: E402
from insights.drift.detect import detect_drift  # noqa: E402
from insights.drift_reference import cusum_reference, poisson_reference  # noqa: E402
from synth import TIERS, PartnerHistory, ProgramSpec, simulate_partners  # noqa: E402
from synth.config import CURRENCY_RATES, SEASON  # noqa: E402

MONTHS = 36
BURN_IN = 12
DIP_MONTH = 24
BUDGET = 0.05
RECALL_MONTHS = 2
DELAY_MONTHS = 6
ACTIVITY_KINDS = ("certification", "training", "marketing", "satisfaction")
Detector = Callable[[pd.DataFrame, pd.Timestamp, pd.Series], pd.DataFrame]
DETECTORS: dict[str, Detector] = {
    "detect_drift": lambda e, a, p: detect_drift(e, a, p, DriftConfig(threshold=3.0)),
    "poisson reference": lambda e, a, p: poisson_reference(e, a, alpha=0.5),
    "cusum reference": lambda e, a, p: cusum_reference(e, a, threshold=0.5),
}


# ----------------------------------------------------------------------------- programs


@dataclass(frozen=True)
class Program:
    spec: ProgramSpec
    events: pd.DataFrame
    peers: pd.Series
    truth: pd.DataFrame
    """Indexed by partner_id: pattern, onset (month index, -1 for stable), tier."""


def events_frame(histories: Iterable[PartnerHistory]) -> tuple[pd.DataFrame, pd.Series, list]:
    """The drift input contract from synthetic histories: registrations at registered_at, won
    and lost deals at their close date (amounts in USD), activities and survey scores."""
    ids, dates, amounts, kinds, peers, truth = [], [], [], [], {}, []
    for h in histories:
        pid = int(h.partner.partner_id[1:])
        d, a = h.deals, h.activities
        usd = d.amount * np.array([CURRENCY_RATES[c] for c in d.currency.tolist()])
        closed = np.isin(d.status, ["won", "lost"])
        chosen = np.isin(a.kind, ACTIVITY_KINDS)
        parts = [
            (d.registered_at, usd, np.full(len(d), "registered")),
            (d.closed_at[closed], usd[closed], d.status[closed]),
            (a.date[chosen], a.value[chosen], np.asarray(a.kind)[chosen]),
        ]
        for day, amount, kind in parts:
            ids.append(np.full(len(day), pid, dtype=np.int64))
            dates.append(day.astype("datetime64[ns]"))
            amounts.append(amount.astype(float))
            kinds.append(kind.astype(object))
        peers[pid] = f"{h.partner.tier}/{h.partner.region}"
        truth.append((pid, h.truth.pattern, h.truth.onset, h.partner.tier))
    events = pd.DataFrame(
        {
            "partner_id": np.concatenate(ids),
            "date": np.concatenate(dates),
            "amount": np.concatenate(amounts),
            "kind": np.concatenate(kinds),
        }
    )
    return events, pd.Series(peers), truth


def program(partners: int, seed: int) -> Program:
    spec = ProgramSpec(partners=partners, months=MONTHS, seed=seed, dip_month=DIP_MONTH)
    events, peers, rows = events_frame(simulate_partners(spec))
    truth = pd.DataFrame(rows, columns=["partner_id", "pattern", "onset", "tier"])
    start = pd.Timestamp(spec.start)
    onset = pd.to_datetime(truth["onset"])
    truth["onset"] = (
        ((onset.dt.year - start.year) * 12 + onset.dt.month - start.month).fillna(-1).astype(int)
    )
    return Program(spec, events, peers, truth.set_index("partner_id"))


# ----------------------------------------------------------------------------- evaluation


def run_dates(spec: ProgramSpec) -> list[int]:
    """Month indices of the runs: as of the first of month a, months < a are history."""
    return list(range(BURN_IN + 1, MONTHS + 1))


def flag_scores(prog: Program, detector: Detector) -> pd.DataFrame:
    """(run, partner_id) -> strongest score of the run's flags (inf for ``pattern`` flags)."""
    frames = []
    for a in run_dates(prog.spec):
        flags = detector(prog.events, pd.Timestamp(prog.spec.month_start(a)), prog.peers)
        score = flags["score"].where(flags["metric"] != "pattern", np.inf)
        best = score.groupby(flags["partner_id"]).max()
        frames.append(pd.DataFrame({"run": a, "partner_id": best.index, "score": best.values}))
    return pd.concat(frames, ignore_index=True)


def quarter_maxima(scores: pd.DataFrame, prog: Program) -> pd.DataFrame:
    """Stable partners × quarter (three consecutive runs): the strongest score (-inf: none)."""
    stable = prog.truth.index[prog.truth["pattern"] == "stable"]
    runs = np.array(run_dates(prog.spec))
    quarter = dict(zip(runs, (runs - runs[0]) // 3, strict=True))
    mine = scores.loc[scores["partner_id"].isin(stable)]
    best = mine.groupby([mine["run"].map(quarter), "partner_id"])["score"].max()
    full = pd.MultiIndex.from_product([sorted(set(quarter.values())), stable])
    return best.reindex(full, fill_value=-np.inf).unstack(0)


def calibrate(maxima: list[pd.DataFrame]) -> float:
    """Lowest threshold at which at most BUDGET of stable partners are flagged per quarter
    (averaged over quarters and programs)."""
    values = np.concatenate([m.to_numpy().ravel() for m in maxima])
    candidates = np.unique(values[np.isfinite(values)])
    rates = [float(np.mean([(m.to_numpy() >= t).mean() for m in maxima])) for t in candidates]
    ok = [t for t, r in zip(candidates, rates, strict=True) if r <= BUDGET]
    return float(min(ok)) if ok else float("inf")


def quality(scores: pd.DataFrame, prog: Program, threshold: float) -> dict[str, float]:
    truth = prog.truth
    hits = scores.loc[scores["score"] >= threshold]
    first_flag = {}
    changed = truth.loc[truth["pattern"].isin(["drop", "churned"])]
    for pid, onset in changed["onset"].items():
        runs = hits.loc[(hits["partner_id"] == pid) & (hits["run"] > onset), "run"]
        runs = runs[runs <= onset + DELAY_MONTHS]
        first_flag[pid] = int(runs.min() - onset) if len(runs) else None
    delays = pd.Series(first_flag, dtype=float).reindex(changed.index)
    within = delays <= RECALL_MONTHS
    sparse = changed["tier"].isin([TIERS[0].name, TIERS[1].name])
    stable = truth.index[truth["pattern"] == "stable"]
    in_dip = hits.loc[hits["run"] == DIP_MONTH + 1, "partner_id"]
    per_quarter = quarter_maxima(scores, prog).to_numpy() >= threshold
    return {
        "recall": float(within.mean()),
        "recall_sparse": float(within[sparse].mean()),
        "delay": float(delays.dropna().median()),
        "stable_per_quarter": float(per_quarter.mean()),
        "stable_in_dip": float(stable.isin(in_dip).mean()),
        "changed": len(changed),
    }


def quality_table(partners: int, seeds: list[int], calibration_seeds: list[int]) -> None:
    started = time.perf_counter()
    programs = {s: program(partners, s) for s in [*calibration_seeds, *seeds]}
    print(f"simulated {len(programs)} programs in {time.perf_counter() - started:.0f} s")
    mix = pd.concat([p.truth for p in programs.values()])
    tiers = mix["tier"].value_counts(normalize=True)
    print(
        "tier mix: "
        + ", ".join(
            f"{t.name} {tiers.get(t.name, 0):.0%} ({t.monthly_deals:g} reg./month)" for t in TIERS
        )
    )
    changed = mix.loc[mix["pattern"].isin(["drop", "churned"])]
    print(
        f"{partners} partners per program; {len(changed) // len(programs)} drop or churned in each"
        f", {changed['tier'].isin(['registered', 'silver']).mean():.0%} of them registered/silver"
    )
    rows = []
    for name, detector in DETECTORS.items():
        t0 = time.perf_counter()
        scores = {s: flag_scores(p, detector) for s, p in programs.items()}
        threshold = calibrate([quarter_maxima(scores[s], programs[s]) for s in calibration_seeds])
        results = pd.DataFrame([quality(scores[s], programs[s], threshold) for s in seeds])
        weights = results["changed"] / results["changed"].sum()
        row = {"detector": name, "threshold": threshold}
        for col in ("recall", "recall_sparse", "stable_per_quarter", "stable_in_dip"):
            row[col] = float(
                (results[col] * (weights if "recall" in col else 1 / len(seeds))).sum()
            )
        row["delay"] = float(results["delay"].median())
        row["seconds"] = time.perf_counter() - t0
        rows.append(row)
    table = pd.DataFrame(rows).set_index("detector")
    runs = len(run_dates(ProgramSpec(months=MONTHS)))
    print(
        f"\nreport seeds {seeds}, threshold calibrated on seeds {calibration_seeds} "
        f"(≤ {BUDGET:.0%} stable flagged per quarter), {runs} monthly runs each"
    )
    print(
        table.to_string(
            formatters={
                "threshold": "{:.2f}".format,
                "recall": "{:.1%}".format,
                "recall_sparse": "{:.1%}".format,
                "stable_per_quarter": "{:.1%}".format,
                "stable_in_dip": "{:.1%}".format,
                "delay": "{:.0f}".format,
                "seconds": "{:.0f}".format,
            }
        )
    )
    print(
        f"recall: drop/churned flagged ≤ {RECALL_MONTHS} months after onset "
        "(recall_sparse: registered/silver tiers); delay: median months to first flag (≤ 6)"
    )


# ----------------------------------------------------------------------------- scale


def fast_events(partners: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series, pd.Timestamp]:
    """A synth-like program in a few vectorised numpy steps: tiers and volumes as in
    synth.config, seasonal over-dispersed monthly registrations, lognormal amounts, about 85 %
    of deals closing (won at the tier's win rate) after a gamma cycle, activities at about one
    a month. Statistically rough, but the same shape and size of input."""
    rng = np.random.default_rng(seed)
    end = np.datetime64("2026-11-01", "M")
    starts = np.arange(end - MONTHS, end + 1).astype("datetime64[ns]")
    tier = rng.choice(len(TIERS), size=partners, p=[t.share for t in TIERS])
    volume = rng.lognormal(-0.15, 0.55, partners) * np.array([t.monthly_deals for t in TIERS])[tier]
    season = SEASON[(np.arange(end - MONTHS, end).astype(np.int64)) % 12]
    rate = volume[:, None] * season[None, :] * rng.gamma(8.0, 1 / 8.0, (partners, MONTHS))
    counts = rng.poisson(rate)
    pid = np.repeat(np.arange(1, partners + 1), counts.sum(axis=1))
    month = np.repeat(np.tile(np.arange(MONTHS), partners), counts.ravel())
    width = (starts[month + 1] - starts[month]).astype(np.int64)
    registered = starts[month] + (rng.random(len(pid)) * width).astype("timedelta64[ns]")
    size = np.array([t.median_deal for t in TIERS])[tier][pid - 1]
    amount = size * rng.lognormal(0, 0.85, len(pid))
    closes = rng.random(len(pid)) < 0.85
    won = rng.random(len(pid)) < np.array([t.win_rate for t in TIERS])[tier][pid - 1]
    cycle = (rng.gamma(3.0, 30.0, len(pid)) * 86_400e9).astype("timedelta64[ns]")
    closed_at = registered + cycle
    closes &= closed_at < starts[-1]
    n_act = rng.poisson(1.0 + tier, partners) * MONTHS // 3
    act_pid = np.repeat(np.arange(1, partners + 1), n_act)
    span = (starts[-1] - starts[0]).astype(np.int64)
    act_at = starts[0] + (rng.random(len(act_pid)) * span).astype("timedelta64[ns]")
    kinds = np.array(["training", "marketing", "certification", "satisfaction"], dtype=object)
    events = pd.DataFrame(
        {
            "partner_id": np.concatenate([pid, pid[closes], act_pid]).astype(np.int64),
            "date": np.concatenate([registered, closed_at[closes], act_at]),
            "amount": np.concatenate([amount, amount[closes], rng.integers(1, 4, len(act_pid))]),
            "kind": np.concatenate(
                [
                    np.full(len(pid), "registered", dtype=object),
                    np.where(won[closes], "won", "lost").astype(object),
                    kinds[rng.integers(0, 4, len(act_pid))],
                ]
            ),
        }
    )
    regions = np.array(["NA", "EMEA", "APAC", "LATAM"])[rng.integers(0, 4, partners)]
    names = np.array([t.name for t in TIERS])[tier]
    peers = pd.Series(
        np.char.add(np.char.add(names, "/"), regions), index=np.arange(1, partners + 1)
    )
    return events, peers, pd.Timestamp(starts[-1])


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate_child(partners: int, path: str) -> None:
    """Write a fast_events program to ``path`` (.npz), so the measuring process only loads it."""
    events, peers, as_of = fast_events(partners)
    codes, kinds = pd.factorize(events["kind"])
    np.savez(
        path,
        partner_id=events["partner_id"].to_numpy(),
        date=events["date"].to_numpy().view(np.int64),
        amount=events["amount"].to_numpy(),
        kind=codes.astype(np.int8),
        kinds=np.asarray(kinds, dtype=str),
        peer_index=peers.index.to_numpy(),
        peers=peers.to_numpy().astype(str),
        as_of=np.int64(as_of.value),
    )


def scale_child(path: str) -> None:
    """Load a generated program (``kind`` as plain strings, as the contract says) and print
    ``rows flags seconds rss_loaded rss_peak`` for one detect_drift run."""
    data = np.load(path)
    events = pd.DataFrame(
        {
            "partner_id": data["partner_id"],
            "date": data["date"].view("datetime64[ns]"),
            "amount": data["amount"],
            "kind": data["kinds"].astype(object)[data["kind"]],
        }
    )
    peers = pd.Series(data["peers"].astype(object), index=data["peer_index"])
    as_of = pd.Timestamp(int(data["as_of"]))
    del data
    loaded = _peak_rss_mib()
    started, cpu = time.perf_counter(), time.process_time()
    flags = detect_drift(events, as_of, peers)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        len(events),
        len(flags),
        f"{seconds:.2f}",
        f"{cpu:.2f}",
        f"{loaded:.0f}",
        f"{_peak_rss_mib():.0f}",
    )


def scale_table(sizes: list[int]) -> None:
    print("\ndetect_drift runtime (fast numpy generator, 36 months, as of the end; fresh process):")
    print(
        f"{'partners':>9} {'events':>11} {'flags':>7} {'wall s':>7} {'CPU s':>6}"
        f" {'RSS loaded':>11} {'RSS peak':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = f"{tmp}/events-{n}.npz"
            child = [sys.executable, __file__]
            subprocess.run([*child, "--child-generate", str(n), path], check=True)
            out = subprocess.run(
                [*child, "--child-scale", path], capture_output=True, text=True, check=True
            ).stdout.split()
            rows, flags, seconds, cpu, rss_in, rss_peak = out
            print(
                f"{n:>9,} {int(rows):>11,} {int(flags):>7,} {float(seconds):>7.1f}"
                f" {float(cpu):>6.1f} {int(rss_in):>7} MiB {int(rss_peak):>5} MiB"
            )
    print("(RSS loaded: the process with the events frame in memory, before detect_drift.)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller, faster run")
    parser.add_argument("--partners", type=int)
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--calibration-seeds", type=int, nargs="+")
    parser.add_argument("--scale", type=int, nargs="*")
    parser.add_argument("--child-generate", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-scale", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_generate:
        generate_child(int(args.child_generate[0]), args.child_generate[1])
        return
    if args.child_scale:
        scale_child(args.child_scale)
        return
    quick = args.quick
    started = time.perf_counter()
    quality_table(
        args.partners or (1000 if quick else 2000),
        args.seeds or ([1] if quick else [1, 2, 3]),
        args.calibration_seeds or ([101] if quick else [101, 102]),
    )
    scale_table(
        args.scale if args.scale is not None else ([10_000] if quick else [10_000, 100_000])
    )
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
