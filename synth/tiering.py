"""The tier a partner holds on record. A program reviews its partners' tiers, so the tier in its
CRM is one its last review would have kept: a generated partner whose sales and certifications
fall outside its tier's band under the program's rules is recorded in the tier they fit. Without
this, a generated program would hold many partners that its own rules demote on the first
review, which no real program does for long."""

from functools import cache

import numpy as np

from config.program import Program, example_text, parse_program
from synth.records import ActivityColumns

BASELINE_MONTHS = 12
"""Months of history after which the certifications a partner holds are counted."""


@cache
def example_rules() -> Program:
    return parse_program(example_text(), "program.example.toml")


def recorded_tier(
    profile: int,
    sourced_year: float,
    activities: ActivityColumns,
    review: np.datetime64,
    rules: Program,
) -> str:
    """The tier nearest to ``profile`` (the tier the partner sells like) that a review under
    the program's rules keeps it in, for the sourced revenue it wins in a typical year (what
    its sales are worth, not one year's luck) and the certifications it holds at ``review``:
    at or above the tier's minimum, so only a change in how it sells (or a rare year) moves it
    down, and below the next tier's minimum (a review would have promoted it by now). (The
    score is left out: it ranks the partner against the program.)"""
    certified = np.array([kind == "certification" for kind in activities.kind], dtype=bool)
    certs = int((certified & (activities.date < review.astype("datetime64[D]"))).sum())
    tiers = rules.tiers

    def meets(level: int) -> bool:
        tier = tiers[level]
        return sourced_year >= tier.min_revenue and certs >= tier.min_certifications

    level = min(profile, len(tiers) - 1)
    while level > 0 and not meets(level):
        level -= 1
    while level + 1 < len(tiers) and meets(level + 1):
        level += 1
    return tiers[level].name
