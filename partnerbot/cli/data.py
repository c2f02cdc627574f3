"""Getting data in and looking at it: ``db upgrade``, ``import``, ``generate`` and ``summary``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from partnerbot.cli.context import Context, console, day_option, fail, pass_context

if TYPE_CHECKING:
    from ingest import ImportResult
    from ingest.cells import Conventions

IMPORT_KINDS = ("partners", "people", "deals", "activities")
"""What ``import`` takes, in the order a program is imported (each refers to the ones before)."""


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_context
def db_upgrade(ctx: Context) -> None:
    """Apply migrations up to the newest schema."""
    from models.migrate import upgrade

    upgrade(ctx.database.engine)
    console.print(f"database is up to date: {ctx.database.engine.url.render_as_string()}")


DECIMAL_MARKS = {"point": ".", "comma": ","}


@click.command("import")
@click.argument("kind", type=click.Choice(IMPORT_KINDS))
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--decimal",
    type=click.Choice(list(DECIMAL_MARKS)),
    help="How the file writes decimals: 1234.50 (point) or 1234,50 (comma). "
    "Default: comma in ';'-separated files, as European spreadsheets save them, else point.",
)
@click.option(
    "--date-format",
    type=click.Choice(["iso", "dmy", "mdy"]),
    default="iso",
    show_default=True,
    help="iso: 2026-03-31 only; dmy: 31/03/2026 or 31.03.2026; mdy: 03/31/2026.",
)
@pass_context
def import_command(
    ctx: Context, kind: str, file: Path, decimal: str | None, date_format: str
) -> None:
    """Import a CSV file of partners, deals, activities or people (formats in the README)."""
    from ingest.cells import Conventions
    from partnerbot.console import import_line

    conventions = Conventions(
        decimal=DECIMAL_MARKS[decimal] if decimal else None,
        dates=date_format,  # type: ignore[arg-type]  # one of click's choices
    )
    console.print(import_line(import_one(ctx, kind, file, conventions)))


def import_one(
    ctx: Context, kind: str, file: Path, conventions: Conventions | None = None
) -> ImportResult:
    """Import ``file`` with a progress bar (on a terminal)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from ingest import import_file

    size = file.stat().st_size if file.is_file() else 0
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as progress:
        task = progress.add_task(f"importing {file.name}", total=size)
        return import_file(
            kind,
            file,
            ctx.database.engine,
            ctx.program,
            on_progress=lambda done: progress.update(task, completed=done),
            conventions=conventions,
        )


@click.command()
@click.option("--partners", default=200, show_default=True, help="Number of partners.")
@click.option("--months", default=24, show_default=True, help="Months of history.")
@click.option("--seed", default=7, show_default=True, help="Random seed (same seed, same files).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True)
def generate(partners: int, months: int, seed: int, out: Path) -> None:
    """Write a synthetic partner program as CSV files, with its ground truth."""
    from synth import ProgramSpec, generate_program

    today = datetime.now(UTC).date()
    try:
        spec = ProgramSpec(
            partners=partners, months=months, seed=seed, end=date(today.year, today.month, 1)
        )
    except ValueError as error:  # the spec's own limits, in its words
        fail(f"{error} (--partners, --months): nothing written.", 2)
    generated = generate_program(spec, out)
    console.print(f"wrote {generated.describe()} to {out}")


@click.command()
@day_option("--as-of")
@pass_context
def summary(ctx: Context, as_of: datetime | None) -> None:
    """Print the program overview: partners, revenue by quarter, top partners, registrations."""
    from insights.overview import program_overview
    from partnerbot.console import overview_panel

    with ctx.database.sessions() as session:
        overview = program_overview(session, ctx.program, ctx.day(as_of))
    if not overview.partners:
        console.print(
            "No partners yet: import yours with `partnerbot import partners FILE`, "
            "or try `partnerbot demo`."
        )
        return
    console.print(overview_panel(overview, ctx.program.info.name, ctx.program.tier_names))
