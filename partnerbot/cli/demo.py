"""``partnerbot demo``: the README's first command, a tour of the other commands on a generated
program, each called as the user would call it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from partnerbot.cli.context import Context, console
from partnerbot.cli.data import IMPORT_KINDS, db_upgrade, generate, import_one, summary
from partnerbot.cli.deals import show_check
from partnerbot.cli.digests import digest_qbr, digest_weekly
from partnerbot.cli.scoring import score


@click.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("partnerbot-demo"),
    show_default=True,
    help="Where the generated CSV files are kept (reused when present).",
)
@click.option("--partners", default=200, show_default=True)
@click.option("--months", default=24, show_default=True)
@click.pass_context
def demo(click_ctx: click.Context, folder: Path, partners: int, months: int) -> None:
    """Migrate, generate (or reuse) a program, import it and show the overview."""
    from deals.lookup import last_registration_day, recently_held_accounts
    from insights.digests import DAY, last_complete
    from insights.scorecard_store import compute_and_store, leaderboard
    from partnerbot.console import import_line, scorecard_panel

    ctx = click_ctx.ensure_object(Context)
    console.rule("partnerbot demo")
    click_ctx.invoke(db_upgrade)
    if not all((folder / f"{kind}.csv").exists() for kind in IMPORT_KINDS):
        click_ctx.invoke(generate, partners=partners, months=months, seed=7, out=folder)
    for kind in IMPORT_KINDS:
        console.print(import_line(import_one(ctx, kind, folder / f"{kind}.csv")))
    click_ctx.invoke(summary)
    console.rule("the registration check, on accounts partners hold today")
    sessions = ctx.database.sessions
    with sessions() as session:
        held = recently_held_accounts(session, limit=2)
        last_day = last_registration_day(session)
    for name, domain in held:
        show_check(ctx, name, domain)
        show_check(ctx, f"The {name.upper()}", None)  # how else someone may type it
    assert last_day is not None, "the program was just imported"
    # Scored as at the end of the data's last day, as the nightly job would have that night:
    # scored today, weeks after a generated program's last day, every partner would look silent.
    console.rule(f"scorecards and risk, the night after the program's data ends ({last_day})")
    click_ctx.invoke(score, as_of=datetime.combine(last_day, datetime.min.time()))
    with sessions() as session:
        top = leaderboard(session, limit=3)
    for card in top:
        console.print(scorecard_panel(card))
    # What the worker would post the morning after the data ends: the last whole week and
    # quarter (a week still running would read as a collapse against the one before).
    week, quarter = last_complete("week", last_day + DAY), last_complete("quarter", last_day + DAY)
    console.rule(f"digests: the program's last whole week ({week.label}) and quarter")
    with sessions.begin() as session:
        compute_and_store(session, ctx.program, quarter.end)  # the QBR's scorecards
    charts = folder / "charts"
    click_ctx.invoke(digest_weekly, week=week.label, dry_run=True, charts=charts)
    if top:
        click_ctx.invoke(
            digest_qbr,
            partner=top[0].external_id,
            quarter=quarter.label,
            dry_run=True,
            charts=charts,
        )
