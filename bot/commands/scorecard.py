"""``/scorecard``: a partner's weighted scorecard with a 12-month chart, and the leaderboard.

The card comes from the stored scorecard (``insights.scorecard_store``), computing the program's
scorecards first if none is stored, and is answered at once (``answer_command``). A chart not
drawn before follows: drawn (in the chart processes, warmed at start), uploaded once and
remembered with the scorecard, after which the card shown is replaced through ``response_url``
by the card with its chart — so the first ``/scorecard`` after a start shows the card within
milliseconds, not after 2–8 s. The chart is uploaded privately (``files_upload_v2`` without a
channel) and shown in the ephemeral card by file id, so it is never shared into a channel the
asker did not choose.

A partner contact gets their own partner's card and nothing else: naming another partner, by
name or id, or asking for the leaderboard, is refused before anything about that partner is
read.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.commands._access import (
    Asker,
    Rule,
    anyone,
    each,
    known,
    names_own_partner,
    not_stranger,
    partner_named,
    staff_or,
    staff_or_contact_of,
)
from bot.commands._listeners import AnswerLater, answer_command, button
from bot.commands._values import page_value, row_id
from bot.deps import Deps
from bot.identity import Identity
from bot.rate_limits import over_limit
from config.program import PartnerView, Program
from deals.lookup import DealFilter, find_deals
from insights.scorecard_store import (
    StoredScorecard,
    compute_and_store,
    latest_month,
    latest_scorecard,
    leaderboard,
    remember_chart,
    rising_scorecards,
)
from messages import deal_messages, scorecard_messages
from messages.blocks import Message, code, escape
from messages.charts import ChartsBusyError
from messages.digests import partner_qbr
from messages.malformed import out_of_date
from models import Partner
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
class RisingList:
    limit: int


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Usage:
    problem: str


ScorecardCommand = Card | Top | RisingList | Help | Usage


def parse(text: str, program: Program) -> ScorecardCommand:
    """``/scorecard {text}``: help, the leaderboard (``top [N] [REGION|TIER]``), the rising
    partners (``rising [N]``) or a card."""
    words = text.split()
    if not words:
        return Card(None)
    first = words[0].lower()
    if first == "help" and len(words) == 1:
        return Help()
    if first not in ("top", "rising"):
        return Card(" ".join(words))
    rest = words[1:]
    limit = 10
    if rest and rest[0].isascii() and rest[0].isdigit():
        digits = rest.pop(0).lstrip("0")
        if len(digits) > len(str(MAX_TOP)) or not 1 <= int(digits or 0) <= MAX_TOP:
            return Usage(f"Show 1 to {MAX_TOP} partners.")
        limit = int(digits)
    if first == "rising":
        return (
            RisingList(limit)
            if not rest
            else Usage(f"I did not understand {code(' '.join(rest))}.")
        )
    if len(rest) > 1:
        return Usage(f"I did not understand {code(' '.join(rest[1:]))}.")
    if not rest:
        return Top(limit)
    tiers = {t.lower() for t in program.tier_names}
    word = rest[0]
    return Top(limit, tier=word) if word.lower() in tiers else Top(limit, region=word)


KNOWN = known(COMMAND)


def _rule(parsed: ScorecardCommand) -> Rule:
    """Help and usage for anyone we can place, the leaderboard for staff, a card for people we
    know (a partner contact's own: checked once the partner named is known)."""
    if isinstance(parsed, Help):
        return anyone  # a stranger learns how to get access
    if isinstance(parsed, Usage):
        return not_stranger
    if isinstance(parsed, (Top, RisingList)):
        return each(KNOWN, staff_or(scorecard_messages.own_only))
    return KNOWN


def _ensure_scored(deps: Deps, session: Session) -> None:
    """Compute the program's scorecards once if none are stored (a fresh install), committed
    in a unit of work of their own: the asker's may go on to draw a chart, and must not hold
    the written month's locks meanwhile."""
    if latest_month(session) is not None:
        return
    with _first_scoring:
        if latest_month(session) is None:
            with deps.session_factory.begin() as scoring:
                yesterday = deps.program.today() - timedelta(days=1)  # as the nightly job
                compute_and_store(scoring, deps.program, yesterday)


class _Uploads:
    """The charts this process is drawing and uploading, by card: a request for a card whose
    chart is on its way waits for that upload instead of drawing and uploading it again (one
    person asking twice while the first card had no chart yet uploaded it twice)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[tuple[int, date], Future[str | None]] = {}

    def file_id(self, card: StoredScorecard, upload: Callable[[], str | None]) -> str | None:
        key = (card.partner_id, card.month)
        with self._lock:
            running = self._running.get(key)
            if running is None:
                mine = self._running[key] = Future()
        if running is not None:
            return running.result(timeout=60)
        try:
            file_id = upload()
        except BaseException as error:
            mine.set_exception(error)
            raise
        finally:
            with self._lock:
                del self._running[key]
        mine.set_result(file_id)
        return file_id


_uploads = _Uploads()


def _upload_chart(deps: Deps, client: WebClient, card: StoredScorecard) -> str | None:
    """The file id of the card's chart, drawn and uploaded privately once, then remembered
    with the scorecard; None when the upload failed (the card goes without). A full chart pool
    raises :class:`ChartsBusyError`."""
    try:
        chart = scorecard_messages.card_chart(card)
        content = deps.charts.revenue_chart(chart)
        with deps.session_factory.begin() as session:  # another process may have done it
            stored = latest_scorecard(session, card.partner_id)
            if stored and stored.month == card.month and stored.chart_file_id:
                return stored.chart_file_id
        uploaded = client.files_upload_v2(
            content=content,
            filename=chart.filename,
            title=escape(f"{card.name} — {card.month:%B %Y}"),
        )
    except (SlackApiError, SlackClientError, OSError, ValueError, TimeoutError) as error:
        logger.warning("chart upload for %s failed: %s", card.external_id, error)
        return None
    file_id = (uploaded.get("file") or {}).get("id")
    if file_id:
        with deps.session_factory.begin() as session:
            remember_chart(session, card, file_id)
    return file_id


def _add_chart(
    deps: Deps, client: WebClient, respond: Respond, card: StoredScorecard, view: PartnerView | None
) -> None:
    """Replace the card shown without its chart (through ``response_url``) by the card with
    it, once drawn and uploaded; without it, saying why, when that failed."""
    try:
        file_id = _uploads.file_id(card, lambda: _upload_chart(deps, client, card))
        shown = scorecard_messages.scorecard_card(card, view, file_id)
    except ChartsBusyError:  # another request took the room meanwhile
        shown = scorecard_messages.scorecard_card(card, view, chart_busy=True)
    except Exception:
        logger.exception("chart for %s failed", card.external_id)
        shown = scorecard_messages.scorecard_card(card, view)
    try:
        respond(**shown.as_ephemeral(), replace_original=True)
    except (SlackApiError, SlackClientError, OSError) as error:
        logger.warning("card update for %s failed: %s", card.external_id, error)


def _partner_for(session: Session, who: Identity, text: str | None) -> int | Message:
    if not who.is_staff:
        assert who.partner_id is not None
        if text is None or names_own_partner(session, who, text):
            return who.partner_id
        return scorecard_messages.own_only()
    if text is None:
        return scorecard_messages.scorecard_usage_error(
            "Which partner? For example `/scorecard Globex` or `/scorecard top 10 EMEA`.", "staff"
        )
    found = partner_named(session, text)
    return found if isinstance(found, Message) else found[0]


def _region_exists(session: Session, region: str) -> bool:
    """Whether any partner is in ``region`` (compared as the leaderboard does)."""
    found = select(Partner.id).where(func.lower(Partner.region) == region.lower()).limit(1)
    return session.scalar(found) is not None


def _wait(deps: Deps, who: Identity) -> int:
    """Count the asker's request (:func:`over_limit`) in a unit of work of its own, committed
    at once: the count's row (on SQLite, the whole database) must not stay locked while the
    card's chart is drawn."""
    with deps.session_factory.begin() as counting:
        key = f"{COMMAND}:{who.user_id}"
        return over_limit(counting, key, deps.settings.scorecards_per_minute)


ChartLater = Callable[[StoredScorecard, PartnerView | None], None]
"""Called by :func:`answer` for a card shown without its chart yet: draw it after answering."""


def answer(asker: Asker, deps: Deps, parsed: ScorecardCommand, chart_later: ChartLater) -> Message:
    """The answer to ``/scorecard`` for someone its rule let in: a card at once, its chart
    (when not drawn before) added by ``chart_later`` once the card is shown."""
    session, who = asker.session, asker.who
    if isinstance(parsed, Help):
        return scorecard_messages.scorecard_help(who.kind.value)
    if isinstance(parsed, Usage):
        return scorecard_messages.scorecard_usage_error(parsed.problem, who.kind.value)
    wait = _wait(deps, who)
    if wait:
        return scorecard_messages.slow_down(wait)
    if isinstance(parsed, Top):
        _ensure_scored(deps, session)
        cards = leaderboard(session, limit=parsed.limit, region=parsed.region, tier=parsed.tier)
        if not cards and parsed.region and not _region_exists(session, parsed.region):
            return scorecard_messages.no_such_scope(parsed.region, deps.program.tier_names)
        scope = f" · {parsed.region or parsed.tier}" if parsed.region or parsed.tier else ""
        month = f" · {cards[0].month:%B %Y}" if cards else ""
        return scorecard_messages.leaderboard(f"Top {parsed.limit}{scope}{month}", cards)
    if isinstance(parsed, RisingList):
        _ensure_scored(deps, session)
        month = latest_month(session)
        rising = rising_scorecards(session, month, parsed.limit) if month else []
        return scorecard_messages.rising_list(rising, month)
    partner = _partner_for(session, who, parsed.partner)
    if isinstance(partner, Message):
        return partner
    _ensure_scored(deps, session)
    card = latest_scorecard(session, partner)
    view = None if who.is_staff else deps.program.partner_view
    if card is None:
        return scorecard_messages.no_scorecard(parsed.partner or who.partner_name or "")
    if card.chart_file_id:  # drawn the first time it was asked for
        return scorecard_messages.scorecard_card(card, view, card.chart_file_id)
    if not deps.charts.has_room():  # answered at once, without the chart
        return scorecard_messages.scorecard_card(card, view, chart_busy=True)
    chart_later(card, view)
    return scorecard_messages.scorecard_card(card, view, chart_coming=True)


def register(app: App, deps: Deps) -> None:
    """Attach ``/scorecard`` and its card's buttons to ``app``."""

    @app.command(COMMAND)
    def on_command(
        command: dict[str, str], respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        parsed = parse(command.get("text", ""), deps.program)
        charts: list[tuple[StoredScorecard, PartnerView | None]] = []

        def work(asker: Asker, _later: AnswerLater) -> Message:
            return answer(asker, deps, parsed, lambda card, view: charts.append((card, view)))

        answer_command(respond, client, context, deps, command, _rule(parsed), work)
        for card, view in charts:  # the card is shown: now its chart
            _add_chart(deps, client, respond, card, view)

    def for_partner(what: str, show: Callable[[Asker, int], Message]) -> Callable[..., None]:
        """A card button showing something of the partner it names, to whoever may see that
        partner (a value naming no partner: staff are told the card was changed, a partner's
        contact that it is not theirs)."""

        def work(asker: Asker, _body: dict[str, Any], action: dict[str, Any]) -> Message:
            partner_id = row_id(action.get("value"))
            return out_of_date() if partner_id is None else show(asker, partner_id)

        def rule(action: dict[str, Any]) -> Rule:
            partner_id = row_id(action.get("value")) or 0
            return staff_or_contact_of(partner_id, scorecard_messages.own_only)

        return button(what, deps, rule, work)

    def deals(asker: Asker, partner_id: int) -> Message:
        found, total = find_deals(
            asker.session,
            DealFilter(partner_id=partner_id, statuses=ACTIVE_DEAL_STATUSES),
            limit=deal_messages.MAX_LISTED,
        )
        return deal_messages.deal_list(
            "Active registrations",
            found,
            total,
            staff=asker.who.is_staff,
            next_value=page_value("partner", partner_id, deal_messages.MAX_LISTED),
        )

    def qbr(asker: Asker, partner_id: int) -> Message:
        """The partner's business review of the last complete quarter: the one the worker
        posts in its channel."""
        today = deps.program.today()
        review = partner_qbr(asker.session, deps.program, today, partner_id)
        return review or scorecard_messages.no_scorecard(str(partner_id))

    app.action(scorecard_messages.DEALS)(for_partner("deals button", deals))
    app.action(scorecard_messages.QBR)(for_partner("QBR button", qbr))
