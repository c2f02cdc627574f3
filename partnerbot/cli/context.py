"""What every command shares: the console, and settings, program rules and database, each built
on first use. Nothing heavy is imported here, so that ``partnerbot --help`` starts at once:
commands import the domain inside their functions."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click

from partnerbot.console import make_console

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from config.program import Program
    from config.settings import Settings
    from models import Partner
    from models.db import Database

console = make_console()
Command = TypeVar("Command", bound=Callable[..., None])


class Context:
    """Settings, program rules and the command line's database, each built on first use.
    ``now``: the moment the commands count "today" from (tests pass one; default: the clock)."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now

    @cached_property
    def settings(self) -> Settings:
        from config.settings import Settings

        return Settings()

    @cached_property
    def program(self) -> Program:
        from config.program import load_program

        explicit = "program_path" in self.settings.model_fields_set
        return load_program(self.settings.program_path, must_exist=explicit)

    @cached_property
    def database(self) -> Database:
        from models.db import open_database

        return open_database(self.settings, "cli")

    @property
    def today(self) -> date:
        """Today as the program counts days: in its time zone, at ``now``."""
        return self.program.today(self.now)

    def day(self, given: datetime | None) -> date:
        """The day a ``day_option`` gave, else today as the program counts days."""
        return given.date() if given else self.today

    def past_day(
        self, given: datetime | None, option: str, refused: str, *, ended: bool = False
    ) -> date:
        """The day a ``day_option`` gave (default: today; with ``ended``, yesterday), refused
        (exit 2) when it is in the future or, with ``ended``, has not ended: such a day has not
        all its data, and what a command stored or changed for it would stand as real."""
        last = self.today - timedelta(days=1) if ended else self.today
        day = given.date() if given else last
        if day > last:
            state = "has not ended" if ended else "is in the future"
            fail(f"{option} {day} {state} (today is {self.today}): {refused}", 2)
        return day


pass_context = click.make_pass_decorator(Context, ensure=True)


def day_option(
    name: str, what: str = "", default: str = "today in the program's time zone"
) -> Callable[[Command], Command]:
    """A ``--name YYYY-MM-DD`` option whose missing value the command fills in (through
    :meth:`Context.day`: today in the program's time zone, as the scheduled jobs count days),
    saying how in its help."""
    return click.option(
        name, type=click.DateTime(["%Y-%m-%d"]), help=f"{what} Default: {default}.".lstrip()
    )


def find_partner(session: Session, name: str) -> Partner:
    """The partner called ``name`` (forgiving, as /scorecard is), or exit with suggestions."""
    from deals.partner_lookup import resolve_partner

    match = resolve_partner(session, name)
    if match.partner is None:
        hint = ", ".join(p.name for p in match.suggestions)
        console.print(f"No partner called {name!r}." + (f" Closest: {hint}." if hint else ""))
        raise SystemExit(2)
    return match.partner


def fail(message: str, code: int) -> NoReturn:
    """End with ``message`` on stderr and exit ``code``: a known failure, not a traceback."""
    make_console(stderr=True).print(message, markup=False, soft_wrap=True)
    sys.exit(code)
