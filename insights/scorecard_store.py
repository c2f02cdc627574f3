"""Computing every partner's scorecard for a month and keeping it in ``partner_scorecards``.

Peer-group percentiles need the whole program, so a scorecard is computed for all partners at
once (``partnerbot score``, the nightly job) and ``/scorecard`` reads one stored row. A
scorecard is for the last calendar month *complete at the end of* the day it is computed as
of: a month in progress would compare half a month with whole ones.
"""

import json
import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from config.program import Program
from insights.metric_display import KEY_METRICS
from insights.rising import Rising, rising_partners
from insights.scorecard_metrics import ProgramFrames, load_frames, monthly_metrics
from insights.scorecards import Scorecard, scorecards
from models import Partner, PartnerScorecard

HISTORY_MONTHS = 15
"""Months of metrics computed: 12 for the chart and trailing windows, 3 more for quarter-over-
quarter variance."""
CHART_MONTHS = 12
SERIES = ("sourced_revenue", "influenced_revenue", "open_pipeline")


def scorecard_month(as_of: date) -> pd.Period:
    """The last calendar month complete at the end of ``as_of``: 30 November completes
    November, 29 November only October."""
    return pd.Period(as_of + timedelta(days=1), freq="M") - 1


def data_start(frames: ProgramFrames) -> date | None:
    """The first day with a registration or an activity (None: no data): a month that ended
    before it has nothing to score, and its cards would read as a program of silent partners."""
    firsts = [frames.deals["registered_at"].min(), frames.activities["occurred_on"].min()]
    known = [first for first in firsts if not pd.isna(first)]
    return min(known).date() if known else None


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
    chart_file_id: str | None = None
    rising: list[str] | None = None
    """Why the partner is one of the month's rising partners (``insights.rising``); None when
    it is not."""

    def tier_gaps(self) -> list[tuple[str, str, list[str]]]:
        """(``keep`` or ``reach``, tier, what it still needs) from the tier advice: keeping the
        current tier first, when a downgrade is recommended, then reaching the next one."""
        advice, found = self.advice, []
        if keep := advice.get("keep_gaps"):  # cards stored before it was kept have none
            found.append(("keep", str(advice.get("current", self.tier)), [str(g) for g in keep]))
        if advice.get("next_tier") and (reach := advice.get("gaps")):
            found.append(("reach", str(advice["next_tier"]), [str(g) for g in reach]))
        return found


@dataclass(frozen=True)
class ScoringRun:
    month: date
    partners: int
    seconds: float


def _series(metrics: pd.DataFrame, month: pd.Period) -> tuple[list[str], dict[str, Any]]:
    """The chart's 12 months of each ``SERIES`` metric for every partner at once:
    month labels, and per metric a ``{partner_id: [values]}`` mapping."""
    months = pd.period_range(month - (CHART_MONTHS - 1), month, freq="M")
    by_partner = {}
    for name in SERIES:
        wide = metrics[name].unstack("month").reindex(columns=months).fillna(0.0).round(2)
        by_partner[name] = dict(zip(wide.index.tolist(), wide.to_numpy().tolist(), strict=True))
    return [m.strftime("%b %y") for m in months], by_partner


def _previous(metrics: pd.DataFrame, month: pd.Period) -> dict[int, dict[str, float | None]]:
    """Every partner's metrics a month before ``month``, None for no value."""
    if month - 1 not in metrics.index.get_level_values("month"):
        return {}
    frame = metrics.xs(month - 1, level="month")
    plain = frame.astype(object).where(frame.notna(), None)
    return plain.to_dict("index")


def _rows(
    cards: dict[int, Scorecard],
    metrics: pd.DataFrame,
    month: pd.Period,
    currency: str,
    rising: dict[int, Rising],
) -> list[dict[str, Any]]:
    """One ``partner_scorecards`` row per card; built column-wise (a card at a time through
    ``asdict`` and per-partner ``.loc`` lookups took 20 s for 10,000 partners)."""
    labels, series = _series(metrics, month)
    previous = _previous(metrics, month)
    first_day = month.to_timestamp().date()
    rows = []
    for partner_id, card in cards.items():
        advice = card.advice
        body = {
            "month": str(month),
            "currency": currency,
            "score": card.score,
            "score_previous_month": card.score_previous_month,
            "score_previous_quarter": card.score_previous_quarter,
            "peer_group": card.peer_group,
            "peers": int(card.peers),
            "metrics": card.metrics,
            "previous_metrics": previous.get(partner_id, {}),
            "percentiles": card.percentiles,
            "highlights": [
                {"text": h.text, "metric": h.metric, "direction": h.direction}
                for h in card.highlights
            ],
            "advice": {
                "current": advice.current,
                "recommended": advice.recommended,
                "change": advice.change,
                "needs_approval": advice.needs_approval,
                "next_tier": advice.next_tier,
                "gaps": list(advice.gaps),
                "keep_gaps": list(advice.keep_gaps),
            },
            "series": {"months": labels}
            | {name: series[name].get(partner_id, [0.0] * len(labels)) for name in SERIES},
        }
        rise = rising.get(partner_id)
        if rise is not None:
            body["rising"] = rise.reasons
        rows.append(
            {
                "partner_id": partner_id,
                "month": first_day,
                "score": float(card.score),
                "tier": advice.current,
                "recommended_tier": advice.recommended,
                "rising": rise.surprise if rise is not None else None,
                "card": body,
            }
        )
    return rows


def _replace_month(session: Session, first_day: date, rows: list[dict[str, Any]]) -> None:
    """Delete the month's rows and write the new ones: COPY on PostgreSQL (a tenth of the time
    of an INSERT per row), an executemany INSERT elsewhere."""
    session.execute(delete(PartnerScorecard).where(PartnerScorecard.month == first_day))
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(insert(PartnerScorecard), rows)
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    columns = ("partner_id", "month", "score", "tier", "recommended_tier", "rising", "card")
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY partner_scorecards ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(
                (*(row[c] for c in columns[:-1]), json.dumps(row["card"], allow_nan=False))
            )


def compute_and_store(
    session: Session, program: Program, as_of: date, frames: ProgramFrames | None = None
) -> ScoringRun:
    """Compute every partner's scorecard for the last month complete at the end of ``as_of``
    (:func:`scorecard_month`) and replace that month's stored rows in the caller's
    transaction, so readers see the old month or the new, never half. ``frames``: the program
    as already loaded."""
    started = datetime.now()
    month = scorecard_month(as_of)
    frames = frames or load_frames(session, program)
    months = pd.period_range(month - (HISTORY_MONTHS - 1), month, freq="M")
    metrics = monthly_metrics(frames, program, months)
    cards = scorecards(metrics, frames.partners, program, month)
    rising = {r.partner_id: r for r in rising_partners(frames, month, program.info.currency)}
    rows = _rows(cards, metrics, month, program.info.currency, rising)
    first_day = month.to_timestamp().date()
    _replace_month(session, first_day, rows)
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
        chart_file_id=row.chart_file_id,
        rising=card.get("rising"),
    )


def remember_chart(session: Session, card: StoredScorecard, file_id: str) -> None:
    """Record the uploaded chart of ``card``. Recomputing the month replaces its rows, so a
    chart never outlives the figures it was drawn from (bar a recomputation finishing while
    the chart is being drawn)."""
    session.execute(
        update(PartnerScorecard)
        .where(PartnerScorecard.partner_id == card.partner_id, PartnerScorecard.month == card.month)
        .values(chart_file_id=file_id)
    )


def latest_month(session: Session) -> date | None:
    return session.scalar(select(func.max(PartnerScorecard.month)))


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


def month_scorecards(
    session: Session, month: date, partner_ids: Collection[int] | None = None
) -> dict[int, StoredScorecard]:
    """The stored scorecards of ``month`` (all, or those of ``partner_ids``) by partner id: one
    query for digests that show many partners' own cards."""
    stmt = (
        select(PartnerScorecard, Partner)
        .join(Partner, Partner.id == PartnerScorecard.partner_id)
        .where(PartnerScorecard.month == month)
    )
    if partner_ids is not None:
        stmt = stmt.where(PartnerScorecard.partner_id.in_(partner_ids))
    return {row.partner_id: _stored(row, partner) for row, partner in session.execute(stmt)}


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


def rising_scorecards(session: Session, month: date, limit: int) -> list[StoredScorecard]:
    """The rising partners of ``month`` (``insights.rising``), most surprising rise first."""
    stmt = (
        select(PartnerScorecard, Partner)
        .join(Partner, Partner.id == PartnerScorecard.partner_id)
        .where(PartnerScorecard.month == month, PartnerScorecard.rising.is_not(None))
        .order_by(PartnerScorecard.rising.desc(), Partner.name)
        .limit(limit)
    )
    return [_stored(*row) for row in session.execute(stmt).all()]


KINDS = {shown.key: shown.kind for shown in KEY_METRICS}


def _rounded(value: Any, places: int) -> Any:
    return round(value, places) if isinstance(value, float) and math.isfinite(value) else value


def _csv_figure(name: str, value: Any) -> Any:
    """A metric as the CSV shows it: money to the cent, other figures (shares, rates, ratios)
    to four places — not ``1798482.2899999998``."""
    return _rounded(value, 2 if KINDS.get(name) == "money" else 4)


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
                "score": round(card.score, 2),
                "recommended_tier": card.advice.get("recommended"),
                "tier_change": card.advice.get("change"),
                "peer_group": card.peer_group,
                **{name: _csv_figure(name, value) for name, value in card.metrics.items()},
                **{f"percentile_{k}": _rounded(v, 1) for k, v in card.percentiles.items()},
            }
        )
    pd.DataFrame.from_records(records).to_csv(out, index=False)
    return len(records)
