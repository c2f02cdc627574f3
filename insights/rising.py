"""Rising partners: the positive counterpart of the at-risk alert — partners whose deal flow is
sharply up against their own history *and* the program's, worth accelerating ("a leapfrogging
process where high-potential partners receive accelerated benefits").

Why these rules: a partner's monthly deal flow is lumpy (a month of 40 registrations between
months of 15 means little), so a rise must be large, lasting and surprising before it is named:

- over the last :data:`RECENT_MONTHS` complete calendar months, deal registrations (the leading
  sign) *and* sourced revenue won are each up at least :data:`MIN_DOUBLINGS` doublings on the
  partner's own months before (up to :data:`BASE_MONTHS`, at least :data:`MIN_BASE_MONTHS`),
  beyond what the program as a whole did over the same months — a season or a market upturn
  everyone shares lifts nobody;
- where the partner has that history, registrations are up as much on the same months a year
  before (its own seasons);
- registrations were above the partner's usual month in all but one of the recent months (not
  one burst), and at least :data:`MIN_RECENT_DEALS` came in;
- the recent registrations are at least :data:`MIN_SURPRISE` standard deviations above what the
  partner's own pace, moved as the program moved, predicts: a Poisson z-score (both periods'
  uncertainty) measured in the spread such scores have across this program's partners (a
  robust standard deviation), since real deal flow varies more than a Poisson count.

The list is ordered by that surprise. ``bench/rising_bench.py`` measures its precision against
a generated program's injected growth at the size the digest shows (:data:`LISTED`). Pure
pandas over :class:`insights.scorecard_metrics.ProgramFrames`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from insights.metric_display import money
from insights.scorecard_metrics import ProgramFrames

RECENT_MONTHS = 6
BASE_MONTHS = 9
MIN_BASE_MONTHS = 3
MIN_RECENT_DEALS = 6
MIN_DOUBLINGS = 0.8
"""About +74 % beyond the program's own change."""
MIN_SURPRISE = 3.0
LISTED = 5
"""How many the weekly digest lists."""
YEAR = 12


@dataclass(frozen=True)
class Rising:
    partner_id: int
    surprise: float
    """Standard deviations of the recent registrations above the partner's expected pace."""
    reasons: list[str]


@dataclass(frozen=True)
class _Flow:
    """One measure's monthly totals per partner: recent, before, and beyond the program."""

    now: pd.Series
    """Per month over the recent months."""
    before: pd.Series
    """Per month over the partner's months before them."""
    up: pd.Series
    """Doublings from ``before`` to ``now``, less the program's."""


def rising_partners(frames: ProgramFrames, month: pd.Period, currency: str) -> list[Rising]:
    """The partners rising as of the end of ``month``, most surprising first, with reasons."""
    recent = pd.period_range(month - (RECENT_MONTHS - 1), month, freq="M")
    base = pd.period_range(recent[0] - BASE_MONTHS, recent[0] - 1, freq="M")
    first_month = min(base[0], recent[0] - YEAR)
    partners = frames.partners
    active = partners.index[partners["status"].astype(str) == "active"]
    deals = frames.deals
    won = deals.loc[(deals["status"].astype(str) == "won") & (deals["source"] == "sourced")]
    registered = _monthly(deals["partner_id"], deals["registered_at"], None, first_month, month)
    revenue = _monthly(won["partner_id"], won["closed_at"], won["amount"], first_month, month)
    registered = registered.reindex(active, fill_value=0.0)
    revenue = revenue.reindex(active, fill_value=0.0)

    signed = partners["signed_at"].reindex(active).dt.to_period("M")
    since = np.array([(recent[0] - m).n if pd.notna(m) else BASE_MONTHS for m in signed])
    base_months = pd.Series(np.clip(since, 0, BASE_MONTHS).astype(float), index=active)
    year_known = since >= YEAR

    def flow(table: pd.DataFrame, floor: float) -> _Flow:
        now = table[list(recent)].sum(axis=1) / RECENT_MONTHS
        before = table[list(base)].sum(axis=1) / base_months.clip(lower=1)
        program = np.log2((now.sum() + floor) / (before.sum() + floor))
        return _Flow(now, before, np.log2((now + floor) / (before + floor)) - program)

    regs = flow(registered, 0.5)
    wins = flow(revenue, max(float(revenue.to_numpy().mean()), 1.0) / 4)
    now, then = registered[list(recent)].sum(axis=1), registered[list(recent - YEAR)].sum(axis=1)
    year_up = np.log2((now + 1.5) / (then + 1.5)) - np.log2((now.sum() + 1.5) / (then.sum() + 1.5))

    market = regs.now.sum() / max(regs.before.sum(), 1e-9)
    expected = regs.before * RECENT_MONTHS * market
    variance = expected + (RECENT_MONTHS * market) ** 2 * regs.before / base_months.clip(lower=1)
    poisson = (now - expected) / np.sqrt(variance + 1.0)
    # flows vary more than Poisson counts do: measured in this program's own spread of them
    settled = poisson[base_months >= MIN_BASE_MONTHS]
    surprise = poisson / max(1.4826 * float((settled - settled.median()).abs().median()), 1.0)
    above = (registered[list(recent)].to_numpy() > regs.before.to_numpy()[:, None]).sum(axis=1)

    rising = (
        (base_months >= MIN_BASE_MONTHS)
        & (now >= MIN_RECENT_DEALS)
        & (regs.up >= MIN_DOUBLINGS)
        & (wins.up >= MIN_DOUBLINGS)
        & (~year_known | (year_up >= MIN_DOUBLINGS))
        & (above >= RECENT_MONTHS - 1)
        & (surprise >= MIN_SURPRISE)
    )
    chosen = surprise[rising].sort_values(ascending=False, kind="stable")
    span = f"{recent[0].strftime('%B %Y')}–{recent[-1].strftime('%B %Y')}"
    return [
        Rising(
            int(pid),
            round(float(chosen[pid]), 2),
            [
                f"{regs.now[pid]:.1f} deal registrations a month in {span}, up from "
                f"{regs.before[pid]:.1f} in the {base_months[pid]:.0f} months before",
                f"won {money(wins.now[pid], currency)} a month in {span}, up from "
                f"{money(wins.before[pid], currency)}",
            ],
        )
        for pid in chosen.index
    ]


def _monthly(
    partner: pd.Series,
    when: pd.Series,
    amount: pd.Series | None,
    first: pd.Period,
    last: pd.Period,
) -> pd.DataFrame:
    """Per partner (rows) and calendar month from ``first`` to ``last`` (columns): how many
    events (``amount`` None) or their total amount."""
    months = when.dt.to_period("M")
    inside = (months >= first) & (months <= last)
    values = pd.Series(1.0, index=partner.index) if amount is None else amount.astype(float)
    table = (
        values[inside]
        .groupby([partner[inside], months[inside]], observed=True)
        .sum()
        .unstack(fill_value=0.0)
    )
    return table.reindex(columns=pd.period_range(first, last, freq="M"), fill_value=0.0)
