"""What to generate: size, history, seed, and the program's shape (tiers, regions, patterns)."""

from dataclasses import dataclass
from datetime import date

TIERS = ("registered", "silver", "gold", "platinum")
TIER_SHARE = (0.50, 0.28, 0.15, 0.07)
MONTHLY_DEALS = (1.5, 3.5, 7.0, 14.0)
"""Mean registrations a month for a typical partner of each tier."""
MEDIAN_DEAL = (8_000, 15_000, 30_000, 60_000)
WIN_RATE = (0.25, 0.32, 0.38, 0.45)
CYCLE_DAYS = (120, 100, 80, 70)
"""Mean days from registration to close."""

REGIONS = {
    "NA": ("United States", "Canada"),
    "EMEA": ("Germany", "United Kingdom", "France", "Netherlands", "Spain", "Sweden"),
    "APAC": ("Japan", "Australia", "Singapore", "India"),
    "LATAM": ("Brazil", "Mexico", "Chile"),
}
REGION_SHARE = (0.40, 0.32, 0.18, 0.10)
SPECIALTIES = ("security", "cloud", "data", "networking", "services")
PRODUCTS = ("Core Platform", "Analytics Add-on", "Security Suite", "Support Plus")
CURRENCY_RATES = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27}
"""One unit in USD; the same rates as the shipped program.toml example."""

PATTERNS = {
    "stable": 0.70,
    "growing": 0.08,
    "declining": 0.06,
    "churned": 0.05,
    "drop": 0.05,
    "spike": 0.01,
    "ramping": 0.05,
}
"""Share of partners following each behaviour; ``ramping`` partners sign during the history."""


@dataclass(frozen=True)
class ProgramSpec:
    partners: int = 200
    months: int = 24
    seed: int = 7
    end: date = date(2026, 11, 1)
    """First day of the month after the last simulated month."""
    dip_month: int | None = None
    """Index (0-based from the first month) of a program-wide dip: every partner's volume
    ×0.6 that month, as in a market downturn."""

    def __post_init__(self) -> None:
        if self.partners < 1 or self.months < 6:
            raise ValueError("a program needs at least 1 partner and 6 months of history")
        if self.end.day != 1:
            raise ValueError("end must be the first day of a month")

    @property
    def start(self) -> date:
        index = self.end.year * 12 + self.end.month - 1 - self.months
        return date(index // 12, index % 12 + 1, 1)

    def month_start(self, month: int) -> date:
        index = self.start.year * 12 + self.start.month - 1 + month
        return date(index // 12, index % 12 + 1, 1)
