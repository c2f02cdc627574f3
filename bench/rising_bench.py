"""Rising partners on generated programs: whether the partners the weekly digest would list
as rising are the ones the generator made grow.

    python bench/rising_bench.py [--partners 1000] [--months 24] [--seeds 1 2 3] [--reviews 6]

Generates each program, imports it as ``partnerbot import`` would and lists the rising partners
(``insights.rising``) at the end of each of the last ``--reviews`` complete months. Prints, per
seed: the precision of the list the digest shows (its first ``LISTED``) against the
generator's truth (partners it made grow or ramp up; growing alone in brackets), the precision
of the whole list and its length, and the median time to list one.
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.program import example_text, parse_program
from evaluation.generated import END, bench_arguments, load_generated
from evaluation.tier_reviews import RISING
from insights.rising import LISTED, rising_partners
from synth import ProgramSpec, generate_program


def main() -> None:
    args = bench_arguments(__doc__)
    program = parse_program(example_text(), "program.example.toml")
    print(f"{args.partners} partners, {args.months} months, last {args.reviews} months")
    print(
        f"seed | listed ({LISTED}) that grew or ramped (grew) | whole list: precision, "
        "median length | seconds per listing"
    )
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as folder:
            spec = ProgramSpec(partners=args.partners, months=args.months, seed=seed, end=END)
            generate_program(spec, Path(folder))
            frames = load_generated(Path(folder), program)
            truth = pd.read_csv(Path(folder) / "truth.csv", dtype={"partner_id": str})
        pattern = dict(zip(truth["partner_id"], truth["pattern"], strict=True))
        kind = {
            pid: pattern.get(ext, "stable") for pid, ext in frames.partners["external_id"].items()
        }
        shown = grown = listed = right = 0
        lengths, seconds = [], []
        last = pd.Period(END, freq="M") - 1
        for month in pd.period_range(last - args.reviews + 1, last, freq="M"):
            started = time.perf_counter()
            found = rising_partners(frames, month, program.info.currency)
            seconds.append(time.perf_counter() - started)
            lengths.append(len(found))
            listed += len(found)
            right += sum(kind[r.partner_id] in RISING for r in found)
            for r in found[:LISTED]:
                shown += 1
                grown += kind[r.partner_id] in RISING
        top = sum(
            kind[r.partner_id] == "growing"
            for month in pd.period_range(last - args.reviews + 1, last, freq="M")
            for r in rising_partners(frames, month, program.info.currency)[:LISTED]
        )
        print(
            f"{seed} | {grown}/{shown} = {grown / max(shown, 1):.2f} ({top}/{shown}) | "
            f"{right / max(listed, 1):.2f}, {statistics.median(lengths):.0f} | "
            f"{statistics.median(seconds):.3f}"
        )


if __name__ == "__main__":
    main()
