"""Digest messages: the weekly leadership digest and partners' quarterly business reviews,
from ``templates/weekly_digest.j2`` and ``templates/qbr_digest.j2`` (see
:mod:`messages.templating` for how a template becomes Block Kit within Slack's limits).
Lists are cut to ``LISTED`` entries with the rest counted, so a digest stays a digest at any
program size.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from slack_sdk.models.blocks import Block
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.program import Program
from insights.digests import (
    MOVER_WEEKS,
    TREND_WEEKS,
    Compared,
    Period,
    QbrDigest,
    WeeklyDigest,
    last_complete,
    qbr_digests,
)
from insights.metric_display import KEY_METRICS, OPTIONAL_METRICS, format_metric
from insights.scorecard_store import StoredScorecard
from messages.blocks import Chart, Message, with_chart
from messages.scorecard_messages import card_chart
from messages.templating import render
from models import OutboxMessage

LISTED = 10
MAX_REASONS = 3
MAX_REASON = 200
"""Longest risk reason, highlight or tier gap shown."""
LIMITS = {"listed": LISTED, "max_reasons": MAX_REASONS, "max_reason": MAX_REASON}


def _change(now: float, before: float) -> str:
    if before == 0:
        return "no change" if now == 0 else "▲ from 0"
    share = now / before - 1
    if abs(share) < 0.005:
        return "level"
    return f"{'▲' if share > 0 else '▼'} {abs(share):.0%}"


def _helpers(period: Period, currency: str) -> dict[str, Callable[..., str]]:
    """The helpers that depend on the digest: its currency and the period compared with."""

    def money(value: float | None) -> str:
        return format_metric(value, "money", currency)

    def figure(label: str, value: str, compared: Compared) -> str:
        return (
            f"*{label}*\n{value}\n{_change(compared.now, compared.previous)} vs last "
            f"{period.kind} · {_change(compared.now, compared.year_ago)} vs a year ago"
        )

    return {"money": money, "figure": figure}


def weekly_chart(digest: WeeklyDigest) -> Chart:
    return Chart(
        title=f"{digest.program}: partner revenue and pipeline, last {TREND_WEEKS} weeks",
        currency=digest.currency,
        labels=tuple(f"W{w.week.label[-2:]}" for w in digest.trend),
        sourced=tuple(w.sourced for w in digest.trend),
        influenced=tuple(w.influenced for w in digest.trend),
        pipeline=tuple(w.pipeline for w in digest.trend),
        filename=f"weekly-digest-{digest.week.label}.png",
        alt_text=f"Partner-sourced and influenced revenue per week and open pipeline at each "
        f"week's end, the {TREND_WEEKS} weeks to {digest.week.label}",
    )


def weekly_messages(digest: WeeklyDigest) -> list[Message]:
    """The leadership digest as Slack messages (one, unless it outgrows 50 blocks)."""
    return render(
        "weekly_digest.j2",
        chart=weekly_chart(digest) if digest.trend else None,
        d=digest,
        mover_weeks=MOVER_WEEKS,
        **LIMITS,
        **_helpers(digest.week, digest.currency),
    )


@dataclass(frozen=True)
class _MetricRow:
    label: str
    value: str
    percentile: int | None


def _metric_rows(card: StoredScorecard) -> list[_MetricRow]:
    """The scorecard's weighted metrics with the partner's percentile among its peers. The
    others are left out: the month's figures would muddle a quarter's review, and the share of
    program revenue gives away the program's total (in a small program, the peers' figures)."""
    rows = []
    for shown in KEY_METRICS:
        value = card.metrics.get(shown.key)
        if shown.weight is None or (value is None and shown.key in OPTIONAL_METRICS):
            continue
        percentile = card.percentiles.get(shown.weight)
        number = format_metric(value, shown.kind, card.currency)
        rows.append(
            _MetricRow(shown.label, number, None if percentile is None else round(percentile))
        )
    return rows


def _qbr_chart(digest: QbrDigest) -> Chart | None:
    """The 12 months to the quarter's end, from the quarter's scorecard."""
    card = digest.scorecard
    if card is None or not card.series.get("months"):
        return None
    filename = f"qbr-{digest.quarter.label}-{card.external_id}.png"
    return replace(card_chart(card), filename=filename)


def qbr_messages(digest: QbrDigest) -> list[Message]:
    """A partner's quarterly business review as Slack messages, for its own channel."""
    return render(
        "qbr_digest.j2",
        chart=_qbr_chart(digest),
        d=digest,
        metrics=_metric_rows(digest.scorecard) if digest.scorecard else [],
        **LIMITS,
        **_helpers(digest.quarter, digest.currency),
    )


WEEKLY = "weekly_digest"
QBR = "qbr_digest"
"""Outbox kinds of the two digests."""


def weekly_key(week: Period) -> str:
    return f"weekly:{week.label}"


def qbr_key(quarter: Period, partner_id: int) -> str:
    return f"qbr:{quarter.label}:{partner_id}"


def partner_qbr(session: Session, program: Program, today: date, partner_id: int) -> Message | None:
    """A partner's business review of the last complete quarter before ``today``, as the
    worker posted it (its first message, with its chart once uploaded) when it has — read back
    from the outbox, a lookup — else computed now, without the chart (the ``/scorecard`` card
    it is asked from shows the same one); None for a partner with nothing to review."""
    quarter = last_complete("quarter", today)
    posted = session.scalar(
        select(OutboxMessage).where(OutboxMessage.key == qbr_key(quarter, partner_id))
    )
    if posted is not None:
        text, blocks = posted.text, with_chart(posted.blocks, posted.chart_file_id)
    else:
        found = qbr_digests(session, program, quarter, [partner_id])
        if not found:
            return None
        first = qbr_messages(found[0])[0]
        text, blocks = first.text, with_chart([b.to_dict() for b in first.blocks], None)
    return Message(text, [b for block in blocks if (b := Block.parse(block))])
