"""Every reason sentence the at-risk explanation writes is true as written: on generated
programs, each sentence for every partner is matched to its template and its numbers are
recomputed from the raw events by the sentence's own words ("in the last 90 days" means the 90
days before the cut-off; "usually" is the partner's rate over the history it has), here,
independently of :mod:`insights.risk_factors`. A sentence that matches no template fails too."""

import re
from collections.abc import Callable
from datetime import date
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest

from evaluation.generated import load_generated
from insights.metric_display import money
from insights.program_events import LOST, REGISTERED, WON, peer_groups, program_events
from insights.risk_factors import top_factors
from insights.risk_features import risk_features
from synth import ProgramSpec, generate_program
from tests.programs import EXAMPLE_PROGRAM

DAY = pd.Timedelta(days=1)
CURRENCY = EXAMPLE_PROGRAM.info.currency


def count(n: int, noun: str) -> str:
    return f"no {noun}s" if n == 0 else f"{n} {noun}" + ("" if n == 1 else "s")


def rate(n: float) -> str:
    return f"{n:.1f}".removesuffix(".0") if n < 10 else f"{n:.0f}"


class Recompute:
    """The sentences a partner's record supports, rebuilt from the events before ``as_of``."""

    def __init__(self, events: pd.DataFrame, as_of: pd.Timestamp, peers: pd.Series) -> None:
        self.events, self.as_of, self.peers = events.loc[events["date"] < as_of], as_of, peers
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
        now = self.mine(pid, (WON,), 90)["amount"].sum()
        first = self.by_partner[pid]["date"].min()
        history = min(270.0, max(0.0, (self.as_of - 90 * DAY - first) / DAY))
        usual = self.mine(pid, (WON,), 360, 90)["amount"].sum() / (history / 90)
        return (
            f"won {money(now, CURRENCY)} in the last 90 days, "
            f"usually {money(usual, CURRENCY)} per 90 days"
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
            f"average won deal {money(now.mean(), CURRENCY)} in the last 180 days, down from "
            f"{money(before['amount'].mean(), CURRENCY)} in the 360 days before"
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


def sweep(folder: Path, as_of: pd.Timestamp) -> tuple[int, list[str]]:
    """(sentences checked, the false ones) for every partner of the program in ``folder``."""
    frames = load_generated(folder, EXAMPLE_PROGRAM)
    events = program_events(frames)
    past = events.loc[events["date"] < as_of]
    partners = pd.Index(sorted(past["partner_id"].unique()), name="partner_id")
    peers = peer_groups(frames.partners)
    found = top_factors(past, as_of, partners, risk_features(past, as_of), peers, CURRENCY)
    truth = Recompute(events, as_of, peers)
    templates = truth.templates()
    checked, false = 0, []
    for pid, sentences in found.items():
        for sentence in sentences:
            checked += 1
            rebuild = next((f for p, f in templates.items() if re.match(p, sentence)), None)
            expected = rebuild(pid) if rebuild else "(no template)"
            if expected != sentence:
                false.append(f"partner {pid}: {sentence!r}, recomputed {expected!r}")
    return checked, false


@pytest.mark.slow
@pytest.mark.parametrize(
    "spec",
    [
        ProgramSpec(partners=250, months=20, seed=21, end=date(2026, 11, 1)),
        ProgramSpec(partners=250, months=14, seed=22, end=date(2026, 10, 1), dip_month=11),
    ],
    ids=["20 months", "14 months with a dip"],
)
def test_every_reason_sentence_is_true_as_written(spec: ProgramSpec, tmp_path: Path) -> None:
    generate_program(spec, tmp_path)
    checked, false = sweep(tmp_path, pd.Timestamp(spec.end) - 9 * DAY)
    print(f"{checked} reason sentences checked, {len(false)} false")
    assert checked > 100
    assert false == []
