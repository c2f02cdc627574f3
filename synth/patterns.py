"""Behaviour patterns: which partners change how, from when, and by how much (the ground truth),
and the monthly curves that carry each pattern into volume, win rate, activity and
satisfaction.

Activity and satisfaction *lead* volume for declining, churning and dropping partners (they
disengage before the deals dry up) and for growing ones (they certify before they sell more),
so leading indicators exist for a risk model to find."""

from dataclasses import dataclass

import numpy as np

from synth.config import ProgramSpec


@dataclass(frozen=True)
class Behaviour:
    pattern: str
    onset: int
    """Month index of the first changed month (the signing month for ``ramping``); 0 and
    meaningless for ``stable``."""
    magnitude: float
    """Relative change of expected monthly volume once fully in: -0.7 is 70 % fewer
    registrations; +1.0 for ramping means from nothing to full volume."""
    duration: int
    """Months until a gradual change (growing, declining, ramping) is fully in."""
    lead: int
    """Months by which activity and satisfaction change before volume does."""
    drift: float
    """Background yearly drift of volume, a few percent either way, for every partner."""

    @property
    def changes(self) -> bool:
        return self.pattern != "stable"


def draw_behaviour(pattern: str, spec: ProgramSpec, rng: np.random.Generator) -> Behaviour:
    months = spec.months
    low = min(max(3, months // 3), months - 3)
    onset = int(rng.integers(low, months - 2))  # at least 3 months after, `low` before
    drift = float(rng.uniform(-0.06, 0.06))
    if pattern == "stable":
        return Behaviour(pattern, 0, 0.0, 1, 0, drift)
    if pattern == "growing":
        return Behaviour(
            pattern,
            onset,
            float(rng.uniform(0.5, 1.2)),
            int(rng.integers(6, 13)),
            int(rng.integers(1, 3)),
            drift,
        )
    if pattern == "ramping":
        signed = int(rng.integers(0, months - 3))
        return Behaviour(pattern, signed, 1.0, int(rng.integers(3, 10)), 0, drift)
    if pattern == "declining":
        return Behaviour(
            pattern,
            onset,
            -float(rng.uniform(0.5, 0.8)),
            int(rng.integers(4, 9)),
            int(rng.integers(2, 5)),
            drift,
        )
    if pattern == "churned":
        return Behaviour(pattern, onset, -1.0, 1, int(rng.integers(1, 4)), drift)
    if pattern == "drop":
        return Behaviour(
            pattern, onset, -float(rng.uniform(0.6, 0.85)), 1, int(rng.integers(2)), drift
        )
    if pattern == "spike":
        return Behaviour(
            pattern, int(rng.integers(low, months - 1)), float(rng.uniform(2, 4)), 1, 1, drift
        )
    raise ValueError(f"unknown pattern {pattern!r}")


def _progress(months: np.ndarray, start: int, duration: int) -> np.ndarray:
    """0 before ``start``, rising linearly to 1 over ``duration`` months from ``start``."""
    return np.clip((months - start + 1) / duration, 0.0, 1.0)


def volume_curve(b: Behaviour, months: int) -> np.ndarray:
    """Multiplier of expected registrations per month (season and program dip excluded)."""
    m = np.arange(months)
    curve = 1 + b.drift * (m - months / 2) / 12
    if b.pattern in ("growing", "declining", "ramping"):
        if b.pattern == "ramping":
            return curve * (m >= b.onset) * _progress(m, b.onset, b.duration)
        return curve * (1 + b.magnitude * _progress(m, b.onset, b.duration))
    if b.pattern in ("churned", "drop"):
        return curve * np.where(m >= b.onset, 1 + b.magnitude, 1.0)
    if b.pattern == "spike":
        return curve * np.where(m == b.onset, 1 + b.magnitude, 1.0)
    return curve


def win_curve(b: Behaviour, months: int) -> np.ndarray:
    """Multiplier of the win rate per month: declining partners lose more of what they
    register, growing ones win a little more."""
    m = np.arange(months)
    if b.pattern == "declining":
        return 1 - 0.35 * _progress(m, b.onset, b.duration)
    if b.pattern == "growing":
        return 1 + 0.15 * _progress(m, b.onset, b.duration)
    if b.pattern == "drop":
        return np.where(m >= b.onset, 0.85, 1.0)
    return np.ones(months)


def engagement_curve(b: Behaviour, months: int) -> np.ndarray:
    """Multiplier of trainings, certifications and marketing per month."""
    m = np.arange(months)
    early = b.onset - b.lead
    if b.pattern == "growing":
        return 1 + b.magnitude * _progress(m, early, b.duration)
    if b.pattern == "declining":  # disengagement is quicker than the decline it heralds
        fall = _progress(m, early, max(2, b.duration // 2))
        return np.maximum(0.1, 1 + 1.1 * b.magnitude * fall)
    if b.pattern == "churned":
        return np.select([m >= b.onset, m >= early], [0.0, 0.35], 1.0)
    if b.pattern == "drop":
        return np.where(m >= early, 1 + 0.8 * b.magnitude, 1.0)
    if b.pattern == "spike":
        return np.where((m == b.onset) | (m == b.onset - 1), 2.0, 1.0)  # a campaign behind it
    if b.pattern == "ramping":
        return np.where(m < b.onset, 0.0, np.where(m < b.onset + 2, 2.0, 1.0))  # onboarding
    return np.ones(months)


def satisfaction_shift(b: Behaviour, months: int) -> np.ndarray:
    """Points added to the partner's survey score per month."""
    m = np.arange(months)
    early = b.onset - b.lead
    if b.pattern == "declining":
        return -2.5 * _progress(m, early, b.duration)
    if b.pattern == "churned":
        return np.where(m >= early, -3.0, 0.0)
    if b.pattern == "drop":
        return np.where(m >= early, -1.5, 0.0)
    if b.pattern == "growing":
        return 0.6 * _progress(m, early, b.duration)
    return np.zeros(months)
