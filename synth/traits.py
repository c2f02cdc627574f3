"""A partner's lasting character, drawn once from its own random stream: how much, how big and
how well it sells around its tier's typical values, how engaged it is, what it specialises in
and which currency it quotes."""

from dataclasses import dataclass

import numpy as np

from synth.config import HOME_CURRENCY, PRODUCT_MIX, SPECIALTIES, SPECIALTY_PRODUCT_BOOST
from synth.roster import Roster

VOLUME_SIGMA = 0.55
"""Spread of partners' volume within a tier: many registered partners sell under one deal a
month, some several."""


@dataclass(frozen=True)
class Traits:
    """Multipliers around the tier's typical values, plus what the partner sells and how."""

    volume: float
    size: float
    win_offset: float
    """Added to the tier's win rate in logit space."""
    cycle: float
    engagement: float
    specialties: tuple[str, ...]
    product_weights: np.ndarray
    currency: str


def draw_traits(roster: Roster, index: int, rng: np.random.Generator) -> Traits:
    names = list(SPECIALTIES)
    shares = np.array(list(SPECIALTIES.values()))
    count = int(rng.integers(1, 4))
    picked = rng.choice(len(names), size=count, replace=False, p=shares / shares.sum())
    specialties = tuple(names[i] for i in sorted(picked.tolist()))
    weights = PRODUCT_MIX.copy()
    for specialty in specialties:
        if specialty in SPECIALTY_PRODUCT_BOOST:
            product, factor = SPECIALTY_PRODUCT_BOOST[specialty]
            weights[product] *= factor
    home = HOME_CURRENCY.get(roster.countries[index], {"USD": 1.0})
    pick = int(np.searchsorted(np.cumsum(list(home.values())), rng.random(), side="right"))
    currency = list(home)[min(pick, len(home) - 1)]
    volume = float(rng.lognormal(-(VOLUME_SIGMA**2) / 2, VOLUME_SIGMA))
    return Traits(
        volume=volume,
        size=float(rng.lognormal(0, 0.3)),
        win_offset=float(rng.normal(0, 0.35)),
        cycle=float(rng.lognormal(0, 0.2)),
        engagement=float(volume**0.5 * rng.lognormal(0, 0.25)),
        specialties=specialties,
        product_weights=weights,
        currency=currency,
    )
