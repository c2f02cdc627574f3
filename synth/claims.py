"""The program's registration rules across partners: one partner at a time holds an account.

Partners are simulated independently (``synth.simulate``); their registrations are settled in
partner order as the program is written. A registration protects its company from when it is
registered until it is won or lost or its protection ends (for ever while it awaits approval).
A later-settled partner's registration whose protection would overlap another partner's is a
claim on a protected account, and then:

* still undecided at the end of the history, it is written ``conflict`` (awaiting a manager);
* one in ``REJECTED_EVERY`` of those the partner would have lost is written ``rejected`` (the
  manager awarded the account to the partner holding it);
* the others are a customer the partner worked instead: the same deal, moved to a company of
  the partner's region that nobody else holds over its period (the search starts at a place
  given by the deal's number, so the moved deals spread over the region's companies).

Settling in partner order rather than time order keeps memory at one partner's deals plus each
company's protected periods; a conflict card lets a manager award either claim, so both
outcomes are ones the rules allow."""

from collections import defaultdict
from dataclasses import replace

import numpy as np

from synth.records import DealColumns
from synth.roster import AccountPool

REJECTED_EVERY = 16
FOREVER = np.datetime64("9999-12-31T00:00:00", "s")
NAT = np.datetime64("NaT")
Period = tuple[int, int]
"""Seconds since the epoch, from and until (plain ints: fast to compare one by one)."""


class Claims:
    """Each company's periods of protection granted so far (pool index → periods)."""

    def __init__(self, pool: AccountPool) -> None:
        self.pool = pool
        self.periods: dict[int, list[Period]] = defaultdict(list)

    def settle(self, deals: DealColumns, region: str) -> DealColumns:
        """One partner's ``deals`` under the rules above; their protection is recorded for the
        partners settled after."""
        status, company = deals.status.copy(), deals.company.copy()
        names, domains = list(deals.account_name), list(deals.account_domain)
        until = _protected_until(deals)
        protects = ~np.isnat(until)
        starts = deals.registered_at.astype("int64").tolist()
        periods = list(zip(starts, until.astype("int64").tolist(), strict=True))
        for i, (start, end) in enumerate(periods):
            if not protects[i] or self._free(int(company[i]), start, end):
                continue
            if status[i] == "pending":
                status[i] = "conflict"
            elif status[i] == "lost" and deals.deal_number[i] % REJECTED_EVERY == 0:
                status[i], protects[i] = "rejected", False
            else:
                moved = self._free_company(region, int(deals.deal_number[i]), start, end)
                company[i] = moved
                names[i] = self.pool.companies[moved].name
                domains[i] = self.pool.companies[moved].domain
        for c, period, kept in zip(company.tolist(), periods, protects.tolist(), strict=True):
            if kept:
                self.periods[c].append(period)
        rejected = (status == "rejected") & (deals.status != "rejected")
        return replace(
            deals,
            company=company,
            account_name=names,
            account_domain=domains,
            status=status,
            stage=np.where(rejected, "Disqualified", deals.stage),
            expected_close=np.where(rejected, NAT, deals.expected_close).astype("datetime64[D]"),
            closed_at=np.where(rejected, NAT, deals.closed_at).astype("datetime64[D]"),
            expires_at=np.where(rejected, NAT, deals.expires_at).astype("datetime64[D]"),
        )

    def _free(self, company: int, start: int, end: int) -> bool:
        return not any(s < end and start < e for s, e in self.periods[company])

    def _free_company(self, region: str, number: int, start: int, end: int) -> int:
        """A company of ``region`` (else any) nobody holds in start…end, searched from the
        ``number``-th on."""
        for candidates in (self.pool.members[region], np.arange(len(self.pool.companies))):
            for company in np.roll(candidates, -(number % len(candidates))).tolist():
                if self._free(company, start, end):
                    return int(company)
        raise ValueError("every company of the pool is held: the pool is too small")


def _protected_until(deals: DealColumns) -> np.ndarray:
    """When each registration stops protecting its company (datetime64[s]): when it is closed
    or its protection ends, never while it awaits approval; NaT for a rejected one."""
    status = deals.status
    closed = deals.closed_at.astype("datetime64[s]")
    expires = deals.expires_at.astype("datetime64[s]")
    return np.select(
        [status == "pending", (status == "won") | (status == "lost"), status == "rejected"],
        [FOREVER, closed, NAT],
        expires,
    )
