"""Is this installation ready? ``doctor`` checks everything it needs, ``program check`` the
program rules alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from partnerbot.cli.context import Context, console, pass_context

if TYPE_CHECKING:
    from partnerbot.doctor import Progress


@click.command()
@pass_context
def doctor(ctx: Context) -> None:
    """Check configuration, database, Slack token and the bot's channels; say what to fix."""
    from config.program import Program, ProgramError
    from partnerbot.console import checks_table
    from partnerbot.doctor import Check, diagnose, summarised

    try:
        rules = ctx.program
        checks = [Check("program rules", True, f"{rules.info.name}: valid")]
    except ProgramError as error:
        rules = Program()
        checks = [Check("program rules", False, str(error), "fix it: partnerbot program check")]
    with channel_progress() as progress:
        checks += diagnose(ctx.settings, rules, ctx.database, progress)
    console.print(checks_table(summarised(checks)))
    problems = sum(not check.ok for check in checks)
    console.print(f"{problems} problem(s)." if problems else "Ready to serve.")
    if problems:
        raise SystemExit(1)


@contextmanager
def channel_progress() -> Iterator[Progress]:
    """How far doctor got through the channels, on stderr: a bar on a terminal, else a line
    at the start and at each tenth (Slack's rate makes hundreds of channels take minutes)."""
    from rich.progress import Progress as Bar

    from partnerbot.console import make_console
    from partnerbot.doctor import CHANNEL_CHECKS_PER_MINUTE

    err = make_console(stderr=True)
    bar = Bar(console=err, transient=True, disable=not err.is_terminal)
    tenths = -1

    def progress(done: int, total: int) -> None:
        nonlocal tenths
        if tenths < 0:
            rate = CHANNEL_CHECKS_PER_MINUTE
            minutes = (total - rate) / rate
            wait = f" (about {minutes:.0f} min: Slack allows {rate} a minute)"
            wait = wait if minutes >= 1 else ""
            err.print(f"checking {total:,} channel(s) with Slack{wait}")
            bar.add_task("channels", total=total)
        bar.update(bar.task_ids[0], completed=done)
        if not err.is_terminal and done * 10 // total > tenths:
            err.print(f"checked {done:,} of {total:,} channel(s)")
        tenths = done * 10 // total

    with bar:
        yield progress


@click.group()
def program() -> None:
    """Program rules (program.toml)."""


@program.command("check")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False), required=False)
@pass_context
def program_check(ctx: Context, file: Path | None) -> None:
    """Validate program rules and print what they set."""
    from config.program import load_program

    rules = load_program(file, must_exist=True) if file else ctx.program
    tiers = " < ".join(t.name for t in rules.tiers)
    console.print(
        f"{rules.info.name}: OK — tiers {tiers}; currency {rules.info.currency}; "
        f"{len(rules.routing.rules)} routing rule(s)"
    )
