"""``digest weekly`` and ``digest qbr``: render a period's digests in the terminal and queue them
exactly as the worker's digest jobs do (:mod:`jobs.digests`), for a chosen period."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from partnerbot.cli.context import Context, console, fail, find_partner, pass_context

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from insights.digests import Period
    from jobs.digests import DigestReport, RenderedDigest


@click.group()
def digest() -> None:
    """The weekly leadership digest and partners' quarterly business reviews."""


def _period(
    ctx: Context, text: str | None, kind: Literal["week", "quarter"], *, dry_run: bool
) -> Period:
    """The period ``text`` names (default: the last complete one). One that has not ended is
    refused unless ``dry_run``: queued, its partial digest would go out as if final and block
    the real one, which is queued once per period."""
    from insights.digests import last_complete, parse_period

    if text is None:
        return last_complete(kind, ctx.today)
    try:
        period = parse_period(text)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    if period.kind != kind:
        raise click.BadParameter(f"{text!r} is not a {kind}")
    if period.end >= ctx.today and not dry_run:
        fail(
            f"{period.label} has not ended (its last day is {period.end}): it can only be "
            "previewed with --dry-run; nothing queued.",
            2,
        )
    return period


def _shown(
    digests: Iterable[RenderedDigest],
    title: Callable[[RenderedDigest], str],
    charts: Path | None,
) -> Iterator[RenderedDigest]:
    """``digests`` as they pass, each printed as panels under its ``title``; with ``charts``,
    their charts drawn into that folder."""
    from messages.charts import revenue_chart
    from partnerbot.console import message_panel

    for digest in digests:
        count = len(digest.messages)
        for part, message in enumerate(digest.messages, start=1):
            of = f" ({part}/{count})" if count > 1 else ""
            console.print(message_panel(title(digest) + of, [b.to_dict() for b in message.blocks]))
            if charts is not None and message.chart is not None:
                charts.mkdir(parents=True, exist_ok=True)
                drawn = charts / message.chart.filename
                drawn.write_bytes(revenue_chart(message.chart))
                console.print(f"chart drawn to {drawn}")
        yield digest


CHARTS_OPTION = click.option(
    "--charts",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also draw the digests' charts as PNG files into this folder.",
)
DRY_RUN_OPTION = click.option("--dry-run", is_flag=True, help="Render only; queue nothing.")


def _show_and_queue(
    ctx: Context,
    period: Period,
    digests: Callable[[Session], Iterable[RenderedDigest]],
    title: Callable[[RenderedDigest], str],
    *,
    dry_run: bool,
    charts: Path | None,
) -> DigestReport | None:
    """Print the ``digests`` of ``period`` and, unless ``dry_run``, queue them in the same
    transaction as the worker would; what was queued (None on a dry run, which rolls back
    whatever rendering stored, such as a quarter's scorecards)."""
    from jobs.digests import queue_digests

    sessions = ctx.database.sessions
    if dry_run:
        with sessions() as session:
            for _ in _shown(digests(session), title, charts):  # render only
                pass
        return None
    with sessions.begin() as session:
        return queue_digests(session, period, _shown(digests(session), title, charts))


@digest.command("weekly")
@click.option(
    "--week",
    help="An ISO week, e.g. 2026-W47. Default: the last complete week. One not yet over: "
    "--dry-run only.",
)
@DRY_RUN_OPTION
@CHARTS_OPTION
@pass_context
def digest_weekly(ctx: Context, week: str | None, dry_run: bool, charts: Path | None) -> None:
    """Render a week's leadership digest and queue it for channels.leadership_digest."""
    from jobs.digests import rendered_weekly
    from messages.digests import weekly_key

    period = _period(ctx, week, "week", dry_run=dry_run)
    if ctx.program.channels.leadership_digest is None and not dry_run:
        raise click.UsageError("program.toml sets no channels.leadership_digest (or: --dry-run)")
    report = _show_and_queue(
        ctx,
        period,
        lambda session: [rendered_weekly(session, ctx.program, period)],
        lambda weekly: f"weekly digest {period.label} → {weekly.channel or 'no channel set'}",
        dry_run=dry_run,
        charts=charts,
    )
    if report is not None:
        queued_before = f"{weekly_key(period)} was queued before"
        console.print("queued for delivery" if report.queued else queued_before)


@digest.command("qbr")
@click.option("--partner", help="One partner, by name or id. Default: every active partner.")
@click.option(
    "--quarter",
    help="A quarter, e.g. 2026-Q3. Default: the last complete quarter. One not yet over: "
    "--dry-run only.",
)
@DRY_RUN_OPTION
@CHARTS_OPTION
@pass_context
def digest_qbr(
    ctx: Context, partner: str | None, quarter: str | None, dry_run: bool, charts: Path | None
) -> None:
    """Render partners' quarterly business reviews and queue each for its shared channel."""
    from jobs.digests import rendered_qbrs

    period = _period(ctx, quarter, "quarter", dry_run=dry_run)

    def qbrs(session: Session) -> Iterable[RenderedDigest]:
        ids = [find_partner(session, partner).id] if partner else None
        return rendered_qbrs(session, ctx.program, period, ids, ctx.today)

    report = _show_and_queue(
        ctx,
        period,
        qbrs,
        lambda qbr: f"QBR {period.label} · {qbr.name} → {qbr.channel or 'no channel'}",
        dry_run=dry_run,
        charts=charts,
    )
    if report is not None:
        console.print(
            f"{report.queued} QBR(s) queued for delivery; {report.already} queued before; "
            f"{report.no_channel} partner(s) without a channel"
        )
