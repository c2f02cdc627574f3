"""``/scorecard``: a partner's weighted scorecard with a 12-month chart, and the leaderboard.

The card comes from the stored scorecard (``insights.scorecard_store``), computing the program's
scorecards first if none is stored; it is answered in the acknowledgement when ready in time
(``answer_command``: a card whose chart was drawn before), else through ``response_url`` —
acknowledged at once when its chart must first be drawn, so no request thread waits on it.
The chart is uploaded privately (``files_upload_v2`` without a channel) and shown in the
ephemeral card by file id, so it is never shared into a channel the asker did not choose.

A partner contact gets their own partner's card and nothing else: naming another partner, by
name or id, or asking for the leaderboard, is refused before anything about that partner is
read.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.orm import Session

from bot.commands._listeners import AnswerLater, Click, answer_command, button
from bot.commands.deal import unknown_member
from bot.deps import Deps
from bot.identity import Identity, Kind, identify_asker
from bot.rate_limits import over_limit
from config.program import Program
from deals.lookup import DealFilter, find_deals
from deals.partner_lookup import resolve_partner
from insights.scorecard_store import (
    StoredScorecard,
    compute_and_store,
    latest_month,
    latest_scorecard,
    leaderboard,
    remember_chart,
)
from messages import deal_messages, scorecard_messages
from messages.blocks import Message, code, escape, plain, stranger_refusal
from messages.charts import ChartRenderer, ChartsBusyError
from messages.digests import partner_qbr
from models.enums import ACTIVE_DEAL_STATUSES

COMMAND = scorecard_messages.COMMAND
MAX_TOP = 25

logger = logging.getLogger(__name__)
_first_scoring = threading.Lock()


@dataclass(frozen=True)
class Card:
    partner: str | None


@dataclass(frozen=True)
class Top:
    limit: int
    region: str | None = None
    tier: str | None = None


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Usage:
    problem: str


ScorecardCommand = Card | Top | Help | Usage


def parse(text: str, program: Program) -> ScorecardCommand:
    """``/scorecard {text}``: help, the leaderboard (``top [N] [REGION|TIER]``) or a card."""
    words = text.split()
    if not words:
        return Card(None)
    first = words[0].lower()
    if first == "help" and len(words) == 1:
        return Help()
    if first != "top":
        return Card(" ".join(words))
    rest = words[1:]
    limit = 10
    if rest and rest[0].isascii() and rest[0].isdigit():
        limit = int(rest.pop(0))
        if not 1 <= limit <= MAX_TOP:
            return Usage(f"Show 1 to {MAX_TOP} partners.")
    if len(rest) > 1:
        return Usage(f"I did not understand {code(' '.join(rest[1:]))}.")
    if not rest:
        return Top(limit)
    tiers = {t.lower() for t in program.tier_names}
    word = rest[0]
    return Top(limit, tier=word) if word.lower() in tiers else Top(limit, region=word)


def _ensure_scored(session: Session, program: Program) -> None:
    """Compute the program's scorecards once if none are stored (a fresh install)."""
    if latest_month(session) is not None:
        return
    with _first_scoring:
        if latest_month(session) is None:
            compute_and_store(session, program, program.today())


def _scorecard(session: Session, program: Program, partner_id: int) -> StoredScorecard | None:
    _ensure_scored(session, program)
    return latest_scorecard(session, partner_id)


def _upload_chart(
    session: Session, client: WebClient, charts: ChartRenderer, card: StoredScorecard
) -> str | None:
    """The file id of the card's chart, drawn and uploaded privately, then remembered with the
    scorecard; None when the upload failed (the card goes without). A full chart pool raises
    :class:`ChartsBusyError`."""
    try:
        chart = scorecard_messages.card_chart(card)
        uploaded = client.files_upload_v2(
            content=charts.revenue_chart(chart),
            filename=chart.filename,
            title=f"{card.name} — {card.month:%B %Y}",
        )
    except (SlackApiError, SlackClientError, OSError, ValueError, TimeoutError) as error:
        logger.warning("chart upload for %s failed: %s", card.external_id, error)
        return None
    file_id = (uploaded.get("file") or {}).get("id")
    if file_id:
        remember_chart(session, card, file_id)
    return file_id


def _partner_for(session: Session, who: Identity, text: str | None) -> int | Message:
    if not who.is_staff:
        assert who.partner_id is not None
        if text is None:
            return who.partner_id
        match = resolve_partner(session, text)
        if match.partner is not None and match.partner.id == who.partner_id:
            return who.partner_id
        return scorecard_messages.own_only()
    if text is None:
        return scorecard_messages.scorecard_usage_error(
            "Which partner? For example `/scorecard Globex` or `/scorecard top 10 EMEA`."
        )
    match = resolve_partner(session, text)
    if match.partner is not None:
        return match.partner.id
    if match.suggestions:
        names = ", ".join(f"*{escape(p.name)}*" for p in match.suggestions)
        return plain(f"Which partner do you mean by {code(text)}? Closest: {names}.")
    return plain(f"I know no partner called {code(text)}.")


def answer(
    session: Session,
    client: WebClient,
    deps: Deps,
    who: Identity,
    parsed: ScorecardCommand,
    later: AnswerLater,
) -> Message:
    program = deps.program
    if who.is_stranger:
        return stranger_refusal()
    if isinstance(parsed, Help):
        return scorecard_messages.scorecard_help()
    if isinstance(parsed, Usage):
        return scorecard_messages.scorecard_usage_error(parsed.problem)
    if who.kind is Kind.MEMBER:
        return unknown_member()
    wait = over_limit(session, f"{COMMAND}:{who.user_id}", deps.settings.scorecards_per_minute)
    if wait:
        return plain(f"That is a lot of scorecards in a minute: try again in {wait} s.")
    if isinstance(parsed, Top):
        if not who.is_staff:
            return scorecard_messages.own_only()
        _ensure_scored(session, program)
        cards = leaderboard(session, limit=parsed.limit, region=parsed.region, tier=parsed.tier)
        scope = f" · {parsed.region or parsed.tier}" if parsed.region or parsed.tier else ""
        month = f" · {cards[0].month:%B %Y}" if cards else ""
        return scorecard_messages.leaderboard(f"Top {parsed.limit}{scope}{month}", cards)
    partner = _partner_for(session, who, parsed.partner)
    if isinstance(partner, Message):
        return partner
    card = _scorecard(session, program, partner)
    if card is None:
        return scorecard_messages.no_scorecard(parsed.partner or who.partner_name or "")
    if card.chart_file_id:  # drawn the first time it was asked for
        return scorecard_messages.scorecard_card(card, card.chart_file_id)
    if not deps.charts.has_room():  # answered at once, without the chart
        return scorecard_messages.scorecard_card(card, chart_busy=True)
    later()  # a chart to draw and upload: the card follows through response_url
    try:
        return scorecard_messages.scorecard_card(
            card, _upload_chart(session, client, deps.charts, card)
        )
    except ChartsBusyError:  # another request took the room meanwhile
        return scorecard_messages.scorecard_card(card, chart_busy=True)


def _may_see(who: Identity, partner_id: int) -> bool:
    return who.is_staff or (who.kind is Kind.PARTNER and who.partner_id == partner_id)


def register(app: App, deps: Deps) -> None:
    """Attach ``/scorecard`` and its card's buttons to ``app``."""

    @app.command(COMMAND)
    def on_command(
        ack: Ack, command: dict[str, str], respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        user_id = command["user_id"]

        def work(later: AnswerLater) -> Message:
            with deps.session_factory.begin() as session:
                who = identify_asker(session, client, deps.teams, context, user_id)
                parsed = parse(command.get("text", ""), deps.program)
                return answer(session, client, deps, who, parsed, later)

        answer_command(ack, respond, deps, COMMAND, user_id, work)

    def for_partner(show: Callable[[Session, int], Message]) -> Click:
        """A card button showing something of the partner it names, if the clicker may see
        that partner."""

        def work(
            body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
        ) -> Message:
            value = str(action.get("value", ""))
            partner_id = int(value) if value.isdigit() else -1
            with deps.session_factory.begin() as session:
                who = identify_asker(session, client, deps.teams, context, body["user"]["id"])
                if not _may_see(who, partner_id):
                    return scorecard_messages.own_only()
                return show(session, partner_id)

        return work

    def deals(session: Session, partner_id: int) -> Message:
        found, total = find_deals(
            session,
            DealFilter(partner_id=partner_id, statuses=ACTIVE_DEAL_STATUSES),
            limit=deal_messages.MAX_LISTED,
        )
        return deal_messages.deal_list("Active registrations", found, total, with_partner=False)

    def qbr(session: Session, partner_id: int) -> Message:
        """The partner's business review of the last complete quarter: the one the worker
        posts in its channel."""
        today = deps.program.today()
        review = partner_qbr(session, deps.program, today, partner_id)
        return review or scorecard_messages.no_scorecard(str(partner_id))

    app.action(scorecard_messages.DEALS)(button("deals button", for_partner(deals)))
    app.action(scorecard_messages.QBR)(button("QBR button", for_partner(qbr)))
