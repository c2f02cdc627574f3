"""Every renderer of ``messages/`` fed one name wherever it takes what someone typed or
imported, and as many rows as asked: what the injection test (issue 17) searches for markup and
the Block Kit test validates. A new renderer is added to :func:`renderings` under its
``module.function`` name; ``tests/slack/test_block_kit.py`` fails while one is missing."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bot.commands._access import staff_refusal
from config.program import PartnerView
from deals.lookup import DealView
from insights.alert_rules import AT_RISK, Finding
from insights.digests import (
    AtRisk,
    Compared,
    FailedDeliveries,
    Mover,
    QbrDigest,
    Registrations,
    RisingPartner,
    WeekFigures,
    WeeklyDigest,
    Win,
    parse_period,
)
from insights.scorecard_store import StoredScorecard
from insights.tier_review import TierChange
from messages import (
    alert_messages,
    blocks,
    deal_messages,
    deal_modals,
    digests,
    malformed,
    registration_notices,
    scorecard_messages,
    tier_messages,
)
from messages.blocks import where
from models import DealSource, DealStatus, Partner
from models.enums import AlertState

MANAGER, CONTACT, DESK = "U0NAMGR", "U0EVILANN", "C0DEALDESK"
PROBLEM = "That is not a registration id."
"""A usage problem as the parsers write it: their own words, what was typed shown escaped."""


def hostile_deal(name: str, status: DealStatus = DealStatus.APPROVED) -> DealView:
    """A registration whose every typed or imported string is ``name``."""
    return DealView(
        external_id=name,
        status=status,
        source=DealSource.INFLUENCED,
        partner_id=1,
        partner_name=name,
        partner_region=name,
        partner_tier=name,
        partner_specialties=(name,),
        partner_channel="C0SHAREDEVIL",
        partner_manager=MANAGER,
        account_name=name,
        account_name_as_registered=f"{name}!",
        account_domain=name,
        amount=Decimal("48000.5"),
        currency="USD",
        product=name,
        expected_close=date(2026, 12, 1),
        notes=name,
        registered_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
        registered_by=CONTACT,
        decided_by=MANAGER,
        decided_at=datetime(2026, 11, 3, 9, tzinfo=UTC),
        decision_reason=name,
        expires_at=date(2027, 2, 1),
        influencers=(name, name),
    )


def hostile_card(name: str) -> StoredScorecard:
    months = ["2026-10", "2026-11"]
    return StoredScorecard(
        partner_id=1,
        external_id=name,
        name=name,
        tier=name,
        region=name,
        month=date(2026, 11, 1),
        currency="USD",
        score=61.5,
        score_previous_month=55.0,
        score_previous_quarter=50.0,
        peer_group=name,
        peers=12,
        metrics={},
        previous_metrics={},
        percentiles={},
        highlights=[{"metric": "revenue", "direction": 1, "text": name}],
        advice={
            "current": name,
            "recommended": name,
            "change": "down",
            "needs_approval": True,
            "next_tier": name,
            "gaps": [name],
            "keep_gaps": [name],
        },
        series={
            "months": months,
            "sourced_revenue": [1.0, 2.0],
            "influenced_revenue": [0.0, 1.0],
            "open_pipeline": [3.0, 4.0],
        },
        computed_at=datetime(2026, 12, 1, 2, tzinfo=UTC),
    )


def weekly(name: str, rows: int = 1) -> WeeklyDigest:
    figures = Compared(1.0, 2.0, 3.0)
    week = parse_period("2026-W47")
    return WeeklyDigest(
        program=name,
        currency="USD",
        week=week,
        risk_threshold=0.6,
        revenue=figures,
        sourced=figures,
        influenced=figures,
        deals_won=figures,
        pipeline=figures,
        movers_up=[Mover(1, name, name, 2.0, 1.0)] * rows,
        movers_down=[Mover(2, name, name, 1.0, 2.0)] * rows,
        registrations=Registrations(figures, 1.0, 1, 1, 1),
        risk_as_of=date(2026, 11, 22),
        at_risk=[AtRisk(1, name, name, 0.9, name, [name], True)] * rows,
        tier_month=date(2026, 11, 1),
        tier_changes=[TierChange(1, name, name, name, d, True) for d in ("up", "down")] * rows,
        rising=[RisingPartner(1, name, name, [name])] * rows,
        undelivered=[FailedDeliveries(name, name, 3)] * rows,
        trend=[WeekFigures(week, 1.0, 1.0, 1.0)],
    )


def qbr(name: str, rows: int = 1) -> QbrDigest:
    figures = Compared(1.0, 2.0, 3.0)
    return QbrDigest(
        partner_id=1,
        name=name,
        tier=name,
        channel="C0SHAREDEVIL",
        quarter=parse_period("2026-Q4"),
        currency="USD",
        target=10.0,
        sourced=figures,
        influenced=figures,
        deals_won=1,
        win_rate=0.5,
        avg_deal_size=1.0,
        wins=[Win(name, 1.0, name, date(2026, 11, 5))] * rows,
        pipeline=figures,
        registrations=1,
        certifications=1,
        new_certifications=1,
        scorecard=hostile_card(name),
    )


def renderings(name: str, rows: int = 1) -> Iterator[tuple[str, object]]:
    """Every renderer (``module.function``) and what it made of ``name``; lists of
    registrations, scorecards, proposals and the like ``rows`` times as long as one."""
    deal = hostile_deal(name)
    statuses = [hostile_deal(name, status) for status in DealStatus] * rows
    staff_view, partner_view = None, PartnerView(tier_advice="proposed")
    card = hostile_card(name)
    for staff in (True, False):
        yield "deal_messages.deal_status", deal_messages.deal_status(deal, staff=staff)
        yield (
            "deal_messages.deal_list",
            deal_messages.deal_list(
                name, statuses, 99 * rows, staff=staff, offset=20, next_value="active::40"
            ),
        )
    yield (
        "deal_messages.deal_list",
        deal_messages.deal_list(name, [], 0, staff=True, why_none="none waits"),
    )
    for audience in ("staff", "partner", "member", "stranger"):
        yield "deal_messages.deal_help", deal_messages.deal_help(audience)
        yield "deal_messages.deal_usage_error", deal_messages.deal_usage_error(PROBLEM, audience)
        yield "scorecard_messages.scorecard_help", scorecard_messages.scorecard_help(audience)
        yield (
            "scorecard_messages.scorecard_usage_error",
            scorecard_messages.scorecard_usage_error(PROBLEM, audience),
        )
    yield "deal_messages.deal_not_found", deal_messages.deal_not_found(name)
    yield "deal_messages.own_list_only", deal_messages.own_list_only()
    yield "deal_messages.registered", deal_messages.registered(deal)
    yield "deal_messages.duplicate", deal_messages.duplicate(name)
    yield "deal_messages.registered_in_conflict", deal_messages.registered_in_conflict(deal)
    yield "deal_messages.registration_problem", deal_messages.registration_problem(PROBLEM)
    yield "deal_messages.form_failed", deal_messages.form_failed()
    yield "deal_messages.approval_card", deal_messages.approval_card(deal, where(DESK), name)
    yield "deal_messages.conflict_card", deal_messages.conflict_card(statuses, name)
    yield "deal_messages.decided_card", deal_messages.decided_card(statuses)
    for notice in (
        deal_messages.notice_registered,
        deal_messages.notice_conflict_new,
        deal_messages.notice_conflict_earlier,
        deal_messages.notice_extended,
    ):
        yield f"deal_messages.{notice.__name__}", notice(deal)
    for decided in statuses:
        yield "deal_messages.notice_decided", deal_messages.notice_decided(decided)
    yield "registration_notices.expiry_reminder", registration_notices.expiry_reminder(deal, 3)
    reminder = registration_notices.expiry_reminder_for_manager(deal, 3, 90)
    yield "registration_notices.expiry_reminder_for_manager", reminder
    yield (
        "registration_notices.reminder_extended",
        registration_notices.reminder_extended(
            reminder.as_post()["blocks"], MANAGER, 90, date(2027, 5, 1)
        ),
    )
    waited = timedelta(hours=50)
    yield (
        "registration_notices.approval_nudge",
        registration_notices.approval_nudge(deal, waited, 48, where(DESK), name),
    )
    for view in (staff_view, partner_view):
        yield (
            "scorecard_messages.scorecard_card",
            scorecard_messages.scorecard_card(card, view, "F0CHART"),
        )
    yield "scorecard_messages.leaderboard", scorecard_messages.leaderboard(name, [card] * rows)
    yield "scorecard_messages.leaderboard", scorecard_messages.leaderboard(name, [])
    yield "scorecard_messages.no_such_scope", scorecard_messages.no_such_scope(name, [name] * 4)
    yield (
        "scorecard_messages.rising_list",
        scorecard_messages.rising_list([card] * rows, date(2026, 11, 1)),
    )
    yield "scorecard_messages.no_scorecard", scorecard_messages.no_scorecard(name)
    yield "scorecard_messages.own_only", scorecard_messages.own_only()
    yield "scorecard_messages.slow_down", scorecard_messages.slow_down(30)
    flags = [{"metric": name, "magnitude": 0.5, "since": "2026-08-01"}] * rows
    finding = Finding(
        1, AT_RISK, "high", 0.8, {"risk_band": name, "factors": [name] * rows, "flags": flags}
    )
    alert = alert_messages.alert_message(7, finding, name, name, 30)
    yield "alert_messages.alert_message", alert
    for state in AlertState:
        if state in alert_messages.ANSWERS.values():
            posted = alert.as_post()["blocks"]
            answered = alert_messages.answered(posted, state, MANAGER, "2026-12-01")
            yield "alert_messages.answered", answered
    yield "alert_messages.alerts_summary", alert_messages.alerts_summary([name] * 20 * rows, 5)
    changes = [TierChange(i, name, name, name, "down", True) for i in range(1, rows + 1)]
    review = tier_messages.tier_review_messages(changes, "November 2026")
    yield "tier_messages.tier_review_messages", review
    posted = review[0].as_post()["blocks"]
    yield (
        "tier_messages.decided",
        tier_messages.decided(posted, 1, f"approved: now gold (<@{MANAGER}>)"),
    )
    yield "digests.weekly_messages", digests.weekly_messages(weekly(name, rows))
    yield "digests.qbr_messages", digests.qbr_messages(qbr(name, rows), partner_view)
    yield "digests.qbr_messages", digests.qbr_messages(qbr(name, rows), digests.STAFF_VIEW)
    yield "digests.digest_help", digests.digest_help()
    yield "digests.digest_help", digests.digest_help(PROBLEM)
    yield "digests.digest_own_only", digests.digest_own_only()
    yield "digests.no_review", digests.no_review(parse_period("2026-Q4"))
    yield "digests.leadership_only", digests.leadership_only()
    for fresh in (True, False):
        yield "digests.digest_sent", digests.digest_sent(f"{name}'s review", fresh)
    metadata = {"channel": "C0GENERAL"}
    for for_staff in (True, False):
        yield (
            "deal_modals.register_modal",
            deal_modals.register_modal(
                for_staff=for_staff,
                partner_name=name,
                currencies=[f"C{n:02d}" for n in range(2 * rows)],
                metadata=metadata,
            ),
        )
    yield (
        "deal_modals.reject_modal",
        deal_modals.reject_modal(name, whole_conflict=True, metadata=metadata),
    )
    partner = Partner(id=1, external_id=name, name=name, region=name, tier=name)
    yield "deal_modals.partner_options", deal_modals.partner_options([partner] * rows)
    yield "malformed.out_of_date", malformed.out_of_date()
    yield "malformed.unreadable_text", malformed.unreadable_text()
    yield "blocks.stranger_refusal", blocks.stranger_refusal()
    yield "blocks.something_went_wrong", blocks.something_went_wrong()
    yield "blocks.database_unreachable", blocks.database_unreachable()
    yield "_access.staff_refusal", staff_refusal("decide registrations")
