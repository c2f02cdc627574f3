"""Partner-by-partner simulation. Each partner gets its own random stream (spawned from the
seed), so the output does not depend on chunking and memory holds one partner at a time."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from synth.spec import (
    CURRENCY_RATES,
    CYCLE_DAYS,
    MEDIAN_DEAL,
    MONTHLY_DEALS,
    PATTERNS,
    PRODUCTS,
    REGION_SHARE,
    REGIONS,
    SPECIALTIES,
    TIER_SHARE,
    TIERS,
    WIN_RATE,
    ProgramSpec,
)
from synth.words import account_pool, partner_name, spelling_variant

SEASON = np.array([0.95, 0.95, 1.10, 0.95, 1.00, 1.10, 0.90, 0.75, 1.05, 1.05, 1.15, 1.30])
"""Monthly volume factors Jan–Dec: quarter-end bumps, an August low, a Q4 peak."""
CERTIFICATIONS = (
    "Security Architect",
    "Cloud Engineer",
    "Data Specialist",
    "Network Pro",
    "Solutions Consultant",
    "Support Expert",
)
OPEN_STAGES = ("Qualification", "Proposal", "Negotiation")


@dataclass
class PartnerHistory:
    partner: list[str]
    contacts: list[list[str]]
    deals: list[list[str]] = field(default_factory=list)
    activities: list[list[str]] = field(default_factory=list)
    truth: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Program:
    """Program-wide draws shared by every partner: the account pool, the pattern of each
    partner, and who signed when."""

    spec: ProgramSpec
    accounts: list[tuple[str, str]]
    account_weights: np.ndarray
    patterns: np.ndarray
    tiers: np.ndarray


def plan(spec: ProgramSpec) -> Program:
    rng = np.random.default_rng([spec.seed, 0])
    pool = account_pool(max(500, spec.partners * 15), rng)
    weights = 1.0 / np.arange(1, len(pool) + 1) ** 0.6
    names = list(PATTERNS)
    patterns = rng.choice(len(names), size=spec.partners, p=list(PATTERNS.values()))
    tiers = rng.choice(len(TIERS), size=spec.partners, p=TIER_SHARE)
    return Program(spec, pool, weights / weights.sum(), patterns, tiers)


def simulate_partners(spec: ProgramSpec) -> Iterator[PartnerHistory]:
    program = plan(spec)
    streams = np.random.SeedSequence(spec.seed).spawn(spec.partners)
    for index, stream in enumerate(streams):
        yield simulate_partner(program, index, np.random.default_rng(stream))


def _month_factors(
    spec: ProgramSpec, pattern: str, onset: int, magnitude: float, signed_month: int
) -> np.ndarray:
    months = np.arange(spec.months)
    calendar = np.array([spec.month_start(m).month - 1 for m in months])
    factor = SEASON[calendar].copy()
    if spec.dip_month is not None and 0 <= spec.dip_month < spec.months:
        factor[spec.dip_month] *= 0.6
    after = months >= onset
    if pattern == "growing":
        factor *= 1 + magnitude * np.clip((months - onset) / 12, 0, None)
    elif pattern == "declining":
        factor *= 1 + magnitude * np.clip((months - onset + 1) / 6, 0, 1)
    elif pattern == "churned":
        factor[after] = 0
    elif pattern == "drop":
        factor[after] *= 1 + magnitude
    elif pattern == "spike":
        factor[onset] *= 1 + magnitude
    ramp = np.clip((months - signed_month + 1) / 6, 0, 1)
    return factor * ramp * (months >= signed_month)


def simulate_partner(program: Program, index: int, rng: np.random.Generator) -> PartnerHistory:
    spec = program.spec
    pid = f"P{index + 1:05d}"
    tier = int(program.tiers[index])
    pattern = list(PATTERNS)[int(program.patterns[index])]
    region = list(REGIONS)[rng.choice(len(REGIONS), p=REGION_SHARE)]
    country = REGIONS[region][rng.integers(len(REGIONS[region]))]
    skill = float(rng.lognormal(0, 0.35))

    onset, magnitude = 0, 0.0
    if pattern != "stable":
        onset = int(rng.integers(min(6, spec.months - 3), spec.months - 2))
    signed_month = -int(rng.integers(3, 60))
    if pattern == "ramping":
        signed_month = onset = int(rng.integers(0, spec.months - 4))
        magnitude = 1.0
    elif pattern == "growing":
        magnitude = float(rng.uniform(0.4, 1.0))
    elif pattern == "declining":
        magnitude = -float(rng.uniform(0.5, 0.8))
    elif pattern == "churned":
        magnitude = -1.0
    elif pattern == "drop":
        magnitude = -float(rng.uniform(0.6, 0.85))
    elif pattern == "spike":
        magnitude = float(rng.uniform(3, 5))
    factors = _month_factors(spec, pattern, onset, magnitude, max(signed_month, 0))
    signed = spec.month_start(0) + timedelta(days=30 * signed_month + int(rng.integers(28)))

    currency = "USD"
    if region == "EMEA":
        currency = str(rng.choice(["USD", "EUR", "GBP"], p=[0.45, 0.4, 0.15]))
    channel = f"C{rng.integers(16**8):08X}"
    team = f"T{rng.integers(16**8):08X}"
    monthly = MONTHLY_DEALS[tier] * skill
    target = monthly * 3 * MEDIAN_DEAL[tier] * WIN_RATE[tier] * 1.2
    specialties = ";".join(
        sorted(rng.choice(SPECIALTIES, size=int(rng.integers(1, 3)), replace=False))
    )
    status = "inactive" if pattern == "churned" else "active"
    history = PartnerHistory(
        partner=[
            pid,
            partner_name(index + 1, rng),
            TIERS[tier],
            region,
            country,
            specialties,
            status,
            signed.isoformat(),
            f"{round(target, -3):.2f}",
            f"UMGR{region}01",
            channel,
            team,
        ],
        contacts=[
            [f"U{pid[1:]}{n}", "partner", pid, f"Contact {n} of {pid}", "", team]
            for n in range(1, int(rng.integers(1, 3)) + 1)
        ],
    )
    history.truth = [
        pid,
        pattern,
        spec.month_start(onset).isoformat() if pattern != "stable" else "",
        f"{magnitude:.2f}" if pattern != "stable" else "",
    ]
    _deals(history, program, index, rng, tier, monthly, factors, currency, pattern, onset)
    _activities(history, spec, rng, tier, skill, factors, pattern, onset, max(signed_month, 0))
    return history


def _deals(
    history: PartnerHistory,
    program: Program,
    index: int,
    rng: np.random.Generator,
    tier: int,
    monthly: float,
    factors: np.ndarray,
    currency: str,
    pattern: str,
    onset: int,
) -> None:
    spec = program.spec
    end = datetime(spec.end.year, spec.end.month, spec.end.day)
    counts = rng.poisson(monthly * factors)
    total = int(counts.sum())
    if total == 0:
        return
    month_of = np.repeat(np.arange(spec.months), counts)
    offsets = rng.integers(0, 28 * 86400, size=total)
    amounts = rng.lognormal(np.log(MEDIAN_DEAL[tier]), 0.8, size=total)
    if pattern == "spike":
        amounts[month_of == onset] *= 3
    win = WIN_RATE[tier] * np.where((pattern == "declining") & (month_of >= onset), 0.6, 1.0)
    won = rng.random(total) < np.clip(win * rng.lognormal(0, 0.2), 0, 0.9)
    cycles = rng.gamma(4.0, CYCLE_DAYS[tier] / 4.0, size=total).astype(int) + 7
    accounts = rng.choice(len(program.accounts), size=total, p=program.account_weights)
    variants = rng.random(total)
    products = rng.integers(len(PRODUCTS), size=total)
    influenced = rng.random(total)
    rate = CURRENCY_RATES[currency]
    base = 1 + index * 10_000
    for n in range(total):
        registered = datetime.combine(
            spec.month_start(int(month_of[n])), datetime.min.time()
        ) + timedelta(seconds=int(offsets[n]))
        closes = registered + timedelta(days=int(cycles[n]))
        name, domain = program.accounts[int(accounts[n])]
        if variants[n] < 0.2:
            name = spelling_variant(name, rng)
        if variants[n] > 0.92:
            domain = ""
        elif variants[n] > 0.85:
            domain = f"https://www.{domain}/"
        closed_at = expected = ""
        if closes < end:
            status = "won" if won[n] else "lost"
            stage = "Closed Won" if won[n] else "Closed Lost"
            closed_at = expected = closes.date().isoformat()
        else:
            stage = OPEN_STAGES[int(cycles[n]) % 3]
            expected = closes.date().isoformat()
            if end - registered > timedelta(days=90):
                status = "expired"
            elif end - registered < timedelta(days=4):
                status = "pending"
            else:
                status = "approved"
        if influenced[n] < 0.03:
            status = "rejected" if status == "pending" else status
        influencers = ""
        source = "sourced"
        if influenced[n] > 0.95 and spec.partners > 1:
            other = int(rng.integers(spec.partners - 1))
            influencers = f"P{(other if other < index else other + 1) + 1:05d}"
            source = "influenced" if influenced[n] > 0.985 else "sourced"
        history.deals.append(
            [
                f"D{base + n:08d}",
                history.partner[0],
                name,
                domain,
                f"{amounts[n] / rate:.2f}",
                currency,
                registered.isoformat() + "Z",
                status,
                PRODUCTS[int(products[n])],
                stage,
                expected,
                closed_at,
                source,
                influencers,
            ]
        )


def _activities(
    history: PartnerHistory,
    spec: ProgramSpec,
    rng: np.random.Generator,
    tier: int,
    skill: float,
    factors: np.ndarray,
    pattern: str,
    onset: int,
    signed_month: int,
) -> None:
    pid = history.partner[0]
    engagement = skill * (0.5 + 0.5 * tier) * factors / np.maximum(factors.mean(), 1e-9)
    held: set[str] = set()
    for month in range(signed_month, spec.months):
        day = spec.month_start(month)
        active = factors[month] > 0
        for kind, rate in (("training", 0.6), ("marketing", 0.8), ("certification", 0.15)):
            count = int(rng.poisson(rate * engagement[month])) if active else 0
            for n in range(count):
                when = (day + timedelta(days=int(rng.integers(28)))).isoformat()
                if kind == "certification":
                    name = CERTIFICATIONS[int(rng.integers(len(CERTIFICATIONS)))]
                    if name in held:
                        continue
                    held.add(name)
                    history.activities.append([pid, when, kind, "1", name])
                else:
                    history.activities.append([pid, when, kind, "1", f"{kind} {month}-{n}"])
        if day.month in (3, 6, 9, 12) and active:
            falling = pattern in ("declining", "churned", "drop") and month >= onset - 1
            score = np.clip(rng.normal(7.6 - (2.5 if falling else 0), 1.0), 0, 10)
            history.activities.append(
                [
                    pid,
                    day.replace(day=28).isoformat(),
                    "satisfaction",
                    f"{score:.1f}",
                    "quarterly survey",
                ]
            )
            if tier >= 1:
                spend = 2500 * tier * skill * rng.uniform(0.6, 1.4)
                history.activities.append(
                    [
                        pid,
                        day.replace(day=15).isoformat(),
                        "mdf_spend",
                        f"{spend:.2f}",
                        f"MDF {day:%Y-%m}",
                    ]
                )
        if day.month == 1:
            history.activities.append(
                [
                    pid,
                    day.isoformat(),
                    "program_cost",
                    f"{1500 * (tier + 1):.2f}",
                    f"fees {day.year}",
                ]
            )
