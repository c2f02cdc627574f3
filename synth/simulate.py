"""Partner-by-partner simulation. Program-wide draws come from the roster; everything else about
partner i comes from its own random stream (seed, PARTNER_STREAM, i), so a partner's history is
the same however partners are chunked, and memory holds one partner at a time."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import numpy as np

from synth.activities import simulate_activities
from synth.config import PRODUCT_SIZE, TIERS, ProgramSpec
from synth.deals import DEAL_SIZE_SIGMA, INFLUENCED_SHARE, simulate_deals, win_probability
from synth.patterns import Behaviour
from synth.records import PartnerHistory, PartnerRecord, PersonRecord, TruthRecord
from synth.roster import PARTNER_STREAM, Roster, build_roster
from synth.tiering import BASELINE_MONTHS, example_rules, recorded_tier
from synth.traits import Traits, draw_traits


def simulate_partners(spec: ProgramSpec) -> Iterator[PartnerHistory]:
    """Every partner's history, in partner_id order; deal ids run on across partners."""
    roster = build_roster(spec)
    next_deal = 1
    for index in range(spec.partners):
        history = simulate_partner(roster, index, next_deal)
        next_deal += len(history.deals)
        yield history


def partner_rng(spec: ProgramSpec, index: int) -> np.random.Generator:
    return np.random.default_rng(
        np.random.SeedSequence(spec.seed, spawn_key=(PARTNER_STREAM, index))
    )


def simulate_partner(roster: Roster, index: int, first_deal_number: int) -> PartnerHistory:
    spec = roster.spec
    rng = partner_rng(spec, index)
    b = roster.behaviours[index]
    traits = draw_traits(roster, index, rng)
    deals = simulate_deals(roster, index, traits, b, rng, first_deal_number)
    activities = simulate_activities(roster, index, traits, b, rng)
    pid = roster.partner_id(index)
    team = roster.team_ids[index]
    partner = _partner_record(roster, index, traits, b, deals.closed_at, deals.status, rng)
    if b.pattern != "ramping":  # signed during the history: the tier it signed at
        review = roster.timeline.starts[min(BASELINE_MONTHS, spec.months)]
        profile = int(roster.tiers[index])
        sourced_year = 4 * expected_quarter(profile, traits) * (1 - INFLUENCED_SHARE)
        tier = recorded_tier(profile, sourced_year, activities, review, example_rules())
        partner = replace(partner, tier=tier)
        if tier == example_rules().tiers[0].name:  # the entry tier gets no marketing funds
            activities = activities.without("mdf_spend")
    return PartnerHistory(
        partner=partner,
        contacts=tuple(
            PersonRecord(uid, "partner", pid, name, "", team)
            for uid, name in roster.contacts[index]
        ),
        deals=deals,
        activities=activities,
        truth=TruthRecord(
            pid,
            b.pattern,
            spec.month_start(b.onset) if b.changes else None,
            b.magnitude if b.changes else None,
        ),
    )


def _partner_record(
    roster: Roster,
    index: int,
    traits: Traits,
    b: Behaviour,
    closed_at: np.ndarray,
    status: np.ndarray,
    rng: np.random.Generator,
) -> PartnerRecord:
    tier_index = int(roster.tiers[index])
    tier = TIERS[tier_index]
    signed: date = roster.signed[index].astype(object)
    start = roster.spec.start
    if signed >= start:
        wins = closed_at[status == "won"]
        first_revenue = wins.min().astype(object) if len(wins) else None
    else:
        first_revenue = min(
            signed + timedelta(days=int(rng.gamma(2.0, 60.0)) + 14), start - timedelta(days=1)
        )
    expected = expected_quarter(tier_index, traits)
    target = max(5_000.0, round(expected * rng.uniform(1.05, 1.3), -3))
    region = roster.regions[index]
    return PartnerRecord(
        partner_id=roster.partner_id(index),
        name=roster.names[index],
        tier=tier.name,
        region=region,
        country=roster.countries[index],
        specialties=traits.specialties,
        status="inactive" if b.pattern == "churned" else "active",
        signed_at=signed,
        first_revenue_at=first_revenue,
        quarterly_target=target,
        manager_slack_id=f"UMGR{region}01",
        slack_channel_id=roster.channel_ids[index],
        slack_team_id=roster.team_ids[index],
    )


def expected_quarter(tier_index: int, traits: Traits) -> float:
    """What the partner's registrations are worth in won deals in a typical quarter at full
    volume (program currency)."""
    tier = TIERS[tier_index]
    mix = traits.product_weights / traits.product_weights.sum()
    mean_deal = tier.median_deal * traits.size * float(mix @ PRODUCT_SIZE)
    mean_deal *= np.exp(DEAL_SIZE_SIGMA**2 / 2)
    return 3 * tier.monthly_deals * traits.volume * mean_deal * win_probability(tier_index, traits)
