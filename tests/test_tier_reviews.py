"""Tier reviews on a generated program agree with what the generator made its partners do:
few proposals a month, and those to partners that grew or certified (up) or declined (down),
rarely to steady ones (``evaluation.tier_reviews``; ``bench/tier_bench.py`` prints the same
figures for larger programs)."""

from datetime import date
from pathlib import Path

import pytest

from evaluation.tier_reviews import review_generated
from synth import ProgramSpec, generate_program
from tests.programs import EXAMPLE_PROGRAM

END = date(2026, 11, 1)


@pytest.mark.slow
def test_monthly_reviews_propose_few_moves_and_the_right_ones(tmp_path: Path) -> None:
    generate_program(ProgramSpec(partners=400, months=24, seed=3, end=END), tmp_path)
    found = review_generated(tmp_path, END, 3, EXAMPLE_PROGRAM)
    ups, downs = found.agreeing("up"), found.agreeing("down")
    print(f"moved {found.moved}, stable moved {found.stable_moved}, up {ups}, down {downs}")
    assert max(found.moved) <= 0.10
    assert max(found.stable_moved) <= 0.03
    assert downs[1] >= 10  # the decliners are found...
    assert downs[0] >= 0.7 * downs[1]  # ...and few steady partners with them
    assert ups[0] >= 0.5 * ups[1]
