"""Tier proposals on generated programs: how many partners each monthly review proposes to move,
and whether the moves agree with what the generator made them do.

    python bench/tier_bench.py [--partners 1000] [--months 24] [--seeds 1 2 3] [--reviews 6]

Generates each program, imports it into a scratch SQLite database as ``partnerbot import``
would, and runs the scorecards (with their tier advice) for the last ``--reviews`` complete
months, with the shipped example rules. Prints, per seed: the share of partners proposed a
move per month (median and worst month), and how many upgrades went to partners the generator
made grow or ramp up, and downgrades to partners it made decline, churn or drop.
"""

import argparse
import statistics
import sys
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.program import example_text, parse_program
from ingest import import_file
from insights.scorecard_metrics import load_frames, monthly_metrics
from insights.scorecard_store import HISTORY_MONTHS
from insights.scorecards import scorecards
from models.db import make_engine, make_session_factory
from models.migrate import upgrade
from synth import ProgramSpec, generate_program

RISING = {"growing", "ramping"}
FALLING = {"declining", "churned", "drop"}


def review(partners: int, months: int, seed: int, reviews: int) -> dict[str, object]:
    program = parse_program(example_text(), "program.example.toml")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        end = date(2026, 11, 1)
        generate_program(ProgramSpec(partners=partners, months=months, seed=seed, end=end), out)
        engine = make_engine(f"sqlite:///{out / 'bench.sqlite3'}")
        upgrade(engine)
        for kind in ("partners", "people", "deals", "activities"):
            import_file(kind, out / f"{kind}.csv", engine, program)
        truth = pd.read_csv(out / "truth.csv", dtype={"partner_id": str})
        with make_session_factory(engine)() as session:
            frames = load_frames(session, program)
        engine.dispose()
    pattern = dict(zip(truth["partner_id"], truth["pattern"], strict=True))
    external = frames.partners["external_id"]
    last = pd.Period(end, freq="M") - 1
    shares, moves = [], Counter()
    for month in pd.period_range(last - reviews + 1, last, freq="M"):
        span = pd.period_range(month - (HISTORY_MONTHS - 1), month, freq="M")  # as stored
        metrics = monthly_metrics(frames, program, span)
        cards = scorecards(metrics, frames.partners, program, month)
        changed = [c for c in cards.values() if c.advice.change != "stay"]
        shares.append(len(changed) / len(cards))
        for card in changed:
            kind = pattern.get(external[card.partner_id], "stable")
            agrees = kind in (RISING if card.advice.change == "up" else FALLING)
            moves[card.advice.change, agrees] += 1
    return {"shares": shares, "moves": moves}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--reviews", type=int, default=6)
    args = parser.parse_args()
    print(f"{args.partners} partners, {args.months} months, last {args.reviews} monthly reviews")
    print(
        "seed | proposed a move / month: median (worst) | upgrades to growers | "
        "downgrades to decliners"
    )
    for seed in args.seeds:
        found = review(args.partners, args.months, seed, args.reviews)
        shares, moves = found["shares"], found["moves"]
        ups = moves["up", True] + moves["up", False]
        downs = moves["down", True] + moves["down", False]
        print(
            f"{seed} | {statistics.median(shares):.1%} ({max(shares):.1%}) | "
            f"{moves['up', True]}/{ups} | {moves['down', True]}/{downs} | by month: "
            + " ".join(f"{share:.0%}" for share in shares)
        )


if __name__ == "__main__":
    main()
