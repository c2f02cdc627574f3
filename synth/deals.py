"""One partner's deal registrations, vectorised: monthly volume → registration times → account,
product, size and currency → outcome, cycle and the status each deal has at ``end``.

Every deal's fate is drawn up front (won, lost, rejected at approval, or gone dark and expired)
with the date it is decided; the status written is what a CRM shows at ``end``: decided deals
show their outcome, undecided ones are ``pending`` (not yet approved) or ``approved``."""

import numpy as np

from synth.config import (
    CURRENCY_RATES,
    DIP_FACTOR,
    HOME_CURRENCY_SHARE,
    MAX_CYCLE_DAYS,
    PRODUCT_SIZE,
    PRODUCTS,
    PROTECTION_DAYS,
    SEASON,
    TIERS,
    UTC_OFFSET_HOURS,
)
from synth.names import spelling_variant
from synth.patterns import Behaviour, volume_curve, win_curve
from synth.records import DealColumns
from synth.roster import GLOBAL, Roster
from synth.timeline import Timeline
from synth.traits import Traits

DEAL_SIZE_SIGMA = 0.85
"""Spread of log deal size within one partner and product."""
MONTHLY_NOISE_SHAPE = 8.0
"""Gamma shape of month-to-month volume noise on top of Poisson (over-dispersed counts)."""
GO_DARK_RATE = 0.07
"""Approved deals that are never decided and expire at the end of protection."""
APPROVAL_HOURS = 30.0
"""Mean time from registration to approval or rejection."""
INFLUENCED_SHARE = 0.08
WITH_INFLUENCERS_SHARE = 0.04
VARIANT_SHARE = 0.2
"""Rows whose account name is spelt differently from the company's canonical name."""
ROUND_AMOUNT_SHARE = 0.55
OPEN_STAGES = np.array(["Qualification", "Discovery", "Proposal", "Negotiation"])
DAY = np.timedelta64(1, "D")


def expected_volume(roster: Roster, index: int, traits: Traits, b: Behaviour) -> np.ndarray:
    """Expected registrations per month: tier × partner × season × program dip × pattern."""
    spec, timeline = roster.spec, roster.timeline
    rate = TIERS[int(roster.tiers[index])].monthly_deals * traits.volume
    curve = rate * SEASON[timeline.calendar_month] * volume_curve(b, spec.months)
    if b.pattern == "ramping":  # the signing month counts only from the signing day
        month_days = (timeline.starts[b.onset + 1] - timeline.starts[b.onset]) // DAY
        curve[b.onset] *= (
            (timeline.starts[b.onset + 1] - roster.signed[index]) // DAY
        ) / month_days
    if spec.dip_month is not None and 0 <= spec.dip_month < spec.months:
        curve[spec.dip_month] *= DIP_FACTOR
    return curve


def win_probability(tier: int, traits: Traits) -> float:
    base = TIERS[tier].win_rate
    logit = np.log(base / (1 - base)) + traits.win_offset
    return float(1 / (1 + np.exp(-logit)))


def simulate_deals(
    roster: Roster,
    index: int,
    traits: Traits,
    b: Behaviour,
    rng: np.random.Generator,
    first_number: int,
) -> DealColumns:
    timeline = roster.timeline
    tier_index = int(roster.tiers[index])
    tier = TIERS[tier_index]
    rate = expected_volume(roster, index, traits, b)
    counts = rng.poisson(rate * rng.gamma(MONTHLY_NOISE_SHAPE, 1 / MONTHLY_NOISE_SHAPE, len(rate)))
    if b.pattern == "spike":  # a burst is a burst even for a sparse partner
        counts[b.onset] = max(counts[b.onset], round(rate[b.onset]))
    n = int(counts.sum())
    month = np.repeat(np.arange(len(rate)), counts)

    day = timeline.working_days(month, rng.random(n), not_before=roster.signed[index])
    offset = UTC_OFFSET_HOURS[roster.regions[index]]
    first, last = max(7.5, offset), min(19.5, 24 + offset - 0.001)  # office hours, same UTC day
    local_hour = first + (last - first) * rng.beta(3.0, 3.4, n)
    seconds = (local_hour - offset) * 3600
    registered = day.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    order = np.argsort(registered, kind="stable")
    registered, day, month = registered[order], day[order], month[order]

    weights = traits.product_weights
    product = np.searchsorted(np.cumsum(weights) / weights.sum(), rng.random(n), side="right")
    product = np.minimum(product, len(PRODUCTS) - 1)
    usd = tier.median_deal * traits.size * PRODUCT_SIZE[product]
    usd = np.clip(usd * rng.lognormal(0, DEAL_SIZE_SIGMA, n), 250, 5_000_000)
    currency = np.full(n, "USD", dtype="<U3")
    if traits.currency != "USD":
        currency[rng.random(n) < HOME_CURRENCY_SHARE] = traits.currency
    rates = [CURRENCY_RATES["EUR"], CURRENCY_RATES["GBP"]]
    local = usd / np.select([currency == "EUR", currency == "GBP"], rates, 1.0)
    round_hundred = (rng.random(n) < ROUND_AMOUNT_SHARE) & (local >= 2_000)
    amount = np.where(round_hundred, np.round(local, -2), np.round(local, 2))

    fate = rng.random(n)
    rejected = fate < tier.rejection_rate
    dark = ~rejected & (fate < tier.rejection_rate + GO_DARK_RATE)
    p_win = np.clip(win_probability(tier_index, traits) * win_curve(b, len(rate))[month], 0.02, 0.9)
    won = ~rejected & ~dark & (rng.random(n) < p_win)
    lost = ~rejected & ~dark & ~won

    size_effect = (usd / tier.median_deal) ** 0.12
    cycle = rng.gamma(3.0, tier.cycle_days * traits.cycle / 3.0, n) * size_effect
    cycle = np.clip(np.where(lost, cycle * 0.85, cycle), 14, MAX_CYCLE_DAYS).astype(np.int64)
    approved_at = registered + (
        np.minimum(rng.exponential(APPROVAL_HOURS * 3600, n), 10 * 86_400).astype("timedelta64[s]")
    )
    decided = day + cycle.astype("timedelta64[D]")
    decided = np.where(dark, day + PROTECTION_DAYS * DAY, decided)
    decided = np.where(rejected, approved_at.astype("datetime64[D]"), decided)
    decided = _quarter_end_push(timeline, decided, won, rng)
    if b.pattern == "churned":
        # The partner walks away: whatever is still open at onset is closed lost that month.
        onset = timeline.starts[b.onset]
        walked = ~rejected & (decided >= onset)
        won, dark = won & ~walked, dark & ~walked
        lost = lost | walked
        closing = onset + rng.integers(0, 28, n).astype("timedelta64[D]")
        decided = np.where(walked, np.maximum(closing, day), decided)

    end = timeline.end
    pending = approved_at >= end.astype("datetime64[s]")
    done = decided < end
    status = np.select(
        [pending, rejected, won & done, lost & done, dark & done],
        ["pending", "rejected", "won", "lost", "expired"],
        "approved",
    )
    closed = (status == "won") | (status == "lost")
    closed_at = np.where(closed, decided, np.datetime64("NaT"))
    protected = (status == "approved") | closed | (status == "expired")
    reference = np.where(status == "approved", end, decided)
    periods = np.maximum(1, -(-((reference - day) // DAY) // PROTECTION_DAYS))
    expires_at = np.where(
        protected, day + (periods * PROTECTION_DAYS).astype("timedelta64[D]"), np.datetime64("NaT")
    )
    estimate = np.maximum(7, np.round(cycle * rng.lognormal(0, 0.2, n))).astype("timedelta64[D]")
    expected_close = np.where(rejected, np.datetime64("NaT"), day + estimate)
    progress = ((end - day) // DAY) / cycle
    stage = np.select(
        [pending, status == "won", status == "lost", rejected, status == "expired"],
        ["Registration Submitted", "Closed Won", "Closed Lost", "Disqualified", "Stalled"],
        OPEN_STAGES[np.clip((progress * 4).astype(int), 0, 3)],
    )
    company, names, domains = _accounts(roster, index, rng, n, float(rate.sum()))
    return DealColumns(
        deal_number=first_number + np.arange(n, dtype=np.int64),
        partner_id=roster.partner_id(index),
        company=company,
        account_name=names,
        account_domain=domains,
        amount=amount,
        currency=currency,
        registered_at=registered,
        status=status,
        product=np.array(PRODUCTS)[product],
        stage=stage,
        expected_close=expected_close.astype("datetime64[D]"),
        closed_at=closed_at.astype("datetime64[D]"),
        expires_at=expires_at.astype("datetime64[D]"),
        source=np.where(rng.random(n) < INFLUENCED_SHARE, "influenced", "sourced"),
        influence_partner_ids=_influencers(roster, index, rng, n),
    )


def _quarter_end_push(
    timeline: Timeline, decided: np.ndarray, won: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Sales push deals to close by quarter end: 40 % of wins decided in the last three weeks
    of a quarter close in its last three days instead."""
    quarter_end = timeline.quarter_ends(decided)
    n = len(decided)
    pushed = quarter_end - rng.integers(0, 3, n).astype("timedelta64[D]")
    push = won & (quarter_end - decided <= 20 * DAY) & (rng.random(n) < 0.4)
    return np.where(push, np.maximum(pushed, decided), decided)


def _accounts(
    roster: Roster, index: int, rng: np.random.Generator, n: int, expected: float
) -> tuple[np.ndarray, list[str], list[str]]:
    """The company (index into the account pool), account name and domain per deal. A partner
    works a book of accounts (mostly in its region, some multinationals) and sells to the same
    customers repeatedly; popular accounts are in many partners' books, so the same company is
    registered by several partners."""
    pool = roster.accounts
    size = int(np.clip(expected * 0.45 + 3, 3, 600))
    global_count = int(rng.binomial(size, 0.15))
    drawn = np.concatenate(
        [
            pool.draw(roster.regions[index], rng.random(size - global_count)),
            pool.draw(GLOBAL, rng.random(global_count)),
        ]
    )
    _, first = np.unique(drawn, return_index=True)
    book = drawn[np.sort(first)]
    weights = np.cumsum(1.0 / (np.arange(len(book)) + 1.0) ** 0.7)
    picks = book[np.searchsorted(weights / weights[-1], rng.random(n) * 0.999_999, side="right")]
    vary, detail, domain_u = rng.random(n), rng.random(n), rng.random(n)
    companies = pool.companies
    names, domains = [], []
    for pick, u, v, d in zip(
        picks.tolist(), vary.tolist(), detail.tolist(), domain_u.tolist(), strict=True
    ):
        company = companies[pick]
        names.append(
            spelling_variant(company, u / VARIANT_SHARE, v) if u < VARIANT_SHARE else company.name
        )
        if d < 0.1:
            domains.append("")
        elif d < 0.13:
            domains.append("www." + company.domain)
        elif d < 0.15:
            domains.append(f"https://www.{company.domain}/")
        else:
            domains.append(company.domain)
    return picks, names, domains


def _influencers(roster: Roster, index: int, rng: np.random.Generator, n: int) -> list[str]:
    """``;``-joined ids of 1-2 other established partners of the region, on a few deals."""
    out = [""] * n
    chosen = np.flatnonzero(rng.random(n) < WITH_INFLUENCERS_SHARE)
    candidates = roster.influencers[roster.regions[index]]
    for at in chosen.tolist():
        picks = candidates[rng.integers(len(candidates), size=4)].tolist()
        others = list(dict.fromkeys(p for p in picks if p != index))
        if others:
            wanted = 2 if rng.random() < 0.25 else 1
            out[at] = ";".join(roster.partner_id(p) for p in others[:wanted])
    return out
