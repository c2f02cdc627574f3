"""The ``partnerbot`` command line: the terminal door to the same domain Slack and the
scheduler use."""

import sys
import time
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path

import click
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
from sqlalchemy import Engine, select

from bot.app import SlackConfigError, require_credentials
from bot.server import serve as serve_http
from bot.socket_mode import serve_socket_mode
from deals.registration import active_matches, expire_due
from ingest import CsvImportError, ImportResult, import_file
from ingest.loaders import LOADERS
from insights.overview import program_overview
from insights.scorecard_store import (
    compute_and_store,
    latest_scorecard,
    leaderboard,
    write_scorecards_csv,
)
from models import Account, DealRegistration, Partner
from models.db import make_engine, make_session_factory
from models.enums import ACTIVE_DEAL_STATUSES
from models.migrate import upgrade
from partnerbot.console import (
    checks_table,
    import_line,
    make_console,
    matches_table,
    overview_panel,
    scorecard_panel,
)
from partnerbot.doctor import Check, diagnose
from partnerbot.logs import configure_logging
from partnerbot.partner_lookup import resolve_partner
from partnerbot.program import Program, ProgramError, load_program
from partnerbot.settings import Settings
from synth import ProgramSpec, generate_program

IMPORT_ORDER = ("partners", "people", "deals", "activities")
console = make_console()


class Context:
    """What every command may need, built on first use: settings, program rules, engine."""

    def __init__(self) -> None:
        self.settings = Settings()

    @cached_property
    def program(self) -> Program:
        explicit = "program_path" in self.settings.model_fields_set
        return load_program(self.settings.program_path, must_exist=explicit)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)


pass_context = click.make_pass_decorator(Context, ensure=True)


@click.group()
def cli() -> None:
    """partnerbot: deal registration, scorecards and partner alerts in Slack."""


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_context
def db_upgrade(ctx: Context) -> None:
    """Apply migrations up to the newest schema."""
    upgrade(ctx.engine)
    console.print(f"database is up to date: {ctx.engine.url.render_as_string()}")


@cli.command("import")
@click.argument("kind", type=click.Choice(list(LOADERS)))
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@pass_context
def import_command(ctx: Context, kind: str, file: Path) -> None:
    """Import a CSV file of partners, deals, activities or people (formats in the README)."""
    result = _import(ctx, kind, file)
    console.print(import_line(result))


def _import(ctx: Context, kind: str, file: Path) -> ImportResult:
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
            ctx.engine,
            ctx.program,
            on_progress=lambda done: progress.update(task, completed=done),
        )


@cli.command()
@click.option("--partners", default=200, show_default=True, help="Number of partners.")
@click.option("--months", default=24, show_default=True, help="Months of history.")
@click.option("--seed", default=7, show_default=True, help="Random seed (same seed, same files).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True)
def generate(partners: int, months: int, seed: int, out: Path) -> None:
    """Write a synthetic partner program as CSV files, with its ground truth."""
    generated = generate_program(_spec(partners, months, seed), out)
    console.print(f"wrote {generated.describe()} to {out}")


def _spec(partners: int, months: int, seed: int) -> ProgramSpec:
    today = datetime.now(UTC).date()
    return ProgramSpec(
        partners=partners, months=months, seed=seed, end=date(today.year, today.month, 1)
    )


@cli.command()
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="Default: today (UTC).")
@pass_context
def summary(ctx: Context, as_of: datetime | None) -> None:
    """Print the program overview: partners, revenue by quarter, top partners, registrations."""
    day = as_of.date() if as_of else datetime.now(UTC).date()
    with make_session_factory(ctx.engine)() as session:
        overview = program_overview(session, ctx.program, day)
    if not overview.partners:
        console.print(
            "No partners yet: import yours with `partnerbot import partners FILE`, "
            "or try `partnerbot demo`."
        )
        return
    console.print(overview_panel(overview, ctx.program.program.name))


@cli.group()
def deals() -> None:
    """Deal registrations: check an account, expire what has run out."""


def _check(ctx: Context, name: str, domain: str | None) -> None:
    threshold = ctx.program.registration.name_match_threshold
    with make_session_factory(ctx.engine)() as session:
        started = time.perf_counter()
        rows = active_matches(session, name, domain, threshold)
        elapsed = (time.perf_counter() - started) * 1000
        ids = {row.partner_id for row in rows}
        names = dict(
            session.execute(select(Partner.id, Partner.name).where(Partner.id.in_(ids))).all()
        )
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
    _check(ctx, account, domain)


@deals.command("expire")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Default: today (UTC).")
@pass_context
def deals_expire(ctx: Context, today: datetime | None) -> None:
    """Move approved registrations whose protection ended before today to expired."""
    day = today.date() if today else datetime.now(UTC).date()
    with make_session_factory(ctx.engine)() as session:
        count = expire_due(session, day)
    console.print(f"{count:,} registration(s) expired (protection ended before {day}).")


@cli.command()
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="Default: today (UTC).")
@click.option(
    "--out", type=click.Path(path_type=Path, dir_okay=False), help="Also write them to a CSV file."
)
@pass_context
def score(ctx: Context, as_of: datetime | None, out: Path | None) -> None:
    """Compute every partner's scorecard for the last complete month before --as-of and store
    them (what /scorecard shows)."""
    day = as_of.date() if as_of else datetime.now(UTC).date()
    with make_session_factory(ctx.engine)() as session:
        run = compute_and_store(session, ctx.program, day)
        if out is not None:
            write_scorecards_csv(session, run.month, out)
    console.print(
        f"Scored {run.partners:,} partners for {run.month:%B %Y} in {run.seconds:.1f} s"
        + (f"; written to {out}" if out else "")
    )


@cli.command("scorecard")
@click.argument("partner")
@pass_context
def scorecard_command(ctx: Context, partner: str) -> None:
    """Print a partner's scorecard (by name or id), as /scorecard shows it."""
    with make_session_factory(ctx.engine)() as session:
        match = resolve_partner(session, partner)
        if match.partner is None:
            hint = ", ".join(p.name for p in match.suggestions)
            console.print(
                f"No partner called {partner!r}." + (f" Closest: {hint}." if hint else "")
            )
            raise SystemExit(2)
        card = latest_scorecard(session, match.partner.id)
    if card is None:
        console.print(f"No scorecard for {match.partner.name} yet: run `partnerbot score`.")
        raise SystemExit(1)
    console.print(scorecard_panel(card))


@cli.command()
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
    ctx = click_ctx.ensure_object(Context)
    console.rule("partnerbot demo")
    click_ctx.invoke(db_upgrade)
    if not all((folder / f"{kind}.csv").exists() for kind in IMPORT_ORDER):
        click_ctx.invoke(generate, partners=partners, months=months, seed=7, out=folder)
    for kind in IMPORT_ORDER:
        console.print(import_line(_import(ctx, kind, folder / f"{kind}.csv")))
    click_ctx.invoke(summary)
    console.rule("the registration check, on accounts partners hold today")
    with make_session_factory(ctx.engine)() as session:
        held = session.execute(
            select(Account.name, Account.domain)
            .join(DealRegistration, DealRegistration.account_id == Account.id)
            .where(DealRegistration.status.in_(ACTIVE_DEAL_STATUSES))
            .order_by(DealRegistration.registered_at.desc())
            .limit(2)
        ).all()
    for name, domain in held:
        _check(ctx, name, domain)
        _check(ctx, f"The {name.upper()}", None)  # how else someone may type it
    console.rule("scorecards")
    click_ctx.invoke(score)
    with make_session_factory(ctx.engine)() as session:
        top = leaderboard(session, limit=3)
    for card in top:
        console.print(scorecard_panel(card))


@cli.command()
@click.option("--port", type=int, help="Port to listen on (default: $PORT, else 3000).")
@click.option(
    "--workers", type=click.IntRange(1, 64), help="Processes (default: $WEB_CONCURRENCY, else 2)."
)
@pass_context
def serve(ctx: Context, port: int | None, workers: int | None) -> None:
    """Answer Slack: slash commands, interactivity and events at POST /slack/events, and
    GET /healthz for the platform's probes, under gunicorn with several worker processes; or,
    when SLACK_APP_TOKEN is set, over a Socket Mode connection (no public URL needed)."""
    settings = ctx.settings
    secrets = (settings.slack_signing_secret, settings.slack_bot_token, settings.slack_app_token)
    configure_logging(settings.log_format, tuple(s for s in secrets if s))
    program = ctx.program  # a bad program.toml stops here, not in every worker
    if ctx.settings.slack_app_token:
        serve_socket_mode(ctx.settings, program)
        return
    require_credentials(ctx.settings)
    serve_http(
        ctx.settings,
        port or ctx.settings.port,
        workers or ctx.settings.web_concurrency,
        program=program,
    )


@cli.command()
@pass_context
def doctor(ctx: Context) -> None:
    """Check configuration, database, Slack token and the bot's channels; say what to fix."""
    try:
        rules = ctx.program
        checks = [Check("program rules", True, f"{rules.program.name}: valid")]
    except ProgramError as error:
        rules = Program()
        checks = [Check("program rules", False, str(error), "fix it: partnerbot program check")]
    checks += diagnose(ctx.settings, rules, ctx.engine)
    console.print(checks_table(checks))
    problems = sum(not check.ok for check in checks)
    console.print(f"{problems} problem(s)." if problems else "Ready to serve.")
    if problems:
        raise SystemExit(1)


@cli.group()
def program() -> None:
    """Program rules (program.toml)."""


@program.command("check")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False), required=False)
@pass_context
def program_check(ctx: Context, file: Path | None) -> None:
    """Validate program rules and print what they set."""
    rules = load_program(file, must_exist=True) if file else ctx.program
    tiers = " < ".join(t.name for t in rules.tiers)
    console.print(
        f"{rules.program.name}: OK — tiers {tiers}; currency {rules.program.currency}; "
        f"{len(rules.routing.rules)} routing rule(s)"
    )


def main() -> None:
    """Entry point: known failures end with a clear message and exit code, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except (ProgramError, SlackConfigError) as error:
        _fail(str(error), code=2)
    except CsvImportError as error:
        _fail("\n".join(error.lines), code=1)
    except click.exceptions.Abort:
        _fail("aborted", code=130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)


def _fail(message: str, code: int) -> None:
    make_console(stderr=True).print(message, markup=False, soft_wrap=True)
    sys.exit(code)
