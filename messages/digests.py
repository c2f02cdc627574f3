"""Digest messages: the weekly leadership digest and partners' quarterly business reviews.
Lists are cut to ``LISTED`` entries with the rest counted, so a digest stays a digest at any
program size; :func:`messages.blocks.fit` splits one that still outgrows a message.
"""

from dataclasses import dataclass, replace
from datetime import date
from typing import get_args

from slack_sdk.models.blocks import Block
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.program import CardMetric, PartnerView, Program
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
from insights.metric_display import OPTIONAL_METRICS, format_metric, money
from insights.scorecard_store import StoredScorecard
from messages.blocks import (
    Chart,
    Message,
    chart_image,
    context,
    divider,
    esc,
    escape,
    fields,
    fit,
    header,
    plain,
    section,
    with_chart,
)
from messages.partner_visible import partner_visible
from messages.scorecard_messages import (
    card_chart,
    proposes_moves,
    shown_gaps,
    shown_highlights,
    shown_metrics,
)
from models import OutboxMessage

LISTED = 10
MAX_REASONS = 3
MAX_REASON = 200
"""Longest risk reason, highlight or tier gap shown."""


def _change(now: float, before: float) -> str:
    if before == 0:
        return "no change" if now == 0 else "▲ from 0"
    share = now / before - 1
    if abs(share) < 0.005:
        return "level"
    return f"{'▲' if share > 0 else '▼'} {abs(share):.0%}"


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _percent(value: float | None) -> str:
    return format_metric(value, "percent", "")


def _figure(label: str, value: str, compared: Compared, period: Period) -> str:
    return (
        f"*{label}*\n{value}\n{_change(compared.now, compared.previous)} vs last "
        f"{period.kind} · {_change(compared.now, compared.year_ago)} vs a year ago"
    )


def _dates(period: Period) -> str:
    return f"{period.start:%-d %b}–{period.end:%-d %b %Y}"


def _more(hidden: int, what: str = "") -> list[str]:
    """The line counting what a list cut to ``LISTED`` leaves out, if it leaves out any."""
    return [f"…and {hidden} more{what}."] if hidden > 0 else []


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


def _movers(digest: WeeklyDigest) -> list[str]:
    def amount(value: float) -> str:
        return money(value, digest.currency)

    lines = [f"*Top movers* — won revenue, last {MOVER_WEEKS} weeks vs the {MOVER_WEEKS} before"]
    lines += [
        f"🔺 *{esc(m.name)}* ({esc(m.tier)}) {amount(m.now)}, up {amount(m.now - m.before)}"
        for m in digest.movers_up
    ]
    lines += [
        f"🔻 *{esc(m.name)}* ({esc(m.tier)}) {amount(m.now)}, down {amount(m.before - m.now)}"
        for m in digest.movers_down
    ]
    if not digest.movers_up and not digest.movers_down:
        lines.append("No partner's won revenue moved.")
    return lines


def _rising(digest: WeeklyDigest) -> list[str]:
    if digest.tier_month is None:
        return []
    title = f"*Rising* — deal flow sharply up beyond the program's ({digest.tier_month:%B %Y})"
    if not digest.rising:
        return [title, "No partner is rising this month."]
    return [title] + [
        f"📈 *{esc(r.name)}* ({esc(r.tier)}): "
        + "; ".join(esc(reason, MAX_REASON) for reason in r.reasons)
        for r in digest.rising
    ]


def _at_risk(digest: WeeklyDigest) -> list[str]:
    at_risk, threshold = digest.at_risk, _percent(digest.risk_threshold)
    if digest.risk_as_of is None:
        return ["*At risk* — no risk scores yet: the nightly risk run writes them."]
    bar = f"at or above {threshold} and as likely to go quiet"
    if not at_risk:
        return [f"*At risk* — no partner {bar} (scores of {digest.risk_as_of})."]
    new = sum(1 for a in at_risk if a.new)
    lines = [
        f"*At risk* — {_count(len(at_risk))} partner{'s' if len(at_risk) != 1 else ''} {bar} "
        f"(scores of {digest.risk_as_of}{f', {new} new this week' if new else ''})"
    ]
    for a in at_risk[:LISTED]:
        reasons = "; ".join(esc(r, MAX_REASON) for r in a.reasons[:MAX_REASONS])
        lines.append(
            f"• *{esc(a.name)}* ({esc(a.tier)}) "
            f"{f'{_percent(a.risk)} {esc(a.band)}' if a.modelled else f'{esc(a.band)}, rule-based'}"
            f"{' · 🆕' if a.new else ''}{f': {reasons}' if a.reasons else ''}"
        )
    return lines + _more(len(at_risk) - LISTED)


def _tier_changes(digest: WeeklyDigest) -> list[str]:
    if digest.tier_month is None:
        return [
            "*Tier changes* — no scorecards yet: `partnerbot score` or the nightly run "
            "computes them."
        ]
    month = f"{digest.tier_month:%B %Y}"
    if not digest.tier_changes:
        return [f"*Tier changes* — none proposed by the scorecards of {month}."]
    ups = [c for c in digest.tier_changes if c.direction == "up"]
    downs = [c for c in digest.tier_changes if c.direction == "down"]
    lines = [
        f"*Tier changes proposed* by the scorecards of {month}: {len(ups)} up, {len(downs)} down"
    ]
    lines += [f"⬆️ *{esc(c.name)}* {esc(c.current)} → {esc(c.recommended)}" for c in ups[:LISTED]]
    lines += _more(len(ups) - LISTED, " up")
    lines += [
        f"⬇️ *{esc(c.name)}* {esc(c.current)} → {esc(c.recommended)}"
        f"{' (needs approval)' if c.needs_approval else ''}"
        for c in downs[:LISTED]
    ]
    return lines + _more(len(downs) - LISTED, " down")


def _undelivered(digest: WeeklyDigest) -> list[str]:
    if not digest.undelivered:
        return []
    total = _count(sum(u.messages for u in digest.undelivered))
    return [
        f"*Undelivered messages* — {total} refused by Slack and not yet sent again",
        *(
            f"• {_count(u.messages)} {esc(u.kind)}: `{esc(u.error)}`"
            for u in digest.undelivered[:LISTED]
        ),
    ]


def weekly_messages(digest: WeeklyDigest) -> list[Message]:
    """The leadership digest as Slack messages (one, unless it outgrows 50 blocks)."""
    week, r, currency = digest.week, digest.registrations, digest.currency
    chart = weekly_chart(digest) if digest.trend else None

    def figure(label: str, value: str, compared: Compared) -> str:
        return _figure(label, value, compared, week)

    blocks = [
        header(f"{digest.program} · week {week.label}"),
        context(
            f"{_dates(week)} · amounts in {currency} · compared with the week before and with "
            f"{week.year_before.label}"
        ),
        fields(
            [
                figure("Won revenue", money(digest.revenue.now, currency), digest.revenue),
                figure("Open pipeline", money(digest.pipeline.now, currency), digest.pipeline),
                figure("Partner-sourced", money(digest.sourced.now, currency), digest.sourced),
                figure(
                    "Partner-influenced", money(digest.influenced.now, currency), digest.influenced
                ),
                figure("Deals won", _count(digest.deals_won.now), digest.deals_won),
                figure("Registrations", _count(r.received.now), r.received),
            ]
        ),
        section(
            f"*Registrations:* {_count(r.received.now)} received this week "
            f"({money(r.amount, currency)}), {_count(r.conflicts) if r.conflicts else 'none'} "
            f"of them in channel conflict. Awaiting a decision now: {_count(r.pending)} pending, "
            f"{_count(r.open_conflicts)} in conflict."
        ),
        *([chart_image(chart)] if chart else []),
        divider(),
        *(
            section("\n".join(lines))
            for lines in (
                _movers(digest),
                _rising(digest),
                _at_risk(digest),
                _tier_changes(digest),
                _undelivered(digest),
            )
        ),
    ]
    return fit(Message("", blocks, chart))


@dataclass(frozen=True)
class _MetricRow:
    label: str
    value: str
    percentile: int | None


def _metric_rows(card: StoredScorecard, view: PartnerView) -> list[_MetricRow]:
    """The scorecard's weighted metrics the partner view shows, with the partner's percentile
    among its peers. The others are left out: the month's figures would muddle a quarter's
    review."""
    rows = []
    for shown in shown_metrics(view):
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


def _wins(digest: QbrDigest) -> list[str]:
    if not digest.wins:
        pipeline = money(digest.pipeline.now, digest.currency)
        return [f"*Wins this quarter* — none closed yet; your open pipeline is {pipeline}."]
    shown = len(digest.wins)
    largest = f" — the largest {shown}" if digest.deals_won > shown else ""
    return [
        f"*Wins this quarter*{largest}",
        *(
            f"• *{esc(w.account)}* {money(w.amount, digest.currency)}"
            f"{f' · {esc(w.product)}' if w.product else ''} · closed {w.closed_at:%-d %b}"
            for w in digest.wins
        ),
    ]


def _scorecard(card: StoredScorecard, view: PartnerView) -> list[str]:
    arrows = {1: "🔺", -1: "🔻"}
    return [
        f"*Your scorecard* for {card.month:%B %Y} — percentiles against {card.peers} peers "
        f"({esc(card.peer_group)}), 100 is the best",
        *(
            f"• {row.label}: {row.value}"
            f"{f' · p{row.percentile}' if row.percentile is not None else ''}"
            for row in _metric_rows(card, view)
        ),
        *(
            f"{arrows.get(h['direction'], '•')} {esc(h['text'], MAX_REASON)}"
            for h in shown_highlights(card, view)
        ),
    ]


def _tier(card: StoredScorecard, view: PartnerView) -> list[str]:
    advice = card.advice
    if advice["change"] == "up" and proposes_moves(view):
        return [
            f"*Tier:* the numbers support moving up from {esc(advice['current'])} to "
            f"*{esc(advice['recommended'])}* ⬆️ — your partner manager will confirm."
        ]
    if gaps := shown_gaps(card, view):
        return [
            f"*To {verb} {esc(tier)}:* {'; '.join(esc(n, MAX_REASON) for n in needs)}."
            for verb, tier, needs in gaps
        ]
    if advice.get("next_tier") and proposes_moves(view):
        return [
            f"*Tier:* you meet every threshold of {esc(advice['next_tier'])}; the next review "
            "will confirm it."
        ]
    if advice.get("next_tier"):
        return [f"*Tier:* {esc(advice['current'])}."]
    return [f"*Tier:* {esc(advice['current'])}, the program's top tier."]


@partner_visible
def qbr_messages(digest: QbrDigest, view: PartnerView) -> list[Message]:
    """A partner's quarterly business review as Slack messages, for its own channel: the
    sections ``view`` (the program's ``[partner_view]``) shows, as it shows them."""
    quarter, card = digest.quarter, digest.scorecard
    chart = _qbr_chart(digest) if "chart" in view.qbr_sections else None

    def amount(value: float | None) -> str:
        return money(value, digest.currency)

    def figure(label: str, compared: Compared) -> str:
        return _figure(label, amount(compared.now), compared, quarter)

    target = (
        f"{amount(digest.target)}\n{_percent(digest.attainment)} reached"
        if digest.target
        else "none set"
    )
    score = f"{card.score:.1f}/100 ({card.month:%B})" if card else "not scored yet"
    sections: dict[str, list[Block]] = {
        "figures": [
            fields(
                [
                    figure("Sourced revenue", digest.sourced),
                    f"*Quarterly target*\n{target}",
                    figure("Influenced revenue", digest.influenced),
                    figure("Open pipeline at quarter end", digest.pipeline),
                    f"*Deals won*\n{_count(digest.deals_won)} · win rate "
                    f"{_percent(digest.win_rate)}\naverage {amount(digest.avg_deal_size)}",
                    f"*Registrations*\n{_count(digest.registrations)} this quarter",
                    f"*Certifications*\n{_count(digest.certifications)} held, "
                    f"{_count(digest.new_certifications)} new this quarter",
                    f"*Score*\n{score}",
                ]
            )
        ],
        "wins": [section("\n".join(_wins(digest)))],
        "chart": [chart_image(chart)] if chart else [],
        "scorecard": [section("\n".join(_scorecard(card, view)))] if card else [],
        "tier": [section("\n".join(_tier(card, view)))] if card else [],
    }
    blocks = [
        header(f"{digest.name} · {quarter.label} business review"),
        context(
            f"{_dates(quarter)} · tier {esc(digest.tier)} · amounts in {digest.currency} · "
            f"compared with the quarter before and with {quarter.year_before.label}"
        ),
        *(block for name, part in sections.items() if name in view.qbr_sections for block in part),
    ]
    return fit(Message("", blocks, chart))


WEEKLY = "weekly_digest"
QBR = "qbr_digest"
"""Outbox kinds of the two digests."""


def weekly_key(week: Period) -> str:
    return f"weekly:{week.label}"


def qbr_key(quarter: Period, partner_id: int) -> str:
    return f"qbr:{quarter.label}:{partner_id}"


@partner_visible
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
        first = qbr_messages(found[0], program.partner_view)[0]
        text, blocks = first.text, with_chart([b.to_dict() for b in first.blocks], None)
    return Message(text, [b for block in blocks if (b := Block.parse(block))])


# --- /digest: the latest digests on demand ----------------------------------------------------

DIGEST_COMMAND = "/digest"

STAFF_VIEW = PartnerView(card_metrics=frozenset(get_args(CardMetric)), tier_advice="proposed")
"""What staff see of a QBR they ask for (``/digest qbr PARTNER``): every section and metric,
and the tier move the scores recommend, whatever the program's ``[partner_view]`` hides."""


@partner_visible
def digest_help(problem: str | None = None) -> Message:
    """``/digest help``, after ``problem`` with what was typed when there is one."""
    lines = [
        f"`{DIGEST_COMMAND}` — leadership: last week's digest; partner contacts: your last "
        "quarter's business review",
        f"`{DIGEST_COMMAND} qbr PARTNER` — partner managers and leadership: that partner's last "
        "quarter's business review",
        "Only whole weeks and quarters: the one under way is not over yet.",
    ]
    return plain("\n".join([problem, *lines] if problem else lines))


@partner_visible
def digest_own_only() -> Message:
    return plain(f"You can see your own partner's business review: try `{DIGEST_COMMAND}`.")


@partner_visible
def no_review(quarter: Period) -> Message:
    return plain(f"No business review for {quarter.label} ({_dates(quarter)}) yet.")


def leadership_only() -> Message:
    """What a partner manager is told on asking for the weekly digest."""
    return plain(
        "The weekly digest is for leadership. "
        f"`{DIGEST_COMMAND} qbr PARTNER` shows a partner's last quarter's business review."
    )


def digest_sent(what: str, fresh: bool) -> Message:
    """The answer once a digest went to the asker's direct messages (``fresh``), or had gone
    there before."""
    shown = escape(what)  # it names a partner
    if fresh:
        return plain(f"📬 {shown} is in your direct messages with me.")
    return plain(f"📬 I sent you {shown} earlier: it is in your direct messages with me.")
