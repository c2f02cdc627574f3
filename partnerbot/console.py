"""Terminal rendering with rich: the program overview, import reports, registration checks
and scorecards."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from sqlalchemy import Row

from ingest import ImportResult
from insights.metric_display import KEY_METRICS, OPTIONAL_METRICS, format_metric
from insights.overview import Overview
from insights.scorecard_store import StoredScorecard
from partnerbot.doctor import Check


def money(value: Decimal, currency: str) -> str:
    return f"{currency} {value:,.0f}"


def import_line(result: ImportResult) -> str:
    return (
        f"{result.kind}: {result.rows:,} rows — {result.inserted:,} new, "
        f"{result.updated:,} updated, {result.unchanged:,} unchanged"
    )


def overview_panel(overview: Overview, program_name: str) -> Panel:
    tiers = sorted({tier for tier, _ in overview.by_tier_region})
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
        quarters.add_row(q.quarter, f"{q.won:,.0f}", f"{q.deals:,}", f"[cyan]{bar}[/]")

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
            money(r.amount, r.currency),
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
    gaps = advice.get("gaps") or []
    lines = [
        f"[bold]score {card.score:.1f}[/]{trend} · {tier} · vs {card.peer_group} ({card.peers})",
        *(f"• {h.get('text', '')}" for h in card.highlights),
    ]
    if advice.get("next_tier") and gaps:
        lines.append(f"to reach {advice['next_tier']}: " + "; ".join(str(g) for g in gaps))
    title = f"[bold]{card.name}[/] · {card.tier} · {card.region} — {card.month:%B %Y}"
    return Panel(Group(*lines, "", table), title=title, title_align="left")


def checks_table(checks: Sequence[Check]) -> Table:
    """``partnerbot doctor``'s findings, a line each, with what to do about each problem."""
    table = Table(title="partnerbot doctor", title_justify="left")
    for name in ("", "check", "found", "fix"):
        table.add_column(name)
    for check in checks:
        mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
        table.add_row(mark, check.name, check.found, check.fix)
    return table


def make_console(stderr: bool = False) -> Console:
    return Console(highlight=False, stderr=stderr)
