"""Monthly tier reviews on a generated program, judged against what the generator made each
partner do (``truth.csv``): the figures ``bench/tier_bench.py`` prints and the tests bound.

An upgrade agrees with the truth when the generator made the partner grow or ramp up, or when
the partner earned the next tier's certifications in the year before the review (a steady
seller that certifies qualifies by the program's own rules). A downgrade agrees when the
generator made it decline, churn or drop."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from config.program import Program
from evaluation.generated import load_generated
from insights.scorecard_metrics import monthly_metrics
from insights.scorecard_store import HISTORY_MONTHS
from insights.scorecards import scorecards

RISING = frozenset({"growing", "ramping"})
FALLING = frozenset({"declining", "churned", "drop"})


@dataclass(frozen=True)
class ReviewFigures:
    moved: list[float]
    """Per review month, the share of partners proposed a move."""
    stable_moved: list[float]
    """Per review month, the share of the generator's stable partners proposed a move."""
    moves: Counter[tuple[str, bool]]
    """Proposals over all months by (``"up"``/``"down"``, agrees with the truth)."""

    def agreeing(self, change: str) -> tuple[int, int]:
        """(agreeing, all) proposals of ``change``."""
        agree = self.moves[change, True]
        return agree, agree + self.moves[change, False]


def review_generated(folder: Path, end: date, reviews: int, program: Program) -> ReviewFigures:
    """The tier review of the last ``reviews`` complete months of the program generated into
    ``folder`` (up to ``end``), under ``program``."""
    frames = load_generated(folder, program)
    truth = pd.read_csv(folder / "truth.csv", dtype={"partner_id": str})
    pattern = dict(zip(truth["partner_id"], truth["pattern"], strict=True))
    external = frames.partners["external_id"]
    names = [tier.name for tier in program.tiers]
    needed = {tier.name: tier.min_certifications for tier in program.tiers}
    last = pd.Period(end, freq="M") - 1
    moved, stable_moved, moves = [], [], Counter[tuple[str, bool]]()
    for month in pd.period_range(last - reviews + 1, last, freq="M"):
        span = pd.period_range(month - (HISTORY_MONTHS - 1), month, freq="M")  # as stored
        metrics = monthly_metrics(frames, program, span)
        cards = scorecards(metrics, frames.partners, program, month)
        kinds = {pid: pattern.get(external[pid], "stable") for pid in cards}
        changes = {pid: card.advice.change for pid, card in cards.items()}
        stable = [pid for pid, kind in kinds.items() if kind == "stable"]
        moved.append(sum(change != "stay" for change in changes.values()) / len(cards))
        stable_moved.append(sum(changes[pid] != "stay" for pid in stable) / len(stable))
        year_ago = metrics["certifications"].xs(month - 12, level="month")
        for pid, card in cards.items():
            if card.advice.change == "up":
                target = names[names.index(card.advice.current) + 1]
                earned = year_ago.get(pid, 0) < needed[target]
                moves["up", kinds[pid] in RISING or earned] += 1
            elif card.advice.change == "down":
                moves["down", kinds[pid] in FALLING] += 1
    return ReviewFigures(moved, stable_moved, moves)
