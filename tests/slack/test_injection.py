"""Mention and link injection (issue 17): nothing a partner contact, a manager or a CSV export
typed reaches Slack as markup. Whatever the names hold (``<!here>``, ``<!channel>``, mentions,
links, entities), the bot's messages, modals, options and file titles show them escaped once,
and the only markup left is the bot's own mentions of its users and channels.

Every renderer is checked with hostile names in every field with :func:`messages.blocks.defang`
(the backstop in ``fit``) switched off, so a renderer that forgets to escape fails here even
though the backstop would save it in production; then the app is driven over signed HTTP as a
partner contact and a manager would, with partners and people imported from CSV under such
names, and everything the fake Slack received is searched."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

from hypothesis import example, given, settings
from slack_sdk.models.views import View

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
    WeekFigures,
    WeeklyDigest,
    Win,
    parse_period,
)
from insights.scorecard_store import StoredScorecard
from insights.tier_review import TierChange
from messages import deal_messages, deal_modals, registration_notices, scorecard_messages
from messages.alert_messages import alert_message, alerts_summary
from messages.blocks import Message, fit, section, where
from messages.digests import qbr_messages, weekly_messages
from messages.tier_messages import tier_review_messages
from models import DealSource, DealStatus, Partner
from tests.hostile_markup import markup_names, strings, unescaped_markup

MANAGER, CONTACT, DESK = "U0NAMGR", "U0EVILANN", "C0DEALDESK"
OWN_MENTIONS = (f"<@{MANAGER}>", f"<@{CONTACT}>", f"<#{DESK}>")
AMPERSAND = "Tom & Jerry <Ltd>"
ONCE = "Tom &amp; Jerry &lt;Ltd&gt;"


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


def weekly(name: str) -> WeeklyDigest:
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
        movers_up=[Mover(1, name, name, 2.0, 1.0)],
        movers_down=[Mover(2, name, name, 1.0, 2.0)],
        registrations=Registrations(figures, 1.0, 1, 1, 1),
        risk_as_of=date(2026, 11, 22),
        at_risk=[AtRisk(1, name, name, 0.9, name, [name], True)],
        tier_month=date(2026, 11, 1),
        tier_changes=[TierChange(1, name, name, name, d, True) for d in ("up", "down")],
        undelivered=[FailedDeliveries(name, name, 3)],
        trend=[WeekFigures(week, 1.0, 1.0, 1.0)],
    )


def qbr(name: str) -> QbrDigest:
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
        wins=[Win(name, 1.0, name, date(2026, 11, 5))],
        pipeline=figures,
        registrations=1,
        certifications=1,
        new_certifications=1,
        scorecard=hostile_card(name),
    )


def renderings(name: str) -> Iterator[tuple[str, object]]:
    """Every renderer, fed ``name`` wherever it takes what someone typed or imported."""
    deal = hostile_deal(name)
    statuses = [hostile_deal(name, status) for status in DealStatus]
    staff_view, partner_view = None, PartnerView(tier_advice="proposed")
    card = hostile_card(name)
    for staff in (True, False):
        yield "deal_status", deal_messages.deal_status(deal, staff=staff)
        yield "deal_list", deal_messages.deal_list(name, statuses, 99, staff=staff)
    yield "deal_list (none)", deal_messages.deal_list(name, [], 0, staff=True)
    yield "deal_not_found", deal_messages.deal_not_found(name)
    yield "registered", deal_messages.registered(deal)
    yield "duplicate", deal_messages.duplicate(name)
    yield "registered_in_conflict", deal_messages.registered_in_conflict(deal)
    yield "approval_card", deal_messages.approval_card(deal, where(DESK), name)
    yield "conflict_card", deal_messages.conflict_card(statuses, name)
    yield "decided_card", deal_messages.decided_card(statuses)
    for notice in (
        deal_messages.notice_registered,
        deal_messages.notice_conflict_new,
        deal_messages.notice_conflict_earlier,
        deal_messages.notice_extended,
    ):
        yield notice.__name__, notice(deal)
    for decided in statuses:
        yield "notice_decided", deal_messages.notice_decided(decided)
    yield "expiry_reminder", registration_notices.expiry_reminder(deal, 3)
    yield "for_manager", registration_notices.expiry_reminder_for_manager(deal, 3)
    waited = timedelta(hours=50)
    yield "approval_nudge", registration_notices.approval_nudge(deal, waited, 48, where(DESK), name)
    for view in (staff_view, partner_view):
        yield "scorecard_card", scorecard_messages.scorecard_card(card, view, "F0CHART")
    yield "leaderboard", scorecard_messages.leaderboard(name, [card])
    yield "leaderboard (none)", scorecard_messages.leaderboard(name, [])
    yield "no_scorecard", scorecard_messages.no_scorecard(name)
    flags = [{"metric": name, "magnitude": 0.5, "since": "2026-08-01"}]
    finding = Finding(
        1, AT_RISK, "high", 0.8, {"risk_band": name, "factors": [name], "flags": flags}
    )
    yield "alert_message", alert_message(7, finding, name, name, 30)
    yield "alerts_summary", alerts_summary([name] * 20, 5)
    yield (
        "tier_review",
        tier_review_messages([TierChange(1, name, name, name, "down", True)], "November 2026"),
    )
    yield "weekly_digest", weekly_messages(weekly(name))
    yield "qbr", qbr_messages(qbr(name), partner_view)
    metadata = {"channel": "C0GENERAL"}
    yield (
        "register_modal",
        deal_modals.register_modal(
            for_staff=False, partner_name=name, currencies=["USD"], metadata=metadata
        ),
    )
    yield "reject_modal", deal_modals.reject_modal(name, whole_conflict=True, metadata=metadata)
    partner = Partner(id=1, external_id=name, name=name, region=name, tier=name)
    yield "partner_options", deal_modals.partner_options([partner])


def shown(output: object) -> Iterator[str]:
    """The strings Slack is given of a rendering: each part ``fit`` makes of a message (text
    and blocks), a modal, options."""
    if isinstance(output, Message):
        for part in fit(output):
            yield part.text
            yield from strings([block.to_dict() for block in part.blocks])
    elif isinstance(output, list):
        for item in output:
            yield from shown(item)
    elif isinstance(output, View):
        yield from strings(output.to_dict())
    else:
        yield from strings(output)


def markup_in(name: str) -> dict[str, list[str]]:
    """What each renderer shows of ``name`` as markup, the backstop in ``fit`` switched off."""
    found: dict[str, list[str]] = {}
    with mock.patch("messages.blocks.defang", lambda text: text):
        for kind, output in renderings(name):
            for text in shown(output):
                if bad := unescaped_markup(text, OWN_MENTIONS):
                    found.setdefault(kind, []).extend(bad)
    return found


@settings(max_examples=25, deadline=None)
@given(name=markup_names)
@example(name="<!here> <https://evil.example/login|Acme SSO login>")
@example(name="<!channel> Holdings")
def test_every_renderer_escapes_what_people_typed(name: str) -> None:
    assert markup_in(name) == {}


def test_a_name_with_an_ampersand_is_escaped_exactly_once() -> None:
    texts = [text for _, output in renderings(AMPERSAND) for text in shown(output)]
    assert sum(ONCE in text for text in texts) > 40
    assert not [t for t in texts if "&amp;amp;" in t or "&amp;lt;" in t or AMPERSAND in t]


def test_fit_defangs_markup_a_renderer_forgot_to_escape() -> None:
    """The backstop: a renderer that writes a name raw still cannot ping or link."""
    raw = "<!channel> <https://evil.example|login> <@U9EVIL> &amp; <@U0NAMGR> <#C0DEALDESK>"
    (part,) = fit(Message(raw, [section(raw)]))
    fitted = [part.text, part.blocks[0].to_dict()["text"]["text"]]
    assert (
        fitted
        == [
            "&lt;!channel> &lt;https://evil.example|login> <@U9EVIL> &amp; <@U0NAMGR> <#C0DEALDESK>"
        ]
        * 2
    )
