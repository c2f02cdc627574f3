"""The simulated calendar as numpy arrays: month boundaries, calendar months and quarters, and a
sampler of working days, so per-partner simulation turns months into dates without Python
loops."""

from dataclasses import dataclass, field

import numpy as np

from synth.config import ProgramSpec

WEEKEND_WEIGHT = 0.06
"""Relative chance of a weekend day: CRM records are created on working days."""


@dataclass(frozen=True)
class Timeline:
    spec: ProgramSpec
    starts: np.ndarray = field(init=False)
    """datetime64[D] first day of each month, plus ``end`` as the last element."""
    calendar_month: np.ndarray = field(init=False)
    """0-11 calendar month of each simulated month."""
    _day_keys: np.ndarray = field(init=False, repr=False)
    _days: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        spec = self.spec
        starts = np.array([np.datetime64(spec.month_start(m), "D") for m in range(spec.months + 1)])
        days = np.arange(starts[0], starts[-1], dtype="datetime64[D]")
        month_of_day = np.searchsorted(starts, days, side="right") - 1
        weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
        weight = np.where(weekday >= 5, WEEKEND_WEIGHT, 1.0)
        totals = np.bincount(month_of_day, weights=weight)
        cumulative = np.cumsum(weight) - np.concatenate([[0], np.cumsum(totals)])[month_of_day]
        keys = month_of_day + cumulative / totals[month_of_day]
        last_days = (starts[1:] - starts[0]).astype(np.int64) - 1
        keys[last_days] = np.arange(1, spec.months + 1)  # exact, whatever the rounding
        object.__setattr__(self, "starts", starts)
        object.__setattr__(
            self, "calendar_month", (starts[:-1].astype("datetime64[M]").astype(int) % 12)
        )
        object.__setattr__(self, "_day_keys", keys)
        object.__setattr__(self, "_days", days)

    @property
    def months(self) -> int:
        return self.spec.months

    @property
    def end(self) -> np.datetime64:
        return self.starts[-1]

    def working_days(
        self, month: np.ndarray, u: np.ndarray, not_before: np.datetime64 | None = None
    ) -> np.ndarray:
        """A day in each given month, working days ~16x likelier than weekends; ``u`` are
        uniforms in [0, 1), one per entry. Days before ``not_before`` (a partner's signing
        date, in its signing month) are spread over the rest of that month instead."""
        u = np.minimum(u, 1 - 1e-9)  # u near 1 must not round up to the next month
        days = self._days[np.searchsorted(self._day_keys, month + u, side="right")]
        if not_before is not None:
            early = days < not_before
            left = (self.starts[month[early] + 1] - not_before) // np.timedelta64(1, "D")
            days[early] = not_before + (u[early] * left).astype("timedelta64[D]")
        return days

    def quarter_ends(self, days: np.ndarray) -> np.ndarray:
        """Last day of the calendar quarter of each day."""
        months = days.astype("datetime64[M]").astype(np.int64)
        next_quarter = (months // 3 + 1) * 3
        return next_quarter.astype("datetime64[M]").astype("datetime64[D]") - 1
