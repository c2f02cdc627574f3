"""Program-wide draws made once, before any partner is simulated: who the partners are (tier,
region, country, pattern, signing date, names and Slack ids), the shared pool of end customers,
and who may be named as an influencing partner. O(partners) memory; no deals."""

from dataclasses import dataclass

import numpy as np

from synth.config import PATTERNS, REGION_SHARE, REGIONS, TIERS, ProgramSpec
from synth.names import Company, company_pool, partner_names, person_names, slack_ids
from synth.patterns import Behaviour, draw_behaviour
from synth.timeline import Timeline

ROSTER_STREAM = 0
PARTNER_STREAM = 1
"""Spawn keys under the spec's seed: partner i draws from (seed, PARTNER_STREAM, i), so its
history does not depend on how partners are chunked or iterated."""

GLOBAL = "GLOBAL"
"""Accounts of multinationals that partners of every region sell to."""
GLOBAL_ACCOUNT_SHARE = 0.12
ACCOUNTS_PER_PARTNER = 8


@dataclass(frozen=True)
class AccountPool:
    companies: list[Company]
    members: dict[str, np.ndarray]
    """Region (or GLOBAL) -> indices into ``companies``, most popular first."""
    cdf: dict[str, np.ndarray]
    """Region -> cumulative popularity over ``members[region]`` (Zipf-like: a few big
    customers are registered by many partners)."""

    def draw(self, region: str, u: np.ndarray) -> np.ndarray:
        return self.members[region][np.searchsorted(self.cdf[region], u, side="right")]


@dataclass(frozen=True)
class Roster:
    spec: ProgramSpec
    timeline: Timeline
    tiers: np.ndarray
    regions: list[str]
    countries: list[str]
    behaviours: list[Behaviour]
    signed: np.ndarray
    """datetime64[D] signing date per partner."""
    names: list[str]
    channel_ids: list[str]
    team_ids: list[str]
    contacts: list[list[tuple[str, str]]]
    """Per partner, (slack user id, name) of its 1-2 contacts."""
    accounts: AccountPool
    influencers: dict[str, np.ndarray]
    """Region -> partner indices that may be named as influencing a deal there."""

    @staticmethod
    def partner_id(index: int) -> str:
        return f"P{index + 1:05d}"


def _quota(shares: list[float], count: int, rng: np.random.Generator) -> np.ndarray:
    """Index per item: each share's exact count (largest remainder), in random order."""
    exact = np.array(shares) * count / sum(shares)
    counts = np.floor(exact).astype(int)
    counts[np.argsort(-(exact - counts), kind="stable")[: count - counts.sum()]] += 1
    return rng.permutation(np.repeat(np.arange(len(shares)), counts))


def _choose(options: dict[str, float], u: np.ndarray) -> list[str]:
    names = list(options)
    cdf = np.cumsum(list(options.values()))
    picks = np.minimum(np.searchsorted(cdf / cdf[-1], u, side="right"), len(names) - 1)
    return [names[i] for i in picks.tolist()]


def _countries(homes: list[str], rng: np.random.Generator) -> list[str]:
    """A country for each home region, by the region's country shares; multinationals are
    headquartered in North America or Europe."""
    options = {GLOBAL: REGIONS["NA"] | REGIONS["EMEA"], **REGIONS}
    u = rng.random(len(homes))
    home_array = np.array(homes)
    countries = [""] * len(homes)
    for home, shares in options.items():
        where = np.flatnonzero(home_array == home)
        for index, country in zip(where.tolist(), _choose(shares, u[where]), strict=True):
            countries[index] = country
    return countries


def build_roster(spec: ProgramSpec) -> Roster:
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(ROSTER_STREAM,)))
    n = spec.partners
    timeline = Timeline(spec)
    pattern_names = list(PATTERNS)
    patterns = [pattern_names[i] for i in _quota(list(PATTERNS.values()), n, rng).tolist()]
    tiers = _quota([t.share for t in TIERS], n, rng)
    ramping = np.array([p == "ramping" for p in patterns])
    tiers[ramping] = (rng.random(int(ramping.sum())) < 0.3).astype(tiers.dtype)  # new: low tier
    regions = [list(REGION_SHARE)[i] for i in _quota(list(REGION_SHARE.values()), n, rng)]
    countries = _countries(regions, rng)
    behaviours = [draw_behaviour(p, spec, rng) for p in patterns]

    start = timeline.starts[0]
    tenure = 300 + rng.exponential(700, size=n) + 250 * tiers
    signed = start - np.minimum(tenure, 4000).astype("timedelta64[D]")
    for index, b in enumerate(behaviours):
        if b.pattern == "ramping":
            signed[index] = timeline.starts[b.onset] + np.timedelta64(int(rng.integers(0, 18)), "D")

    contact_counts = 1 + (rng.random(n) < 0.3 + 0.15 * tiers)
    contact_ids = slack_ids("U", int(contact_counts.sum()), 10, rng)
    contact_names = person_names(len(contact_ids), rng)
    contacts: list[list[tuple[str, str]]] = []
    at = 0
    for count in contact_counts.tolist():
        contacts.append(
            list(zip(contact_ids[at : at + count], contact_names[at : at + count], strict=True))
        )
        at += count

    churned = np.array([b.pattern == "churned" for b in behaviours])
    eligible = ~ramping & ~churned & (tiers >= 1)
    region_array = np.array(regions)
    influencers = {r: np.flatnonzero(eligible & (region_array == r)) for r in REGIONS}
    for r, members in influencers.items():
        if len(members) < 3:
            influencers[r] = np.arange(n)
    return Roster(
        spec=spec,
        timeline=timeline,
        tiers=tiers,
        regions=regions,
        countries=countries,
        behaviours=behaviours,
        signed=signed,
        names=partner_names(countries, rng),
        channel_ids=slack_ids("C", n, 8, rng),
        team_ids=slack_ids("T", n, 8, rng),
        contacts=contacts,
        accounts=_account_pool(spec, rng),
        influencers=influencers,
    )


def _account_pool(spec: ProgramSpec, rng: np.random.Generator) -> AccountPool:
    size = max(400, spec.partners * ACCOUNTS_PER_PARTNER)
    shares = {GLOBAL: GLOBAL_ACCOUNT_SHARE} | dict(REGION_SHARE)
    homes = [list(shares)[i] for i in _quota(list(shares.values()), size, rng).tolist()]
    companies = company_pool(size, _countries(homes, rng), rng)
    home_array = np.array(homes[: len(companies)])
    members, cdf = {}, {}
    for region in [GLOBAL, *REGIONS]:
        members[region] = np.flatnonzero(home_array == region)
        weights = 1.0 / (np.arange(len(members[region])) + 20.0) ** 1.1
        cumulative = np.cumsum(weights)
        cdf[region] = cumulative / cumulative[-1]
        cdf[region][-1] = 1.0
    return AccountPool(companies, members, cdf)
