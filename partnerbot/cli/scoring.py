"""Scoring partners as the nightly job does (``score``), checking the models against history
(``evaluate``) and reading one partner's card (``scorecard``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from partnerbot.cli.context import (
    Context,
    console,
    day_option,
    fail,
    find_partner,
    pass_context,
)

if TYPE_CHECKING:
    import pandas as pd

    from insights.backtest import AlertEvaluation


@click.command()
@day_option(
    "--as-of",
    "Score as at the end of this day, from data dated on or before it: the scorecards of the "
    "last month complete at its end (30 Nov: November). A day that has ended, not before the "
    "month the data starts in.",
    default="yesterday, the last day that has ended, as the nightly job scores",
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
    """Score every partner as the nightly job does: the scorecards for the last month complete
    at the end of the as-of day and the at-risk model with drift flags, stored for /scorecard,
    alerts and digests."""
    import pandas as pd

    from insights.risk_store import assess_and_store, write_assessment_csv
    from insights.scorecard_metrics import load_frames
    from insights.scorecard_store import (
        compute_and_store,
        data_start,
        scorecard_month,
        write_scorecards_csv,
    )
    from partnerbot.console import risk_summary

    day = ctx.past_day(as_of, "--as-of", "nothing scored.", ended=True)
    sessions = ctx.database.sessions
    with sessions() as session:
        frames = load_frames(session, ctx.program)
    start, month = data_start(frames), scorecard_month(day)
    if start is not None and month.end_time.date() < start:
        first = pd.Period(start, freq="M").end_time.date()
        fail(
            f"--as-of {day} would score {month:%B %Y}, before the data starts ({start}): "
            f"give a day from {first} on; nothing scored.",
            2,
        )
    with sessions.begin() as session:
        run = compute_and_store(session, ctx.program, day, frames)
    if scorecards_out is not None:
        with sessions() as session:
            write_scorecards_csv(session, run.month, scorecards_out)
    with sessions.begin() as session:
        assessment = assess_and_store(session, ctx.program, day, frames)
    console.print(
        f"Scored {run.partners:,} partners for {run.month:%B %Y} in {run.seconds:.1f} s"
        + (f"; written to {scorecards_out}" if scorecards_out else "")
    )
    console.print(risk_summary(assessment, frames.partners["name"]))
    if out is not None:
        rows = write_assessment_csv(assessment, frames.partners["external_id"], out)
        console.print(f"{rows:,} risk scores written to {out}")


@click.command()
@click.option(
    "--dates", "count", default=4, show_default=True, help="Back-test dates, a quarter apart."
)
@click.option("--drift-months", default=12, show_default=True, help="Monthly drift runs to replay.")
@click.option(
    "--truth",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A generated program's truth.csv: score drift against the injected drops instead, and "
    "replay the alerts a manager would have received against it.",
)
@pass_context
def evaluate(ctx: Context, count: int, drift_months: int, truth: Path | None) -> None:
    """Back-test the at-risk model and the drift detector on the database's own history (each
    date is fitted on what came before it and compared with what happened next), with a
    generated program's truth the alerts themselves, and tally managers' answers to the
    alerts raised."""
    import pandas as pd
    from threadpoolctl import threadpool_limits

    from insights.alert_store import feedback_tallies
    from insights.backtest import (
        backtest_dates,
        drift_backtest,
        evaluate_alerts,
        replay_alerts,
        risk_backtest,
    )
    from insights.program_events import peer_groups, program_events
    from insights.risk_scoring import risk_config
    from insights.scorecard_metrics import load_frames
    from partnerbot.console import backtest_table, feedback_table

    with ctx.database.sessions() as session:
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
    console.print(calibration_lines(risk))
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
    if injected is not None:
        days = [month.date() for month in months]
        with threadpool_limits(limits=1):
            alerts = replay_alerts(events, frames.partners, ctx.program, days)
        console.print(alert_quality(evaluate_alerts(alerts, injected, days)))
    with ctx.database.sessions() as session:
        tallies = feedback_tallies(session)
    if tallies:
        console.print(feedback_table(tallies))
    else:
        console.print("Managers' feedback on alerts: none raised yet.")


def calibration_lines(risk: pd.DataFrame) -> str:
    """The at-risk model's calibration at each back-test date: is "70 %" seven in ten?"""
    lines = ["Calibration of the at-risk probabilities (mean P vs observed; Brier vs references):"]
    model = risk.loc[risk["method"] == "at-risk model"]
    for row in model.to_dict("records"):
        bgnbd = row.get("brier_bgnbd")
        reference = "" if bgnbd is None or bgnbd != bgnbd else f", BG/NBD {bgnbd:.3f}"
        lines.append(
            f"  {row['as_of']}: mean P {row['mean_p']:.2f} vs {row['base_rate']:.2f}, Brier "
            f"{row['brier']:.3f} (base rate {row['brier_base']:.3f}{reference}), "
            f"ECE {row['ece']:.3f}"
        )
    return "\n".join(lines)


def alert_quality(found: AlertEvaluation) -> str:
    """The alert back-test in a few short lines: stable partners alerted per quarter (any
    alert, and at risk / drift), the worst month, recall and delay."""
    lines = [
        "Alerts as the worker sends them, replayed on the 1st of each month",
        f"(at risk and drift, after the cool-down; {found.steady:,} stable partners):",
    ]
    lines += [
        f"  {quarter}: {row['any']:.1%} of stable partners alerted "
        f"({row['at_risk']:.1%} at risk, {row['drift']:.1%} drift)"
        for quarter, row in found.quarters.iterrows()
    ]
    worst = found.months["any"].idxmax()
    lines += [
        f"  worst month {worst.strftime('%b %Y')}: {found.months['any'].max():.1%}",
        f"  drops and churn alerted within 2 months: {found.recall:.0%} of {found.drops:,}, "
        f"median delay {found.delay_months:.1f} months",
    ]
    return "\n".join(lines)


@click.command("scorecard")
@click.argument("partner")
@pass_context
def scorecard_command(ctx: Context, partner: str) -> None:
    """Print a partner's scorecard (by name or id), as /scorecard shows it."""
    from insights.scorecard_store import latest_scorecard
    from partnerbot.console import scorecard_panel

    with ctx.database.sessions() as session:
        found = find_partner(session, partner)
        card = latest_scorecard(session, found.id)
    if card is None:
        console.print(f"No scorecard for {found.name} yet: run `partnerbot score`.")
        raise SystemExit(1)
    console.print(scorecard_panel(card))
