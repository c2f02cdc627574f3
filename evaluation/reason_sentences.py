"""Every reason sentence the at-risk explanation writes, checked against the raw events: each
sentence is matched to its template and its numbers recomputed by the sentence's own words ("in
the last 90 days" means the 90 days before the cut-off; "usually" is the partner's rate over the
history it has), independently of :mod:`insights.risk_factors`. A sentence that matches no
template is false too. Used by ``tests/test_reason_sentences.py`` on generated programs, and on
CDNOW:

    PYTHONPATH=. python -m evaluation.reason_sentences [--data PATH]
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pandas as pd

from evaluation.cdnow import CUTOFF, DATA, load_events
from insights.metric_display import money
from insights.program_events import LOST, REGISTERED, WON
from insights.risk_factors import top_factors
from insights.risk_features import risk_features

DAY = pd.Timedelta(days=1)


def count(n: int, noun: str) -> str:
    return f"no {noun}s" if n == 0 else f"{n} {noun}" + ("" if n == 1 else "s")


def rate(n: float) -> str:
    return f"{n:.1f}".removesuffix(".0") if n < 10 else f"{n:.0f}"


class Recompute:
    """The sentences a partner's record supports, rebuilt from the events before ``as_of``."""

    def __init__(
        self, events: pd.DataFrame, as_of: pd.Timestamp, peers: pd.Series, currency: str
    ) -> None:
        self.events, self.as_of, self.peers = events.loc[events["date"] < as_of], as_of, peers
        self.currency = currency
        self.by_partner = dict(tuple(self.events.groupby("partner_id", observed=True)))

    def mine(self, pid: int, kinds: tuple[str, ...], days_back: int, days_end: int = 0):
        """``pid``'s events of ``kinds`` from ``days_back`` to ``days_end`` days before as_of."""
        frame = self.by_partner.get(pid, self.events.iloc[:0])
        start, end = self.as_of - days_back * DAY, self.as_of - days_end * DAY
        return frame.loc[
            frame["kind"].isin(kinds) & (frame["date"] >= start) & (frame["date"] < end)
        ]

    def usual(self, pid: int, kinds: tuple[str, ...]) -> float:
        """Per 90 days over the partner's history before the last 90 days (at most 270)."""
        first = self.by_partner[pid]["date"].min()
        history = min(270.0, max(0.0, (self.as_of - 90 * DAY - first) / DAY))
        return len(self.mine(pid, kinds, 360, 90)) / (history / 90)

    def silence(self, pid: int) -> str:
        days = sorted({d.normalize() for d in self.mine(pid, (WON,), 100_000)["date"]})
        gaps = pd.Series([(b - a) / DAY for a, b in pairwise(days)])
        recency = (self.as_of - days[-1]) / DAY
        return f"no won deal in {recency:.0f} days, usually every {gaps.median():.0f}"

    def registrations(self, pid: int) -> str:
        now = len(self.mine(pid, (REGISTERED,), 90))
        usual = rate(self.usual(pid, (REGISTERED,)))
        return f"{count(now, 'deal registration')} in the last 90 days, usually {usual} per 90 days"

    def revenue(self, pid: int) -> str:
        now = round(self.mine(pid, (WON,), 90)["amount"].sum(), 2)  # amounts are in cents
        first = self.by_partner[pid]["date"].min()
        history = min(270.0, max(0.0, (self.as_of - 90 * DAY - first) / DAY))
        usual = round(self.mine(pid, (WON,), 360, 90)["amount"].sum(), 2) / (history / 90)
        return (
            f"won {money(now, self.currency)} in the last 90 days, "
            f"usually {money(usual, self.currency)} per 90 days"
        )

    def win_rates(self) -> pd.Series:
        closed = self.events.loc[self.events["date"] >= self.as_of - 180 * DAY]
        won = closed.loc[closed["kind"] == WON].groupby("partner_id", observed=True).size()
        lost = closed.loc[closed["kind"] == LOST].groupby("partner_id", observed=True).size()
        both = pd.concat([won, lost], axis=1).fillna(0)
        total = both.sum(axis=1)
        return (both[0] / total)[total >= 4]

    def peer_median(self, values: pd.Series, pid: int) -> float:
        group = self.peers.get(pid, "")
        mates = values[self.peers.reindex(values.index).fillna("") == group]
        return mates.median() if len(mates) >= 5 else values.median()

    def win_rate(self, pid: int) -> str:
        rates = self.win_rates()
        return (
            f"win rate {rates[pid]:.0%} vs {self.peer_median(rates, pid):.0%} peer median "
            "(deals closed in the last 180 days)"
        )

    def deal_size(self, pid: int) -> str:
        now, before = self.mine(pid, (WON,), 180)["amount"], self.mine(pid, (WON,), 540, 180)
        return (
            f"average won deal {money(now.mean(), self.currency)} in the last 180 days, down from "
            f"{money(before['amount'].mean(), self.currency)} in the 360 days before"
        )

    def engagement(self, pid: int) -> str:
        kinds = ("marketing", "training")
        now = len(self.mine(pid, kinds, 90))
        usual = rate(self.usual(pid, kinds))
        return (
            f"{count(now, 'marketing or training event')} in the last 90 days, "
            f"usually {usual} per 90 days"
        )

    def satisfaction(self, pid: int) -> str:
        recent = self.events.loc[
            (self.events["kind"] == "satisfaction")
            & (self.events["date"] >= self.as_of - 180 * DAY)
        ]
        latest = recent.sort_values("date", kind="stable").groupby("partner_id").last()["amount"]
        return (
            f"satisfaction {latest[pid]:.1f}/10 in the latest survey of the last 180 days vs "
            f"{self.peer_median(latest, pid):.1f} peer median"
        )

    def templates(self) -> dict[str, Callable[[int], str]]:
        return {
            r"no won deal in \d+ days": self.silence,
            r"\S+ deal registrations? in the last 90 days": self.registrations,
            r"won .+ in the last 90 days": self.revenue,
            r"win rate ": self.win_rate,
            r"average won deal ": self.deal_size,
            r"\S+ marketing or training events? in the last 90 days": self.engagement,
            r"satisfaction ": self.satisfaction,
        }


def check_sentences(
    events: pd.DataFrame, as_of: pd.Timestamp, peers: pd.Series | None, currency: str
) -> tuple[int, list[str]]:
    """(sentences checked, the false ones): every reason :func:`top_factors` writes for every
    partner with history before ``as_of``, each recomputed from ``events`` by its words."""
    past = events.loc[events["date"] < as_of]
    partners = pd.Index(sorted(past["partner_id"].unique()), name="partner_id")
    groups = peers if peers is not None else pd.Series("all", index=partners)
    found = top_factors(past, as_of, partners, risk_features(past, as_of), groups, currency)
    templates = Recompute(events, as_of, groups, currency).templates()
    checked, false = 0, []
    for pid, sentences in found.items():
        for sentence in sentences:
            checked += 1
            rebuild = next((f for p, f in templates.items() if re.match(p, sentence)), None)
            expected = rebuild(pid) if rebuild else "(no template)"
            if expected != sentence:
                false.append(f"partner {pid}: {sentence!r}, recomputed {expected!r}")
    return checked, false


def main() -> None:
    """The sweep on CDNOW: each purchase a registration and a won deal, as of the protocol's
    cut-off."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    purchases = load_events(args.data)
    events = pd.concat(
        [purchases.assign(kind=REGISTERED), purchases.assign(kind=WON)], ignore_index=True
    ).sort_values("date", kind="stable")
    checked, false = check_sentences(events, CUTOFF, None, "USD")
    print(f"CDNOW as of {CUTOFF:%Y-%m-%d}: {checked} reason sentences checked, {len(false)} false")
    for line in false[:20]:
        print(" ", line)


if __name__ == "__main__":
    main()
