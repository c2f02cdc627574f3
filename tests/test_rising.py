"""Rising partners on hand-made programs: a partner whose deal flow doubled for half a year
is listed with reasons that are true as written; one burst month, a partner that merely keeps
pace with a booming program, and a handful of deals are not."""

import numpy as np
import pandas as pd

from insights.rising import rising_partners
from insights.scorecard_metrics import ProgramFrames

MONTH = pd.Period("2026-10", freq="M")
MONTHS = pd.period_range(MONTH - 23, MONTH, freq="M")
STEADY = 40


def program(flows: dict[int, list[int]]) -> ProgramFrames:
    """Partners registering ``flows[pid][m]`` deals in month ``m`` of :data:`MONTHS`, each
    won for 10,000 (sourced) in the month it was registered."""
    rows = [
        (pid, month.to_timestamp() + pd.Timedelta(days=1 + k % 27))
        for pid, flow in flows.items()
        for month, count in zip(MONTHS, flow, strict=True)
        for k in range(count)
    ]
    deals = pd.DataFrame(rows, columns=["partner_id", "registered_at"])
    deals["deal_id"] = np.arange(len(deals)) + 1
    deals["amount"] = 10_000.0
    deals["status"] = "won"
    deals["source"] = "sourced"
    deals["closed_at"] = deals["registered_at"]
    deals["expires_at"] = pd.NaT
    partners = pd.DataFrame(
        {
            "external_id": [f"P{pid}" for pid in flows],
            "name": [f"Partner {pid}" for pid in flows],
            "tier": "gold",
            "region": "EMEA",
            "status": "active",
            "signed_at": pd.Timestamp("2020-01-01"),
            "quarterly_target": np.nan,
        },
        index=pd.Index(list(flows), name="partner_id"),
    )
    empty = pd.DataFrame(columns=["deal_id", "partner_id"])
    activities = pd.DataFrame(columns=["partner_id", "occurred_on", "kind", "value"])
    return ProgramFrames(partners, deals, empty, activities)


def steady(n: int) -> dict[int, list[int]]:
    """``n`` partners registering 4 a month, with a little month-to-month wobble."""
    return {pid: [4 + (pid + m) % 3 - 1 for m in range(24)] for pid in range(100, 100 + n)}


def test_a_doubled_flow_is_rising_with_reasons_true_as_written() -> None:
    doubled = [5] * 18 + [10, 11, 10, 10, 11, 10]
    found = rising_partners(program({1: doubled} | steady(STEADY)), MONTH, "EUR")
    assert [r.partner_id for r in found] == [1]
    assert found[0].reasons == [
        "10.3 deal registrations a month in May 2026–October 2026, up from 5.0 in the 9 months "
        "before",
        "won EUR 103,333 a month in May 2026–October 2026, up from EUR 50,000",
    ]


def test_one_burst_a_boom_everyone_shares_and_a_handful_are_not_rising() -> None:
    burst = [5] * 18 + [5, 5, 40, 5, 5, 5]
    handful = [0] * 18 + [1, 0, 1, 1, 0, 1]  # from nothing, but four deals
    flows = {1: burst, 2: handful} | steady(STEADY)
    assert rising_partners(program(flows), MONTH, "EUR") == []
    # the whole program doubles in the last six months: keeping pace is not rising
    boom = {pid: flow[:18] + [2 * c for c in flow[18:]] for pid, flow in steady(STEADY).items()}
    boom[1] = [5] * 18 + [10, 11, 10, 10, 11, 10]
    assert rising_partners(program(boom), MONTH, "EUR") == []
