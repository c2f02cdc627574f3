"""Tier proposals on generated programs: how many partners each monthly review proposes to move,
and whether the moves agree with what the generator made them do.

    python bench/tier_bench.py [--partners 1000] [--months 24] [--seeds 1 2 3] [--reviews 6]

Generates each program, imports it into a scratch SQLite database as ``partnerbot import``
would, and runs the scorecards (with their tier advice) for the last ``--reviews`` complete
months, with the shipped example rules. Prints, per seed: the share of partners proposed a
move per month (median and worst month); how many upgrades agree with the truth (partners the
generator made grow or ramp up, or that earned the next tier's certifications in the year
before); how many downgrades went to partners it made decline, churn or drop; and the share of
stable partners proposed a move per month (``evaluation.tier_reviews``).
"""

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.program import example_text, parse_program
from evaluation.generated import END, bench_arguments
from evaluation.tier_reviews import review_generated
from synth import ProgramSpec, generate_program


def main() -> None:
    args = bench_arguments(__doc__)
    program = parse_program(example_text(), "program.example.toml")
    print(f"{args.partners} partners, {args.months} months, last {args.reviews} monthly reviews")
    print(
        "seed | proposed a move / month: median (worst) | upgrades agreeing | downgrades "
        "agreeing | stable partners proposed a move / month: median (worst)"
    )
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as folder:
            spec = ProgramSpec(partners=args.partners, months=args.months, seed=seed, end=END)
            generate_program(spec, Path(folder))
            found = review_generated(Path(folder), END, args.reviews, program)
        ups, downs = found.agreeing("up"), found.agreeing("down")
        print(
            f"{seed} | {statistics.median(found.moved):.1%} ({max(found.moved):.1%}) | "
            f"{ups[0]}/{ups[1]} | {downs[0]}/{downs[1]} | "
            f"{statistics.median(found.stable_moved):.1%} ({max(found.stable_moved):.1%}) | "
            "by month: " + " ".join(f"{share:.0%}" for share in found.moved)
        )


if __name__ == "__main__":
    main()
