"""``/scorecard`` messages: a partner's card, the leaderboard, and the QBR digest preview.

A card shows one partner's figures only; the leaderboard is for staff (the command refuses it
to partner contacts before anything is rendered). What a partner's own contacts see of a card
or QBR is the program's ``[partner_view]`` (``view``); ``view=None`` is staff's, everything."""

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import Block

from config.program import PartnerView
from insights.metric_display import KEY_METRICS, OPTIONAL_METRICS, Shown, format_metric
from insights.scorecard_store import StoredScorecard
from messages.blocks import (
    Chart,
    Message,
    actions,
    button,
    chart_image,
    code,
    context,
    escape,
    fields,
    plain,
    section,
    when,
)
from messages.deal_messages import Audience, how_to_join
from messages.partner_visible import partner_visible

COMMAND = "/scorecard"
DEALS = "scorecard_deals"
QBR = "scorecard_qbr"

SCORECARD_USAGE: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("", "your partner's scorecard", frozenset({"partner"})),
    ("PARTNER", "a partner's scorecard, by name or id", frozenset({"staff"})),
    ("top [N] [REGION|TIER]", "the leaderboard", frozenset({"staff"})),
    (
        "rising [N]",
        "partners whose deal flow is sharply up, beyond the program's",
        frozenset({"staff"}),
    ),
    ("help", "this help", frozenset({"staff", "partner"})),
)
"""Usage, what it does, and who may use it (``deal_messages.Audience``)."""


def _arrow(now: float | None, before: float | None, higher_is_better: bool = True) -> str:
    if now is None or before is None or math.isnan(now) or math.isnan(before) or now == before:
        return ""
    up = now > before
    good = up == higher_is_better
    return (" ▲" if up else " ▼") + ("" if good else "!")


def _score_line(card: StoredScorecard) -> str:
    trend = ""
    if card.score_previous_month is not None:
        change = card.score - card.score_previous_month
        if abs(change) >= 0.05:
            trend = f" {'▲' if change > 0 else '▼'} {abs(change):.1f} vs last month"
        else:
            trend = " — level with last month"
    return f"Score *{card.score:.1f}*/100{trend}"


def shown_metrics(view: PartnerView | None) -> list[Shown]:
    """The card's metrics its reader may see, in the card's order."""
    return [s for s in KEY_METRICS if view is None or s.key in view.card_metrics]


def shown_highlights(card: StoredScorecard, view: PartnerView | None) -> list[dict[str, Any]]:
    """The card's highlights, less those about a metric its reader may not see."""
    hidden = {s.key for s in KEY_METRICS} - {s.key for s in shown_metrics(view)}
    return [h for h in card.highlights if h.get("metric") not in hidden]


def proposes_moves(view: PartnerView | None) -> bool:
    """Whether the reader sees tier moves recommended but not yet decided by a manager."""
    return view is None or view.tier_advice == "proposed"


def shown_gaps(card: StoredScorecard, view: PartnerView | None) -> list[tuple[str, str, list[str]]]:
    """What tiers still need, for the reader: to keep the current tier says a downgrade is
    proposed, so it is shown only with the moves."""
    if view is not None and view.tier_advice == "none":
        return []
    return [gap for gap in card.tier_gaps() if gap[0] == "reach" or proposes_moves(view)]


def _tier_lines(card: StoredScorecard, view: PartnerView | None) -> list[str]:
    advice = card.advice
    current, recommended = advice.get("current", card.tier), advice.get("recommended", card.tier)
    change = advice.get("change", "stay") if proposes_moves(view) else "unsaid"
    if change == "unsaid":
        lines = [f"*Tier:* {escape(current)}"]
    elif change == "up":
        lines = [f"*Tier:* {escape(current)} → recommended *{escape(recommended)}* ⬆️"]
    elif change == "down":
        approval = " (a manager must approve a downgrade)" if advice.get("needs_approval") else ""
        lines = [f"*Tier:* {escape(current)} → recommended *{escape(recommended)}* ⬇️{approval}"]
    else:
        lines = [f"*Tier:* {escape(current)}, no change recommended"]
    for verb, tier, gaps in shown_gaps(card, view):
        lines.append(f"To {verb} *{escape(tier)}*: " + "; ".join(escape(g) for g in gaps))
    return lines


def card_chart(card: StoredScorecard) -> Chart:
    """The card's 12 months of revenue and pipeline, as drawn for ``/scorecard`` and for the
    partner's quarterly review."""
    series = card.series
    return Chart(
        title=f"{card.name}: revenue and pipeline, last 12 months",
        currency=card.currency,
        labels=tuple(series.get("months") or ()),
        sourced=tuple(series.get("sourced_revenue") or ()),
        influenced=tuple(series.get("influenced_revenue") or ()),
        pipeline=tuple(series.get("open_pipeline") or ()),
        filename=f"scorecard-{card.external_id}-{card.month:%Y-%m}.png",
        alt_text=f"{card.name}: sourced and influenced revenue and open pipeline, last 12 months",
    )


@partner_visible
def scorecard_card(
    card: StoredScorecard,
    view: PartnerView | None,
    chart_file_id: str | None = None,
    *,
    chart_busy: bool = False,
    chart_coming: bool = False,
) -> Message:
    """The card as ``view`` shows it (None: staff), with its chart when ``chart_file_id`` is
    given; ``chart_busy``: the chart could not be drawn just now, and the card says to ask
    again; ``chart_coming``: the card says its chart is being drawn (it replaces this one)."""
    month = card.month.strftime("%B %Y")
    headline = (
        f"*{escape(card.name)}* · {escape(card.tier)} · {escape(card.region)} — {month}\n"
        f"{_score_line(card)} · compared with {escape(card.peer_group)} ({card.peers} partners)"
    )
    figures = []
    for shown in shown_metrics(view):
        value = card.metrics.get(shown.key)
        if value is None and shown.key in OPTIONAL_METRICS:
            continue
        arrow = _arrow(value, card.previous_metrics.get(shown.key), shown.higher_is_better)
        number = format_metric(value, shown.kind, card.currency)
        percentile = card.percentiles.get(shown.weight) if shown.weight else None
        rank = f" · p{percentile:.0f}" if percentile is not None else ""
        figures.append(f"*{shown.label}*\n{number}{arrow}{rank}")
    blocks: list[Block] = [section(headline), fields(figures)]  # fit: ten to a section
    if highlights := shown_highlights(card, view):
        marks = {1: "🔺", -1: "🔻"}
        lines = [
            f"{marks.get(int(h.get('direction', 0)), '•')} {escape(str(h.get('text', '')))}"
            for h in highlights
        ]
        blocks.append(section("\n".join(lines)))
    blocks.append(section("\n".join(_tier_lines(card, view))))
    if chart_file_id:
        blocks.append(chart_image(card_chart(card), chart_file_id))
    partner = str(card.partner_id)
    blocks.append(actions([button("Deals", DEALS, partner), button("QBR digest", QBR, partner)]))
    note = (
        " Many charts are being drawn just now: ask again in a minute for this one."
        if chart_busy
        else " Drawing the 12-month chart…"
        if chart_coming
        else ""
    )
    blocks.append(
        context(
            f"Percentiles within the peer group; {card.currency}. "
            f"Computed {when(card.computed_at)}.{note}"
        )
    )
    return Message(text=f"{escape(card.name)}: score {card.score:.1f}", blocks=blocks)


def no_such_scope(word: str, tiers: Sequence[str]) -> Message:
    """``/scorecard top N WORD`` where WORD is neither a partner's region nor a tier."""
    return plain(
        f"There is no region or tier called {code(word)}. Tiers: "
        f"{', '.join(escape(t) for t in tiers)}; a region as the partners file names it."
    )


def leaderboard(title: str, cards: Sequence[StoredScorecard]) -> Message:
    if not cards:
        return plain(
            f"{escape(title)}: no scorecards yet. They are computed nightly (`partnerbot score`)."
        )
    lines = []
    for rank, card in enumerate(cards, start=1):
        arrow = _arrow(card.score, card.score_previous_month)
        lines.append(
            f"{rank}. *{escape(card.name)}* · {escape(card.tier)} · {escape(card.region)} — "
            f"{card.score:.1f}{arrow}"
        )
    blocks: list[Block] = [section(f"*{escape(title)}*")]
    blocks += [section("\n".join(lines[i : i + 10])) for i in range(0, len(lines), 10)]
    return Message(text=escape(title), blocks=blocks)


def rising_list(cards: Sequence[StoredScorecard], month: date | None) -> Message:
    """The month's rising partners with why each is rising (staff only: it names partners)."""
    if month is None:
        return plain("No scorecards yet. They are computed nightly (`partnerbot score`).")
    title = f"Rising partners · {month:%B %Y}"
    if not cards:
        return plain(
            f"{title}: no partner's deal flow rose sharply beyond the program's. Rising means "
            "registrations and won revenue both well up on the partner's own months before, "
            "for months, not one burst."
        )
    blocks: list[Block] = [section(f"*{title}*")]
    for card in cards:
        why = "\n".join(f"• {escape(reason)}" for reason in card.rising or [])
        blocks.append(
            section(f"*{escape(card.name)}* · {escape(card.tier)} · {escape(card.region)}\n{why}")
        )
    return Message(text=title, blocks=blocks)


@partner_visible
def scorecard_help(audience: Audience) -> Message:
    """The forms ``audience`` may use; to someone not known yet, how to get access."""
    lines = how_to_join(audience) or "\n".join(
        f"`{COMMAND}{' ' + usage if usage else ''}`  {what}"
        for usage, what, who in SCORECARD_USAGE
        if audience in who
    )
    return Message(text=f"{COMMAND} usage", blocks=[section(f"*{COMMAND}*\n{lines}")])


@partner_visible
def scorecard_usage_error(problem: str, audience: Audience) -> Message:
    return Message(
        text=f"{COMMAND}: {problem}",
        blocks=[section(problem), *scorecard_help(audience).blocks],
    )


@partner_visible
def slow_down(wait_seconds: int) -> Message:
    return plain(f"That is a lot of scorecards in a minute: try again in {wait_seconds} s.")


@partner_visible
def own_only() -> Message:
    return plain(f"You can see your own partner's scorecard: try `{COMMAND}`.")


@partner_visible
def no_scorecard(name: str, as_of: date | None = None) -> Message:
    when = f" for {as_of:%B %Y}" if as_of else ""
    return plain(f"No scorecard{when} for {code(name)} yet: it has no history to score.")
