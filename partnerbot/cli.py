"""The ``partnerbot`` command line: the terminal door to the same domain Slack and the
scheduler use."""

import logging
import signal
import sys
import threading
import time
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import Literal

import click
import pandas as pd
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from bot.app import SlackConfigError, require_credentials
from bot.server import serve as serve_http
from bot.socket_mode import serve_socket_mode
from config.logs import configure_logging
from config.program import Program, ProgramError, load_program
from config.settings import Settings
from deals.partner_lookup import resolve_partner
from deals.registration import active_matches, expire_due
from ingest import CsvImportError, ImportResult, import_file
from ingest.loaders import LOADERS
from insights.alert_store import feedback_tallies
from insights.backtest import backtest_dates, drift_backtest, risk_backtest
from insights.digests import (
    DAY,
    Period,
    last_complete,
    parse_period,
    qbr_digests,
    weekly_digest,
)
from insights.overview import program_overview
from insights.program_events import peer_groups, program_events
from insights.risk_scoring import risk_config
from insights.risk_store import assess_and_store, write_assessment_csv
from insights.scorecard_metrics import load_frames
from insights.scorecard_store import (
    compute_and_store,
    latest_scorecard,
    leaderboard,
    write_scorecards_csv,
)
from jobs.delivery import delivery_client, retry_failed
from jobs.leadership import WorkerError
from jobs.worker import LostLeadError, Worker
from messages.blocks import Message
from messages.charts import revenue_chart
from messages.digests import QBR, WEEKLY, qbr_key, qbr_messages, weekly_key, weekly_messages
from messages.outbox import queue_messages
from models import Account, DealRegistration, Partner
from models.db import make_session_factory, open_database
from models.enums import ACTIVE_DEAL_STATUSES
from models.migrate import upgrade
from partnerbot.console import (
    backtest_table,
    checks_table,
    feedback_table,
    import_line,
    make_console,
    matches_table,
    message_panel,
    overview_panel,
    risk_summary,
    scorecard_panel,
)
from partnerbot.doctor import Check, diagnose
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
        return open_database(self.settings, "cli").engine


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
    day = as_of.date() if as_of else ctx.program.today()
    with make_session_factory(ctx.engine)() as session:
        overview = program_overview(session, ctx.program, day)
    if not overview.partners:
        console.print(
            "No partners yet: import yours with `partnerbot import partners FILE`, "
            "or try `partnerbot demo`."
        )
        return
    console.print(overview_panel(overview, ctx.program.info.name))


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
    day = today.date() if today else ctx.program.today()
    with make_session_factory(ctx.engine)() as session:
        count = expire_due(session, day)
    console.print(f"{count:,} registration(s) expired (protection ended before {day}).")


@cli.command()
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Score as at the end of this day, from data dated on or before it. Default: today.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the risk scores here: partner_id, risk, risk_band, top_factors, drift_flags.",
)
@click.option(
    "--scorecards-out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the scorecards here (one row per partner, every metric and percentile).",
)
@pass_context
def score(
    ctx: Context, as_of: datetime | None, out: Path | None, scorecards_out: Path | None
) -> None:
    """Score every partner as the nightly job does: the scorecards for the last complete month
    and the at-risk model with drift flags, stored for /scorecard, alerts and digests."""
    day = as_of.date() if as_of else ctx.program.today()
    with make_session_factory(ctx.engine)() as session:
        frames = load_frames(session, ctx.program)
        run = compute_and_store(session, ctx.program, day, frames)
        if scorecards_out is not None:
            write_scorecards_csv(session, run.month, scorecards_out)
        assessment = assess_and_store(session, ctx.program, day, frames)
    console.print(
        f"Scored {run.partners:,} partners for {run.month:%B %Y} in {run.seconds:.1f} s"
        + (f"; written to {scorecards_out}" if scorecards_out else "")
    )
    console.print(risk_summary(assessment, frames.partners["name"]))
    if out is not None:
        rows = write_assessment_csv(assessment, frames.partners["external_id"], out)
        console.print(f"{rows:,} risk scores written to {out}")


def _partner(session: Session, name: str) -> Partner:
    """The partner called ``name`` (forgiving, as /scorecard is), or exit with suggestions."""
    match = resolve_partner(session, name)
    if match.partner is None:
        hint = ", ".join(p.name for p in match.suggestions)
        console.print(f"No partner called {name!r}." + (f" Closest: {hint}." if hint else ""))
        raise SystemExit(2)
    return match.partner


@cli.command()
@click.option(
    "--dates", "count", default=4, show_default=True, help="Back-test dates, a quarter apart."
)
@click.option("--drift-months", default=12, show_default=True, help="Monthly drift runs to replay.")
@click.option(
    "--truth",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A generated program's truth.csv: score drift against the injected drops instead.",
)
@pass_context
def evaluate(ctx: Context, count: int, drift_months: int, truth: Path | None) -> None:
    """Back-test the at-risk model and the drift detector on the database's own history (each
    date is fitted on what came before it and compared with what happened next), and tally
    managers' answers to the alerts raised."""
    with make_session_factory(ctx.engine)() as session:
        frames = load_frames(session, ctx.program)
    events = program_events(frames)
    config = risk_config(ctx.program)
    dates = backtest_dates(events, config.horizon_days, count)
    if not dates:
        console.print("Not enough history to back-test: a year before and a horizon after.")
        raise SystemExit(1)
    with threadpool_limits(limits=1):
        risk = risk_backtest(events, config, dates)
    console.print(backtest_table(risk, config.horizon_days))
    last = events["date"].max().to_period("M").to_timestamp()
    months = pd.date_range(end=last - pd.offsets.MonthBegin(3), periods=drift_months, freq="MS")
    injected = None
    if truth is not None:  # truth.csv names partners by their imported ids
        ids = pd.Series(frames.partners.index, index=frames.partners["external_id"])
        injected = pd.read_csv(truth, dtype={"partner_id": str})
        injected = injected.loc[injected["partner_id"].isin(ids.index)]
        injected.index = pd.Index(ids[injected["partner_id"]].to_numpy(), name="partner_id")
    drift = drift_backtest(events, peer_groups(frames.partners), months, truth=injected)
    what = (
        "injected drops and churn (truth.csv)"
        if truth is not None
        else "realised drops (won deals and registrations below 40 % of the trailing year "
        "for 3 months)"
    )
    console.print(
        f"Drift, {months[0]:%b %Y}–{months[-1]:%b %Y}: {drift.drops:,} {what}, recall within 2 "
        f"months {drift.recall:.0%}, median delay {drift.delay_months:.1f} months; "
        f"{drift.false_alarm_rate:.1%} of {drift.steady:,} steady partners flagged per quarter."
    )
    with make_session_factory(ctx.engine)() as session:
        tallies = feedback_tallies(session)
    if tallies:
        console.print(feedback_table(tallies))
    else:
        console.print("Managers' feedback on alerts: none raised yet.")


@cli.command("scorecard")
@click.argument("partner")
@pass_context
def scorecard_command(ctx: Context, partner: str) -> None:
    """Print a partner's scorecard (by name or id), as /scorecard shows it."""
    with make_session_factory(ctx.engine)() as session:
        found = _partner(session, partner)
        card = latest_scorecard(session, found.id)
    if card is None:
        console.print(f"No scorecard for {found.name} yet: run `partnerbot score`.")
        raise SystemExit(1)
    console.print(scorecard_panel(card))


@cli.group()
def digest() -> None:
    """The weekly leadership digest and partners' quarterly business reviews."""


def _period(text: str | None, kind: Literal["week", "quarter"], program: Program) -> Period:
    if text is None:
        return last_complete(kind, program.today())
    try:
        period = parse_period(text)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    if period.kind != kind:
        raise click.BadParameter(f"{text!r} is not a {kind}")
    return period


def _show(title: str, messages: list[Message], charts: Path | None) -> None:
    """Print ``messages`` as panels; with ``charts``, draw their charts into that folder."""
    for part, message in enumerate(messages, start=1):
        of = f" ({part}/{len(messages)})" if len(messages) > 1 else ""
        console.print(message_panel(title + of, [b.to_dict() for b in message.blocks]))
        if charts is not None and message.chart is not None:
            charts.mkdir(parents=True, exist_ok=True)
            drawn = charts / message.chart.filename
            drawn.write_bytes(revenue_chart(message.chart))
            console.print(f"chart drawn to {drawn}")


CHARTS_OPTION = click.option(
    "--charts",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also draw the digests' charts as PNG files into this folder.",
)


@digest.command("weekly")
@click.option("--week", help="An ISO week, e.g. 2026-W47. Default: the last complete week.")
@click.option("--dry-run", is_flag=True, help="Render only; queue nothing.")
@CHARTS_OPTION
@pass_context
def digest_weekly(ctx: Context, week: str | None, dry_run: bool, charts: Path | None) -> None:
    """Render a week's leadership digest and queue it for channels.leadership_digest."""
    period = _period(week, "week", ctx.program)
    channel = ctx.program.channels.leadership_digest
    if channel is None and not dry_run:
        raise click.UsageError("program.toml sets no channels.leadership_digest (or: --dry-run)")
    with make_session_factory(ctx.engine).begin() as session:
        messages = weekly_messages(weekly_digest(session, ctx.program, period))
        _show(f"weekly digest {period.label} → {channel or 'no channel set'}", messages, charts)
        if dry_run or channel is None:
            return
        queued = queue_messages(
            session, key=weekly_key(period), kind=WEEKLY, channel=channel, messages=messages
        )
    console.print("queued for delivery" if queued else f"{weekly_key(period)} was queued before")


@digest.command("qbr")
@click.option("--partner", help="One partner, by name or id. Default: every active partner.")
@click.option("--quarter", help="A quarter, e.g. 2026-Q3. Default: the last complete quarter.")
@click.option("--dry-run", is_flag=True, help="Render only; queue nothing.")
@CHARTS_OPTION
@pass_context
def digest_qbr(
    ctx: Context, partner: str | None, quarter: str | None, dry_run: bool, charts: Path | None
) -> None:
    """Render partners' quarterly business reviews and queue each for its shared channel."""
    period = _period(quarter, "quarter", ctx.program)
    queued = before = no_channel = 0
    with make_session_factory(ctx.engine).begin() as session:
        ids = [_partner(session, partner).id] if partner else None
        for qbr in qbr_digests(session, ctx.program, period, ids):
            messages = qbr_messages(qbr)
            _show(
                f"QBR {period.label} · {qbr.name} → {qbr.channel or 'no channel'}", messages, charts
            )
            if dry_run:
                continue
            if qbr.channel is None:
                no_channel += 1
                continue
            fresh = queue_messages(
                session,
                key=qbr_key(period, qbr.partner_id),
                kind=QBR,
                channel=qbr.channel,
                messages=messages,
            )
            queued, before = queued + fresh, before + (not fresh)
    if not dry_run:
        console.print(
            f"{queued} QBR(s) queued for delivery; {before} queued before; "
            f"{no_channel} partner(s) without a channel"
        )


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
    with make_session_factory(ctx.engine)() as session:
        last_day = session.scalar(select(func.max(DealRegistration.registered_at))).date()
    # Scored the day after the data ends, as the nightly job would have: scored today, weeks
    # after a generated program's last day, every partner would look silent.
    console.rule(f"scorecards and risk, the night after the program's data ends ({last_day})")
    click_ctx.invoke(score, as_of=datetime.combine(last_day + DAY, datetime.min.time()))
    with make_session_factory(ctx.engine)() as session:
        top = leaderboard(session, limit=3)
    for card in top:
        console.print(scorecard_panel(card))
    # What the worker would post the morning after the data ends: the last whole week and
    # quarter (a week still running would read as a collapse against the one before).
    week, quarter = last_complete("week", last_day + DAY), last_complete("quarter", last_day + DAY)
    console.rule(f"digests: the program's last whole week ({week.label}) and quarter")
    with make_session_factory(ctx.engine)() as session:
        compute_and_store(session, ctx.program, quarter.end + DAY)  # the QBR's scorecards
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
def worker(ctx: Context) -> None:
    """Run the scheduled jobs of program.toml's [schedules] and deliver queued Slack messages.
    One worker leads; on PostgreSQL others wait as standbys and take over when it stops."""
    settings = ctx.settings
    configure_logging(settings.log_format, (settings.slack_bot_token or "",))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per 5-second delivery
    require_credentials(settings, socket_mode=True)  # like Socket Mode: no signed requests
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    try:
        database = open_database(settings, "worker")
        Worker(settings, ctx.program, database, delivery_client(settings)).run(stop)
    except LostLeadError as error:
        _fail(f"{error}; stopping so that a restarted worker waits for the lead", code=1)


@cli.group()
def outbox() -> None:
    """Slack messages queued for delivery."""


@outbox.command("retry")
@click.option("--key", help="Only the message with this key.")
@pass_context
def outbox_retry(ctx: Context, key: str | None) -> None:
    """Queue the messages Slack refused (partnerbot doctor lists them) again, once their
    cause is fixed."""
    with make_session_factory(ctx.engine)() as session:
        count = retry_failed(session, key)
    console.print(f"{count} message(s) queued again: the worker delivers them.")


@cli.command()
@pass_context
def doctor(ctx: Context) -> None:
    """Check configuration, database, Slack token and the bot's channels; say what to fix."""
    try:
        rules = ctx.program
        checks = [Check("program rules", True, f"{rules.info.name}: valid")]
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
        f"{rules.info.name}: OK — tiers {tiers}; currency {rules.info.currency}; "
        f"{len(rules.routing.rules)} routing rule(s)"
    )


def main() -> None:
    """Entry point: known failures end with a clear message and exit code, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except (ProgramError, SlackConfigError, WorkerError) as error:
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
