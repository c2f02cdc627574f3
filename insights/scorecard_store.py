"""Computing every partner's scorecard for a month and keeping it in ``partner_scorecards``.

Peer-group percentiles need the whole program, so a scorecard is computed for all partners at
once (``partnerbot score``, the nightly job) and ``/scorecard`` reads one stored row. A
scorecard is for the last *complete* calendar month before the day it is computed: a month
in progress would compare half a month with whole ones.
"""

import math
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from insights.scorecard_metrics import load_frames, monthly_metrics
from insights.scorecards import Scorecard, scorecards
from models import Partner, PartnerScorecard
from partnerbot.program import Program

HISTORY_MONTHS = 15
"""Months of metrics computed: 12 for the chart and trailing windows, 3 more for quarter-over-
quarter variance."""
CHART_MONTHS = 12
SERIES = ("sourced_revenue", "influenced_revenue", "open_pipeline")


def scorecard_month(as_of: date) -> pd.Period:
    """The last complete calendar month before ``as_of``."""
    return pd.Period(as_of, freq="M") - 1


def _plain(value: Any) -> Any:
    """JSON-safe: NaN and infinities become None, numpy numbers Python ones."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pd.Period):
        return str(value)
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class StoredScorecard:
    """A stored scorecard as the card, the terminal and the digests show it."""

    partner_id: int
    external_id: str
    name: str
    tier: str
    region: str
    month: date
    currency: str
    score: float
    score_previous_month: float | None
    score_previous_quarter: float | None
    peer_group: str
    peers: int
    metrics: dict[str, float | None]
    previous_metrics: dict[str, float | None]
    """The same metrics a month earlier, for the card's arrows."""
    percentiles: dict[str, float | None]
    highlights: list[dict[str, Any]]
    advice: dict[str, Any]
    series: dict[str, list[Any]]
    computed_at: datetime


@dataclass(frozen=True)
class ScoringRun:
    month: date
    partners: int
    seconds: float


def _card(card: Scorecard, metrics: pd.DataFrame, month: pd.Period, currency: str) -> dict:
    months = pd.period_range(month - (CHART_MONTHS - 1), month, freq="M")
    rows = metrics.loc[card.partner_id].reindex(months)
    data = asdict(card)
    data.pop("partner_id")
    data["month"] = str(month)
    data["currency"] = currency
    previous = metrics.loc[(card.partner_id, month - 1)] if month - 1 in months else None
    data["previous_metrics"] = {} if previous is None else previous.to_dict()
    data["series"] = {"months": [m.strftime("%b %y") for m in months]} | {
        name: rows[name].fillna(0).round(2).tolist() for name in SERIES
    }
    return _plain(data)


def compute_and_store(session: Session, program: Program, as_of: date) -> ScoringRun:
    """Compute every partner's scorecard for the month before ``as_of`` and replace that
    month's stored rows in one transaction."""
    started = datetime.now()
    month = scorecard_month(as_of)
    frames = load_frames(session, program)
    months = pd.period_range(month - (HISTORY_MONTHS - 1), month, freq="M")
    metrics = monthly_metrics(frames, program, months)
    cards = scorecards(metrics, frames.partners, program, month)
    currency = program.program.currency
    first_day = month.to_timestamp().date()
    rows = [
        {
            "partner_id": partner_id,
            "month": first_day,
            "score": float(card.score),
            "tier": card.advice.current,
            "recommended_tier": card.advice.recommended,
            "card": _card(card, metrics, month, currency),
        }
        for partner_id, card in cards.items()
    ]
    try:
        session.execute(delete(PartnerScorecard).where(PartnerScorecard.month == first_day))
        if rows:
            session.execute(insert(PartnerScorecard), rows)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    seconds = (datetime.now() - started).total_seconds()
    return ScoringRun(first_day, len(rows), seconds)


def _stored(row: PartnerScorecard, partner: Partner) -> StoredScorecard:
    card = row.card
    return StoredScorecard(
        partner_id=partner.id,
        external_id=partner.external_id,
        name=partner.name,
        tier=partner.tier,
        region=partner.region,
        month=row.month,
        currency=str(card.get("currency", "")),
        score=row.score,
        score_previous_month=card.get("score_previous_month"),
        score_previous_quarter=card.get("score_previous_quarter"),
        peer_group=str(card.get("peer_group", "")),
        peers=int(card.get("peers") or 0),
        metrics=dict(card.get("metrics") or {}),
        previous_metrics=dict(card.get("previous_metrics") or {}),
        percentiles=dict(card.get("percentiles") or {}),
        highlights=list(card.get("highlights") or []),
        advice=dict(card.get("advice") or {}),
        series=dict(card.get("series") or {}),
        computed_at=row.computed_at,
    )


def latest_month(session: Session) -> date | None:
    return session.scalar(select(PartnerScorecard.month).order_by(PartnerScorecard.month.desc()))


def latest_scorecard(session: Session, partner_id: int) -> StoredScorecard | None:
    """The partner's newest stored scorecard."""
    found = session.execute(
        select(PartnerScorecard, Partner)
        .join(Partner, Partner.id == PartnerScorecard.partner_id)
        .where(PartnerScorecard.partner_id == partner_id)
        .order_by(PartnerScorecard.month.desc())
        .limit(1)
    ).first()
    return _stored(*found) if found else None


def leaderboard(
    session: Session, *, limit: int, region: str | None = None, tier: str | None = None
) -> list[StoredScorecard]:
    """The best scores of the newest month, optionally within one region or tier
    (case-insensitive)."""
    month = latest_month(session)
    if month is None:
        return []
    stmt = (
        select(PartnerScorecard, Partner)
        .join(Partner, Partner.id == PartnerScorecard.partner_id)
        .where(PartnerScorecard.month == month)
        .order_by(PartnerScorecard.score.desc(), Partner.name)
        .limit(limit)
    )
    if region:
        stmt = stmt.where(func.lower(Partner.region) == region.lower())
    if tier:
        stmt = stmt.where(func.lower(Partner.tier) == tier.lower())
    return [_stored(*row) for row in session.execute(stmt).all()]


def write_scorecards_csv(session: Session, month: date, out: Path) -> int:
    """Every partner's stored scorecard for ``month`` as one CSV row: identity, score, tier
    advice, each metric and each percentile. Returns the number of rows."""
    found = session.execute(
        select(PartnerScorecard, Partner)
        .join(Partner, Partner.id == PartnerScorecard.partner_id)
        .where(PartnerScorecard.month == month)
        .order_by(PartnerScorecard.score.desc(), Partner.name)
    ).all()
    records = []
    for row, partner in found:
        card = _stored(row, partner)
        records.append(
            {
                "partner_id": card.external_id,
                "name": card.name,
                "tier": card.tier,
                "region": card.region,
                "month": card.month.isoformat(),
                "score": card.score,
                "recommended_tier": card.advice.get("recommended"),
                "tier_change": card.advice.get("change"),
                "peer_group": card.peer_group,
                **card.metrics,
                **{f"percentile_{name}": value for name, value in card.percentiles.items()},
            }
        )
    pd.DataFrame.from_records(records).to_csv(out, index=False)
    return len(records)
