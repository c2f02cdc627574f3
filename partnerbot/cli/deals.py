"""Deal registrations from the terminal: ``deals check`` and ``deals expire``."""

from __future__ import annotations

import time
from datetime import datetime

import click

from partnerbot.cli.context import Context, console, day_option, pass_context

SHOWN = 10
"""Registrations ``deals expire --dry-run`` lists."""


@click.group()
def deals() -> None:
    """Deal registrations: check an account, expire what has run out."""


def show_check(ctx: Context, name: str, domain: str | None) -> None:
    """Print the active registrations of the company ``name`` (``domain``) names, and how long
    the check took: the check every registration runs."""
    from deals.partner_lookup import partner_names
    from deals.registration import active_matches
    from partnerbot.console import matches_table

    threshold = ctx.program.registration.name_match_threshold
    with ctx.database.sessions() as session:
        started = time.perf_counter()
        rows = active_matches(session, name, domain, threshold)
        elapsed = (time.perf_counter() - started) * 1000
        names = partner_names(session, {row.partner_id for row in rows})
    asked = f"{name} ({domain})" if domain else name
    if not rows:
        console.print(f"{asked}: no active registration of this company ({elapsed:.1f} ms)")
        return
    console.print(matches_table(f"{asked}: {len(rows)} active ({elapsed:.1f} ms)", rows, names))


@deals.command("check")
@click.argument("account")
@click.option("--domain", help="The customer's web domain, if known.")
@pass_context
def deals_check(ctx: Context, account: str, domain: str | None) -> None:
    """Which active registrations name the same company: the check every registration runs."""
    show_check(ctx, account, domain)


@deals.command("expire")
@day_option("--today", "Expire as on this day; not after today.")
@click.option("--dry-run", is_flag=True, help="Show what would expire; change nothing.")
@pass_context
def deals_expire(ctx: Context, today: datetime | None, dry_run: bool) -> None:
    """Move approved registrations whose protection ended before today to expired."""
    from deals.partner_lookup import partner_names
    from deals.registration import due_to_expire, expire_due

    day = ctx.past_day(today, "--today", "nothing expired.")
    ended = f"protection ended before {day}"
    if not dry_run:
        with ctx.database.sessions.begin() as session:
            count = expire_due(session, day)
        console.print(f"{count:,} registration(s) expired ({ended}).")
        return
    with ctx.database.sessions() as session:
        count, first = due_to_expire(session, day, SHOWN)
        names = partner_names(session, {row.partner_id for row in first})
    console.print(f"{count:,} registration(s) would expire ({ended}); nothing changed.")
    for row in first:
        console.print(
            f"  {row.external_id}  {names.get(row.partner_id, row.partner_id)}  "
            f"protected until {row.expires_at}",
            markup=False,
        )
    if count > len(first):
        console.print(f"  … and {count - len(first):,} more")
