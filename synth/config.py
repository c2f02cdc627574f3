"""What to generate (:class:`ProgramSpec`) and the program's fixed shape: tiers with their
volumes, deal sizes, win rates and cycle times, regions and countries, currencies, products,
seasonality and the share of each behaviour pattern."""

from dataclasses import dataclass
from datetime import date

import numpy as np


@dataclass(frozen=True)
class ProgramSpec:
    partners: int = 200
    months: int = 24
    seed: int = 7
    end: date = date(2026, 11, 1)
    """First day of the month after the last simulated month; history covers
    [end - months, end). Files hold the deals *registered* in it, so closings in its first
    few months are fewer (their deals were registered before it), as in a CRM export filtered
    on created date."""
    dip_month: int | None = None
    """Index (0-based from the first month) of a program-wide dip: every partner's volume
    ×0.6 that month, as in a market downturn. Not a partner pattern, so not in truth.csv."""

    def __post_init__(self) -> None:
        if self.partners < 1 or self.months < 6:
            raise ValueError("a program needs at least 1 partner and 6 months of history")
        if self.end.day != 1:
            raise ValueError("end must be the first day of a month")

    @property
    def start(self) -> date:
        return self.month_start(0)

    def month_start(self, month: int) -> date:
        """First day of simulated month ``month`` (0-based; ``months`` gives ``end``)."""
        index = self.end.year * 12 + self.end.month - 1 - self.months + month
        return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class TierProfile:
    name: str
    share: float
    monthly_deals: float
    """Mean registrations a month of a typical partner at full volume."""
    median_deal: float
    """Median deal size in USD (Core Platform; other products are smaller)."""
    win_rate: float
    cycle_days: float
    """Mean days from registration to close."""
    rejection_rate: float
    mdf_per_quarter: float
    cost_per_quarter: float
    """Program cost of serving the partner: enablement, manager time, fees waived."""


TIERS = (
    TierProfile("registered", 0.50, 1.0, 8_000, 0.22, 110, 0.04, 0, 400),
    TierProfile("silver", 0.28, 3.5, 15_000, 0.30, 95, 0.03, 3_000, 1_500),
    TierProfile("gold", 0.15, 5.5, 20_000, 0.37, 80, 0.02, 9_000, 4_000),
    TierProfile("platinum", 0.07, 14.0, 60_000, 0.45, 65, 0.015, 25_000, 9_000),
)
"""A typical partner of each tier sells in the middle of the tier's revenue band under the
example program's rules (silver from 100,000 a year, gold from 250,000, platinum from 600,000),
so that most partners sit in the tier those rules give them, as after a review."""

REGIONS: dict[str, dict[str, float]] = {
    "NA": {"United States": 0.85, "Canada": 0.15},
    "EMEA": {
        "United Kingdom": 0.28,
        "Germany": 0.26,
        "France": 0.16,
        "Netherlands": 0.1,
        "Spain": 0.1,
        "Sweden": 0.1,
    },
    "APAC": {"Australia": 0.3, "Japan": 0.25, "Singapore": 0.2, "India": 0.25},
    "LATAM": {"Brazil": 0.5, "Mexico": 0.35, "Chile": 0.15},
}
REGION_SHARE = {"NA": 0.40, "EMEA": 0.32, "APAC": 0.18, "LATAM": 0.10}
UTC_OFFSET_HOURS = {"NA": -5, "EMEA": 1, "APAC": 8, "LATAM": -3}
"""Typical offset of the region's business hours, so registrations arrive in working hours."""

CURRENCY_RATES = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27}
"""One unit in USD; the same rates as the shipped program.toml example."""
HOME_CURRENCY = {
    "United Kingdom": {"GBP": 0.8, "USD": 0.2},
    "Germany": {"EUR": 0.85, "USD": 0.15},
    "France": {"EUR": 0.85, "USD": 0.15},
    "Netherlands": {"EUR": 0.75, "USD": 0.25},
    "Spain": {"EUR": 0.85, "USD": 0.15},
    "Sweden": {"EUR": 0.5, "USD": 0.5},
}
"""Partners in these countries mostly quote their home currency; everyone else quotes USD."""
HOME_CURRENCY_SHARE = 0.85
"""Share of a non-USD partner's deals in its home currency; the rest are USD (multinationals)."""

SPECIALTIES = {"security": 0.3, "cloud": 0.3, "data": 0.2, "networking": 0.1, "services": 0.1}
PRODUCTS = ("Core Platform", "Analytics Add-on", "Security Suite", "Support Plus")
PRODUCT_MIX = np.array([0.45, 0.2, 0.15, 0.2])
PRODUCT_SIZE = np.array([1.0, 0.45, 0.8, 0.3])
"""Deal size of each product relative to Core Platform."""
SPECIALTY_PRODUCT_BOOST = {"security": (2, 2.5), "data": (1, 2.0), "services": (3, 1.8)}
"""Specialists sell more of their product: (product index, weight factor)."""

SEASON = np.array([0.9, 0.95, 1.1, 0.95, 1.0, 1.1, 0.9, 0.7, 1.05, 1.05, 1.15, 1.3])
"""Registration volume by calendar month Jan-Dec: quarter-end bumps, an August low, a Q4 peak."""
DIP_FACTOR = 0.6

PATTERNS = {
    "stable": 0.70,
    "growing": 0.08,
    "ramping": 0.05,
    "declining": 0.06,
    "churned": 0.05,
    "drop": 0.05,
    "spike": 0.01,
}
"""Share of partners following each behaviour; assigned by quota, so a program of n partners
has round(share × n) of each (largest remainder), not a random number."""

PROTECTION_DAYS = 90
"""Registration protection period; deals open past it were extended once by the same again."""
MAX_CYCLE_DAYS = 170
"""Longest registration-to-close cycle, below two protection periods, so no open deal holds an
expiry in the past."""
