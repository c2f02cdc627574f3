"""Is this installation ready? ``doctor`` checks everything it needs, ``program check`` the
program rules alone."""

from __future__ import annotations

from pathlib import Path

import click

from partnerbot.cli.context import Context, console, pass_context


@click.command()
@pass_context
def doctor(ctx: Context) -> None:
    """Check configuration, database, Slack token and the bot's channels; say what to fix."""
    from config.program import Program, ProgramError
    from partnerbot.console import checks_table
    from partnerbot.doctor import Check, diagnose

    try:
        rules = ctx.program
        checks = [Check("program rules", True, f"{rules.info.name}: valid")]
    except ProgramError as error:
        rules = Program()
        checks = [Check("program rules", False, str(error), "fix it: partnerbot program check")]
    checks += diagnose(ctx.settings, rules, ctx.database)
    console.print(checks_table(checks))
    problems = sum(not check.ok for check in checks)
    console.print(f"{problems} problem(s)." if problems else "Ready to serve.")
    if problems:
        raise SystemExit(1)


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
