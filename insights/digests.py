"""What the scheduled digests say, as plain data: the weekly leadership digest and each
partner's quarterly business review (QBR). No Slack objects; ``messages.digests`` renders
them, ``jobs.digests`` queues them, ``partnerbot digest`` prints them.

Definitions (money in program currency, days are UTC dates, as in the scorecards):

- **Weeks** are ISO weeks (Monday–Sunday, ``2026-W47``); the same week a year earlier is the
  week 52 weeks before, so both cover the same weekdays. **Quarters** are calendar quarters
  (``2026-Q3``); a year earlier is the same quarter of the year before.
- **Revenue** is won deals by ``closed_at`` within the period: *sourced* (the partner brought
  the deal) and *influenced* (the partner helped close it). **Pipeline** is the value of deals
  open at the period's last day, by the rule of ``insights.scorecard_metrics``.
- **Trend**: sourced and influenced revenue of each of the ``TREND_WEEKS`` weeks ending with
  the digest's week, and the pipeline open at each week's end — the weekly digest's chart.
- **Movers**: active partners whose won revenue over the ``MOVER_WEEKS`` weeks ending with the
  digest's week changed most against the ``MOVER_WEEKS`` weeks before; a single week is too
  noisy for partners who close a deal a month.
- **At risk**: active partners in the ``high`` band of the newest risk scores up to the week's
  end — at or above ``alerts.risk_threshold`` and as likely to go quiet, what an alert is raised
  on — with the model's plain-language reasons; *new* when they were not (or unscored) in the
  newest scores a week earlier.
- **Tier changes**: the newest stored scorecards up to the period's end whose recommended tier
  differs from the current one.
- **Undelivered messages**: outbox messages Slack refused for good and nobody has queued
  again, by kind and error, whenever they were queued.
- A **QBR** holds one partner's own figures only: its revenue, target, wins, pipeline,
  certifications and stored scorecard (percentiles against its peers, never the peers
  themselves). Quarter figures come from ``monthly_metrics`` so they match the scorecards.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.program import Program
from insights.money import converted
from insights.rising import LISTED
from insights.scorecard_metrics import ProgramFrames, load_frames, monthly_metrics
from insights.scorecard_store import StoredScorecard, month_scorecards, rising_scorecards
from insights.tier_review import TierChange, proposed_tier_changes
from models import (
    Account,
    DealRegistration,
    DealSource,
    DealStatus,
    OutboxMessage,
    OutboxStatus,
    Partner,
    PartnerRiskScore,
    PartnerScorecard,
    PartnerStatus,
)
from models.enums import ACTIVE_DEAL_STATUSES

MOVER_WEEKS = 4
TREND_WEEKS = 13
"""A quarter of weeks in the weekly digest's chart."""
MOVERS = 5
"""Movers shown each way."""
WINS = 5
"""Largest wins listed in a QBR."""
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """An ISO week or a calendar quarter; both ends inclusive."""

    kind: Literal["week", "quarter"]
    label: str
    start: date
    end: date

    def shifted(self, back: int) -> "Period":
        """The period of the same kind ``back`` periods earlier."""
        if self.kind == "week":
            return week_of(self.start - timedelta(weeks=back))
        index = self.start.year * 4 + (self.start.month - 1) // 3 - back
        return quarter_of(date(index // 4, index % 4 * 3 + 1, 1))

    @property
    def previous(self) -> "Period":
        return self.shifted(1)

    @property
    def year_before(self) -> "Period":
        return self.shifted(52 if self.kind == "week" else 4)

    @property
    def months(self) -> pd.PeriodIndex:
        """The calendar months the period touches."""
        return pd.period_range(self.start, self.end, freq="M")


def week_of(day: date) -> Period:
    year, number, weekday = day.isocalendar()
    start = day - timedelta(days=weekday - 1)
    return Period("week", f"{year}-W{number:02d}", start, start + 6 * DAY)


def quarter_of(day: date) -> Period:
    index = (day.month - 1) // 3
    start = date(day.year, index * 3 + 1, 1)
    following = date(day.year + 1, 1, 1) if index == 3 else date(day.year, index * 3 + 4, 1)
    return Period("quarter", f"{day.year}-Q{index + 1}", start, following - DAY)


def last_complete(kind: Literal["week", "quarter"], today: date) -> Period:
    """The last whole week or quarter before ``today``: what a digest posted today covers."""
    return (week_of(today) if kind == "week" else quarter_of(today)).previous


def parse_period(text: str) -> Period:
    """``2026-W47`` or ``2026-Q3``; ValueError naming the expected forms otherwise."""
    year, _, rest = text.strip().upper().partition("-")
    try:
        if rest.startswith("W"):
            return week_of(date.fromisocalendar(int(year), int(rest[1:]), 1))
        if rest.startswith("Q") and rest[1:] in {"1", "2", "3", "4"}:
            return quarter_of(date(int(year), int(rest[1:]) * 3 - 2, 1))
    except ValueError:
        pass
    raise ValueError(f"{text!r} is neither a week like 2026-W47 nor a quarter like 2026-Q3")


@dataclass(frozen=True)
class Compared:
    """A figure for the period, the period before and the same period a year earlier."""

    now: float
    previous: float
    year_ago: float


def _compared(figure: Callable[[Period], float], period: Period) -> Compared:
    return Compared(figure(period), figure(period.previous), figure(period.year_before))


@dataclass(frozen=True)
class Mover:
    partner_id: int
    name: str
    tier: str
    now: float
    """Won revenue in the ``MOVER_WEEKS`` weeks ending with the digest's week."""
    before: float
    """Won revenue in the ``MOVER_WEEKS`` weeks before those."""


@dataclass(frozen=True)
class AtRisk:
    partner_id: int
    name: str
    tier: str
    risk: float
    band: str
    reasons: list[str]
    new: bool
    modelled: bool = True
    """Whether ``risk`` is the model's probability (not the rule-based fallback's figure)."""


@dataclass(frozen=True)
class RisingPartner:
    partner_id: int
    name: str
    tier: str
    reasons: list[str]


@dataclass(frozen=True)
class Registrations:
    received: Compared
    """Registrations received in the week (and the week before, a year before)."""
    amount: float
    """Their value."""
    conflicts: int
    """Of the week's registrations, those in channel conflict now (:func:`_in_conflict`)."""
    open_conflicts: int
    """Registrations in channel conflict now, whenever registered."""
    pending: int
    """Registrations awaiting approval now."""


@dataclass(frozen=True)
class FailedDeliveries:
    kind: str
    error: str
    messages: int


@dataclass(frozen=True)
class WeekFigures:
    week: Period
    sourced: float
    influenced: float
    pipeline: float


@dataclass(frozen=True)
class WeeklyDigest:
    program: str
    currency: str
    week: Period
    risk_threshold: float
    """``alerts.risk_threshold``: the risk from which a partner is listed as at risk."""
    revenue: Compared
    sourced: Compared
    influenced: Compared
    deals_won: Compared
    pipeline: Compared
    movers_up: list[Mover]
    movers_down: list[Mover]
    registrations: Registrations
    risk_as_of: date | None
    """The date of the risk scores shown; None before the first scoring run."""
    at_risk: list[AtRisk]
    tier_month: date | None
    """The scorecard month the tier changes and rising partners come from; None before the
    first scoring."""
    tier_changes: list[TierChange]
    rising: list[RisingPartner]
    """The month's rising partners, most surprising first (``insights.rising``)."""
    undelivered: list[FailedDeliveries]
    trend: list[WeekFigures]
    """The ``TREND_WEEKS`` weeks ending with ``week``, oldest first."""


def _between(when: pd.Series, first: date, last: date) -> np.ndarray:
    """Which of ``when`` fall on ``first``…``last``."""
    return ((when >= pd.Timestamp(first)) & (when < pd.Timestamp(last + DAY))).to_numpy()


def _open_at(deals: pd.DataFrame, day: date) -> pd.Series:
    """Deals open at the end of ``day`` (``insights.scorecard_metrics``' pipeline rule)."""
    after = pd.Timestamp(day + DAY)
    status = deals["status"]
    active = status.isin([s.value for s in ACTIVE_DEAL_STATUSES])
    closed_later = status.isin([DealStatus.WON.value, DealStatus.LOST.value]) & (
        deals["closed_at"] >= after
    )
    expired_later = (status == DealStatus.EXPIRED.value) & (deals["expires_at"] >= after)
    return (deals["registered_at"] < after) & (active | closed_later | expired_later)


def _in_conflict(session: Session) -> list[int]:
    """Ids of the registrations in channel conflict now: those in status ``conflict``, and the
    active ones of an account that more than one partner holds an active claim on (as an import
    can leave it), whatever their status says."""
    active = DealRegistration.status.in_(ACTIVE_DEAL_STATUSES)
    contested = (
        select(DealRegistration.account_id)
        .where(active)
        .group_by(DealRegistration.account_id)
        .having(func.count(DealRegistration.partner_id.distinct()) > 1)
    )
    conflicting = (DealRegistration.status == DealStatus.CONFLICT) | (
        active & DealRegistration.account_id.in_(contested)
    )
    return list(session.scalars(select(DealRegistration.id).where(conflicting)))


def _won(deals: pd.DataFrame) -> pd.DataFrame:
    return deals.loc[(deals["status"] == DealStatus.WON.value).to_numpy()]


def _movers(frames: ProgramFrames, week: Period) -> tuple[list[Mover], list[Mover]]:
    won = _won(frames.deals)
    start = week.end + DAY - timedelta(weeks=MOVER_WEEKS)
    partners = frames.partners.loc[frames.partners["status"] == PartnerStatus.ACTIVE.value]

    def revenue(first: date, last: date) -> pd.Series:
        rows = won.loc[_between(won["closed_at"], first, last)]
        totals = rows.groupby("partner_id")["amount"].sum()
        return totals.reindex(partners.index, fill_value=0.0)

    table = partners[["name", "tier"]].assign(
        now=revenue(start, week.end),
        before=revenue(start - timedelta(weeks=MOVER_WEEKS), start - DAY),
    )
    table["change"] = table["now"] - table["before"]
    table = table.reset_index().sort_values(["change", "name"], kind="stable")

    def movers(rows: pd.DataFrame) -> list[Mover]:
        return [
            Mover(int(r.partner_id), str(r.name), str(r.tier), float(r.now), float(r.before))
            for r in rows.itertuples()
        ]

    up = table.loc[table["change"] > 0].sort_values(
        ["change", "name"], ascending=[False, True], kind="stable"
    )
    return movers(up.head(MOVERS)), movers(table.loc[table["change"] < 0].head(MOVERS))


def _at_risk(session: Session, day: date) -> tuple[date | None, list[AtRisk]]:
    def newest(up_to: date) -> date | None:
        return session.scalar(
            select(func.max(PartnerRiskScore.as_of)).where(PartnerRiskScore.as_of <= up_to)
        )

    as_of = newest(day)
    if as_of is None:
        return None, []
    earlier = newest(as_of - timedelta(days=7))
    already = set(
        session.scalars(
            select(PartnerRiskScore.partner_id).where(
                PartnerRiskScore.as_of == earlier, PartnerRiskScore.risk_band == "high"
            )
        )
    )
    rows = session.execute(
        select(PartnerRiskScore, Partner.name, Partner.tier)
        .join(Partner, Partner.id == PartnerRiskScore.partner_id)
        .where(
            PartnerRiskScore.as_of == as_of,
            PartnerRiskScore.risk_band == "high",  # what an alert is raised on
            Partner.status == PartnerStatus.ACTIVE,
        )
        .order_by(PartnerRiskScore.risk.desc(), Partner.name)
    ).all()
    return as_of, [
        AtRisk(
            score.partner_id,
            name,
            tier,
            float(score.risk),
            score.risk_band,
            [str(reason) for reason in score.top_factors or []],
            new=earlier is not None and score.partner_id not in already,
            modelled=score.method == "model",
        )
        for score, name, tier in rows
    ]


def _scored_month(session: Session, day: date) -> date | None:
    """The newest month with stored scorecards that had ended by ``day``."""
    ended = (pd.Period(day + DAY, freq="M") - 1).start_time.date()
    return session.scalar(
        select(func.max(PartnerScorecard.month)).where(PartnerScorecard.month <= ended)
    )


def _undelivered(session: Session) -> list[FailedDeliveries]:
    messages = func.count().label("messages")
    rows = session.execute(
        select(OutboxMessage.kind, OutboxMessage.last_error, messages)
        .where(OutboxMessage.status == OutboxStatus.FAILED)
        .group_by(OutboxMessage.kind, OutboxMessage.last_error)
        .order_by(messages.desc(), OutboxMessage.kind)
    ).all()
    return [FailedDeliveries(kind, error or "unknown", count) for kind, error, count in rows]


def weekly_digest(session: Session, program: Program, week: Period) -> WeeklyDigest:
    """The leadership digest of ``week``."""
    frames = load_frames(session, program)
    deals = frames.deals
    won = _won(deals)

    def won_sum(source: str | None) -> Callable[[Period], float]:
        rows = won if source is None else won.loc[(won["source"] == source).to_numpy()]
        amount, closed = rows["amount"], rows["closed_at"]
        return lambda p: float(amount[_between(closed, p.start, p.end)].sum())

    def count(when: pd.Series) -> Callable[[Period], float]:
        return lambda p: float(_between(when, p.start, p.end).sum())

    received = _between(deals["registered_at"], week.start, week.end)
    status = deals["status"]
    conflict = deals["deal_id"].isin(_in_conflict(session)).to_numpy()
    registrations = Registrations(
        received=_compared(count(deals["registered_at"]), week),
        amount=float(deals.loc[received, "amount"].sum()),
        conflicts=int((received & conflict).sum()),
        open_conflicts=int(conflict.sum()),
        pending=int((status == DealStatus.PENDING.value).sum()),
    )
    sourced = won_sum(DealSource.SOURCED.value)
    influenced = won_sum(DealSource.INFLUENCED.value)

    def pipeline(period: Period) -> float:
        return float(deals.loc[_open_at(deals, period.end).to_numpy(), "amount"].sum())

    trend = [
        WeekFigures(w, sourced(w), influenced(w), pipeline(w))
        for w in (week.shifted(back) for back in range(TREND_WEEKS - 1, -1, -1))
    ]
    movers_up, movers_down = _movers(frames, week)
    risk_as_of, at_risk = _at_risk(session, week.end)
    tier_month = _scored_month(session, week.end)
    return WeeklyDigest(
        program=program.info.name,
        currency=program.info.currency,
        week=week,
        risk_threshold=program.alerts.risk_threshold,
        revenue=_compared(won_sum(None), week),
        sourced=_compared(sourced, week),
        influenced=_compared(influenced, week),
        deals_won=_compared(count(won["closed_at"]), week),
        pipeline=_compared(pipeline, week),
        movers_up=movers_up,
        movers_down=movers_down,
        registrations=registrations,
        risk_as_of=risk_as_of,
        at_risk=at_risk,
        tier_month=tier_month,
        tier_changes=proposed_tier_changes(session, program, tier_month),
        rising=[
            RisingPartner(card.partner_id, card.name, card.tier, card.rising or [])
            for card in (rising_scorecards(session, tier_month, LISTED) if tier_month else [])
        ],
        undelivered=_undelivered(session),
        trend=trend,
    )


@dataclass(frozen=True)
class Win:
    account: str
    amount: float
    product: str | None
    closed_at: date


@dataclass(frozen=True)
class QbrDigest:
    partner_id: int
    name: str
    tier: str
    channel: str | None
    """The partner's shared channel (``Partner.slack_channel_id``)."""
    quarter: Period
    currency: str
    target: float | None
    """``Partner.quarterly_target``, met by sourced revenue."""
    sourced: Compared
    influenced: Compared
    deals_won: int
    win_rate: float | None
    avg_deal_size: float | None
    wins: list[Win]
    """The largest ``WINS`` of the quarter, largest first."""
    pipeline: Compared
    """Open pipeline at the end of the quarter, the quarter before and a year before."""
    registrations: int
    certifications: int
    """Certifications held at the quarter's end."""
    new_certifications: int
    scorecard: StoredScorecard | None
    """The stored scorecard of the quarter's last month (or the newest before it)."""

    @property
    def attainment(self) -> float | None:
        """Sourced revenue as a share of the quarterly target."""
        return self.sourced.now / self.target if self.target else None


def _wins(
    session: Session, program: Program, quarter: Period, partner_ids: Collection[int]
) -> dict[int, list[Win]]:
    value = converted(DealRegistration.amount, DealRegistration.currency, program)
    rows = session.execute(
        select(
            DealRegistration.partner_id,
            Account.name,
            value,
            DealRegistration.product,
            DealRegistration.closed_at,
        )
        .join(Account, Account.id == DealRegistration.account_id)
        .where(
            DealRegistration.status == DealStatus.WON,
            DealRegistration.closed_at.between(quarter.start, quarter.end),
            DealRegistration.partner_id.in_(partner_ids),
        )
        .order_by(DealRegistration.partner_id, value.desc(), DealRegistration.closed_at)
    ).all()
    wins: dict[int, list[Win]] = {}
    for partner_id, account, amount, product, closed_at in rows:
        listed = wins.setdefault(partner_id, [])
        if len(listed) < WINS:
            listed.append(Win(account, float(amount), product, closed_at))
    return wins


def _none(value: float) -> float | None:
    return None if pd.isna(value) else float(value)


def qbr_digests(
    session: Session,
    program: Program,
    quarter: Period,
    partner_ids: Collection[int] | None = None,
) -> list[QbrDigest]:
    """The QBRs of ``quarter`` for ``partner_ids`` (default: every active partner), by name.
    Computed for all of them at once: the metrics are vectorised over partners."""
    frames = load_frames(session, program)
    partners = frames.partners
    if partner_ids is None:
        partners = partners.loc[partners["status"] == PartnerStatus.ACTIVE.value]
    else:
        partners = partners.loc[partners.index.isin(list(partner_ids))]
    ids = partners.index.tolist()
    if not ids:
        return []
    months = pd.period_range(quarter.year_before.start, quarter.end, freq="M")
    metrics = monthly_metrics(frames, program, months).loc[ids]

    def over(period: Period, column: str) -> pd.Series:
        picked = metrics.loc[(slice(None), period.months), column]
        return picked.groupby(level="partner_id").sum()

    def at_end(period: Period, column: str) -> pd.Series:
        return metrics.xs(period.months[-1], level="month")[column]

    def compared(figure: Callable[[Period], pd.Series]) -> dict[int, Compared]:
        now, before, year_ago = map(figure, (quarter, quarter.previous, quarter.year_before))
        return {
            pid: Compared(float(now[pid]), float(before[pid]), float(year_ago[pid])) for pid in ids
        }

    sourced = compared(lambda p: over(p, "sourced_revenue"))
    influenced = compared(lambda p: over(p, "influenced_revenue"))
    pipeline = compared(lambda p: at_end(p, "open_pipeline"))
    won = over(quarter, "deals_won")
    last = metrics.xs(quarter.months[-1], level="month")
    certifications_before = at_end(quarter.previous, "certifications")
    deals = frames.deals
    received = deals.loc[_between(deals["registered_at"], quarter.start, quarter.end)]
    registrations = received.groupby("partner_id").size()
    wins = _wins(session, program, quarter, ids)
    month = _scored_month(session, quarter.end)
    cards = month_scorecards(session, month, ids) if month else {}
    channels = dict(
        session.execute(
            select(Partner.id, Partner.slack_channel_id).where(Partner.id.in_(ids))
        ).all()
    )

    digests = []
    for pid, row in partners.iterrows():
        target = _none(row["quarterly_target"])
        digests.append(
            QbrDigest(
                partner_id=int(pid),
                name=str(row["name"]),
                tier=str(row["tier"]),
                channel=channels.get(pid),
                quarter=quarter,
                currency=program.info.currency,
                target=target if target else None,
                sourced=sourced[pid],
                influenced=influenced[pid],
                deals_won=int(won[pid]),
                win_rate=_none(last.at[pid, "win_rate"]),
                avg_deal_size=_none(last.at[pid, "avg_deal_size"]),
                wins=wins.get(int(pid), []),
                pipeline=pipeline[pid],
                registrations=int(registrations.get(pid, 0)),
                certifications=int(last.at[pid, "certifications"]),
                new_certifications=int(last.at[pid, "certifications"] - certifications_before[pid]),
                scorecard=cards.get(int(pid)),
            )
        )
    return sorted(digests, key=lambda d: (d.name.lower(), d.partner_id))
