"""Terminal rendering with rich: the program overview, import reports, registration checks,
scorecards and Slack messages (digests). Light to import: every command prints through it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from insights.metric_display import KEY_METRICS, OPTIONAL_METRICS, format_metric, money

if TYPE_CHECKING:  # only named in signatures: importing them would load the whole domain
    from sqlalchemy import Row

    from ingest import ImportResult
    from insights.alert_store import FeedbackTally
    from insights.overview import Overview
    from insights.risk_scoring import RiskAssessment
    from insights.scorecard_store import StoredScorecard
    from partnerbot.doctor import Check

BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


def import_line(result: ImportResult) -> str:
    repeated = (
        f" ({result.repeated:,} line{'s' if result.repeated != 1 else ''} repeating an earlier "
        "one left out)"
        if result.repeated
        else ""
    )
    return (
        f"{result.kind}: {result.rows:,} rows{repeated} — {result.inserted:,} new, "
        f"{result.updated:,} updated, {result.unchanged:,} unchanged"
    )


def overview_panel(overview: Overview, program_name: str, tier_order: Sequence[str]) -> Panel:
    """The program at a glance; tiers in the program's order (``tier_order``, entry level
    first), any tier it does not name after them."""
    present = {tier for tier, _ in overview.by_tier_region}
    tiers = [t for t in tier_order if t in present] + sorted(present - set(tier_order))
    regions = sorted({region for _, region in overview.by_tier_region})
    mix = Table(title="Partners by tier and region", title_justify="left")
    mix.add_column("tier")
    for region in regions:
        mix.add_column(region, justify="right")
    mix.add_column("total", justify="right", style="bold")
    for tier in tiers:
        counts = [overview.by_tier_region.get((tier, region), 0) for region in regions]
        mix.add_row(tier, *map(str, counts), str(sum(counts)))

    quarters = Table(title=f"Won revenue by quarter ({overview.currency})", title_justify="left")
    quarters.add_column("quarter")
    quarters.add_column("revenue", justify="right")
    quarters.add_column("deals won", justify="right")
    peak = max((q.won for q in overview.quarters), default=Decimal(0)) or Decimal(1)
    quarters.add_column("")
    for q in overview.quarters:
        bar = "█" * round(20 * q.won / peak)
        quarters.add_row(q.quarter, money(q.won, ""), f"{q.deals:,}", f"[cyan]{bar}[/]")

    leaders = Table(title="Top partners, won revenue in the last 12 months", title_justify="left")
    for name, justify in [
        ("#", "right"),
        ("partner", "left"),
        ("tier", "left"),
        ("region", "left"),
        ("revenue", "right"),
        ("won", "right"),
    ]:
        leaders.add_column(name, justify=justify)  # type: ignore[arg-type]
    for rank, p in enumerate(overview.top_partners, 1):
        leaders.add_row(
            str(rank),
            f"{p.name} ({p.partner_id})",
            p.tier,
            p.region,
            money(p.revenue, overview.currency),
            str(p.deals),
        )

    recent = Table(title="Recent registrations", title_justify="left")
    for name in ("deal", "registered (UTC)", "partner", "account", "amount", "status"):
        recent.add_column(name, justify="right" if name == "amount" else "left")
    for r in overview.recent:
        recent.add_row(
            r.deal_id,
            f"{r.registered_at:%Y-%m-%d %H:%M}",
            r.partner,
            r.account,
            money(r.amount, r.currency, cents=True),
            str(r.status),
        )

    title = (
        f"[bold]{program_name}[/] — {overview.partners:,} partners, "
        f"{overview.deals:,} registrations, as of {overview.as_of}"
    )
    return Panel(Group(mix, "", quarters, "", leaders, "", recent), title=title, title_align="left")


def matches_table(title: str, rows: Sequence[Row[Any]], partners: dict[int, str]) -> Table:
    """Active registrations that name the same company, as ``partnerbot deals check`` finds
    them (rows of :func:`deals.registration.active_matches`)."""
    table = Table(title=title, title_justify="left")
    for name in ("deal", "registered (UTC)", "partner", "account", "domain", "status"):
        table.add_column(name)
    for row in rows:
        table.add_row(
            row.external_id,
            f"{row.registered_at:%Y-%m-%d %H:%M}",
            partners.get(row.partner_id, str(row.partner_id)),
            row.name,
            row.domain or "",
            str(row.status),
        )
    return table


def scorecard_panel(card: StoredScorecard) -> Panel:
    """The ``/scorecard`` card for the terminal: the same figures, highlights and advice."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("percentile", justify="right", style="dim")
    for shown in KEY_METRICS:
        value = card.metrics.get(shown.key)
        if value is None and shown.key in OPTIONAL_METRICS:
            continue
        percentile = card.percentiles.get(shown.weight) if shown.weight else None
        table.add_row(
            shown.label,
            format_metric(value, shown.kind, card.currency),
            f"p{percentile:.0f}" if percentile is not None else "",
        )
    trend = ""
    if card.score_previous_month is not None:
        trend = f" ({card.score - card.score_previous_month:+.1f} vs last month)"
    advice = card.advice
    tier = f"tier {advice.get('current', card.tier)}"
    if advice.get("change") in {"up", "down"}:
        tier += f" → recommended {advice.get('recommended')}"
    lines = [
        f"[bold]score {card.score:.1f}[/]{trend} · {tier} · vs {card.peer_group} ({card.peers})",
        *(f"• {h.get('text', '')}" for h in card.highlights),
    ]
    lines += [f"to {verb} {tier}: " + "; ".join(needs) for verb, tier, needs in card.tier_gaps()]
    title = f"[bold]{card.name}[/] · {card.tier} · {card.region} — {card.month:%B %Y}"
    return Panel(Group(*lines, "", table), title=title, title_align="left")


def _mrkdwn(text: str) -> str:
    """Slack mrkdwn as rich markup: entities decoded, ``*bold*`` in bold."""
    plain = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return BOLD.sub(r"[bold]\1[/bold]", escape(plain))


def message_panel(title: str, blocks: Sequence[dict[str, Any]]) -> Panel:
    """A Slack message's blocks as the terminal can show them: what ``partnerbot digest``
    would post, and where."""
    parts: list[RenderableType] = []
    for block in blocks:
        kind = block["type"]
        if kind == "header":
            parts.append(Text(block["text"]["text"], style="bold"))
        elif kind == "divider":
            parts.append(Rule(style="dim"))
        elif kind == "context":
            parts += [f"[dim]{_mrkdwn(e['text'])}[/dim]" for e in block["elements"]]
        elif "fields" in block:
            grid = Table.grid(padding=(0, 4))
            cells = [_mrkdwn(field["text"]) for field in block["fields"]]
            for start in range(0, len(cells), 2):
                grid.add_row(*cells[start : start + 2])
            parts.append(grid)
        elif "text" in block:
            parts.append(_mrkdwn(block["text"]["text"]))
        elif kind == "image":
            parts.append(f"[dim]▨ chart: {escape(block['title']['text'])}[/dim]")
    return Panel(Group(*parts), title=escape(title), title_align="left")


def checks_table(checks: Sequence[Check]) -> Table:
    """``partnerbot doctor``'s findings, a line each, with what to do about each problem."""
    table = Table(title="partnerbot doctor", title_justify="left")
    for name in ("", "check", "found", "fix"):
        table.add_column(name)
    for check in checks:
        mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
        table.add_row(mark, check.name, check.found, check.fix)
    return table


def risk_summary(assessment: RiskAssessment, names: Any, top: int = 5) -> Table:
    """The riskiest partners with their reasons, under a title saying how they were scored
    (the model and its validation, or the heuristic and why)."""
    card = assessment.card
    bands = assessment.scores["risk_band"].value_counts()
    if card.get("method") == "model":
        how = f"{card['family']} model, {card['training']['rows']:,} training rows"
    else:
        how = f"heuristic ({card.get('fallback_reason')})"
    table = Table(
        title=f"At risk as of {assessment.as_of}: {bands.get('high', 0):,} high, "
        f"{bands.get('medium', 0):,} medium, {bands.get('low', 0):,} low — {how}",
        title_justify="left",
    )
    table.add_column("partner")
    table.add_column("risk", justify="right")
    table.add_column("why")
    riskiest = assessment.scores.sort_values("risk", ascending=False, kind="stable").head(top)
    for partner, row in riskiest.iterrows():
        why = "; ".join(row["top_factors"])
        if row["drift_flags"]:
            why += f" (+{len(row['drift_flags'])} drift flag(s))"
        table.add_row(escape(str(names.get(partner, partner))), f"{row['risk']:.0%}", escape(why))
    return table


def backtest_table(results: Any, horizon_days: int) -> Table:
    """Each method's figures per back-test date and on average, best model first."""
    families = ", ".join(sorted(set(results["model"])))
    table = Table(
        title=f"At-risk back-test: label over the {horizon_days} days after each date "
        f"(model chosen: {families})",
        title_justify="left",
    )
    for column in ("as of", "method", "partners", "positive", "ROC-AUC", "avg. precision"):
        table.add_column(column, justify="left" if column == "method" else "right")
    table.add_column("prec. top 10 %", justify="right")
    for row in results.itertuples(index=False):
        table.add_row(
            str(row.as_of),
            row.method,
            f"{row.n:,}",
            f"{row.base_rate:.0%}",
            f"{row.roc_auc:.3f}",
            f"{row.average_precision:.3f}",
            f"{row.precision_top10:.3f}",
        )
    means = results.groupby("method", sort=False)[
        ["roc_auc", "average_precision", "precision_top10"]
    ].mean()
    for method, row in means.iterrows():
        table.add_row(
            "mean", str(method), "", "", f"{row.roc_auc:.3f}",
            f"{row.average_precision:.3f}", f"{row.precision_top10:.3f}",
        )  # fmt: skip
    return table


def make_console(stderr: bool = False) -> Console:
    return Console(highlight=False, stderr=stderr)


def feedback_table(tallies: Sequence[FeedbackTally]) -> Table:
    """Managers' answers to the alerts, per condition, with the share they kept."""
    table = Table(
        title="Managers' feedback on alerts (kept: acknowledged or snoozed, of those answered)",
        title_justify="left",
    )
    for column in ("condition", "raised", "acknowledged", "snoozed", "not a problem", "kept"):
        table.add_column(column, justify="left" if column == "condition" else "right")
    for t in tallies:
        kept = "—" if t.confirmed is None else f"{t.confirmed:.0%}"
        table.add_row(
            escape(t.condition),
            f"{t.raised:,}",
            f"{t.acknowledged:,}",
            f"{t.snoozed:,}",
            f"{t.dismissed:,}",
            kept,
        )
    return table
