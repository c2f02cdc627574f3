"""``/digest``: the latest digests on demand, without waiting for the worker's schedule.

Leadership get last week's leadership digest, staff (``/digest qbr PARTNER``) a partner's last
quarter's business review in full. Both are long, with a chart: they go to the asker's direct
messages through the outbox (which draws and uploads the chart), where they stay — Slack's
guidance keeps ephemeral answers short, and they vanish on reload — once per asker and
period. A partner contact gets their own partner's review, as the worker posts it in their
channel (``[partner_view]``), as the answer itself: the bot cannot message someone of another
organisation directly. Naming another partner is refused before anything about it is read, as
for ``/scorecard``. Only whole weeks and quarters are shown (``last_complete``).
"""

from dataclasses import dataclass

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient
from sqlalchemy import select

from bot.commands._access import (
    Asker,
    Rule,
    known,
    names_own_partner,
    not_stranger,
    partner_named,
)
from bot.commands._listeners import AnswerLater, answer_command
from bot.deps import Deps
from insights.digests import last_complete, qbr_digests, weekly_digest
from messages.blocks import Message, code
from messages.digests import (
    DIGEST_COMMAND,
    QBR,
    STAFF_VIEW,
    WEEKLY,
    digest_help,
    digest_own_only,
    digest_sent,
    leadership_only,
    no_review,
    partner_qbr,
    qbr_key,
    qbr_messages,
    weekly_key,
    weekly_messages,
)
from models import OutboxMessage, PersonRole

COMMAND = DIGEST_COMMAND


@dataclass(frozen=True)
class Latest:
    """``/digest``: the asker's own latest digest (leadership: the week's; a contact: the
    partner's QBR)."""


@dataclass(frozen=True)
class Review:
    partner: str | None


@dataclass(frozen=True)
class Help:
    problem: str | None = None


DigestCommand = Latest | Review | Help


def parse(text: str) -> DigestCommand:
    words = text.split()
    first = words[0].lower() if words else ""
    if not words or (first == "weekly" and len(words) == 1):
        return Latest()
    if first == "help" and len(words) == 1:
        return Help()
    if first == "qbr":
        return Review(" ".join(words[1:]) or None)
    return Help(f"I did not understand {code(text)}.")


def _rule(parsed: DigestCommand) -> Rule:
    return not_stranger if isinstance(parsed, Help) else known(COMMAND)


def _sent_before(asker: Asker, key: str) -> bool:
    """Whether the digest under ``key`` was sent before: not computed again."""
    found = select(OutboxMessage.id).where(OutboxMessage.key == key)
    return asker.session.scalar(found) is not None


def _to_direct_messages(asker: Asker, key: str, kind: str, messages: list[Message]) -> bool:
    """Queue ``messages`` for the asker's direct messages under ``key``; False when they were
    queued before (asked for earlier), and nothing is queued."""
    before = len(asker.queued)
    for part, message in enumerate(messages, start=1):
        asker.queue(
            key=key if part == 1 else f"{key}:{part}",
            kind=kind,
            channel=asker.who.user_id,
            message=message,
        )
        if part == 1 and len(asker.queued) == before:
            return False
    return True


def answer(asker: Asker, deps: Deps, parsed: DigestCommand, later: AnswerLater) -> Message:
    """The answer to ``/digest`` for someone its rule let in; ``later`` before computing a
    digest (a program's week takes a while), so no request thread waits for it."""
    session, who, program = asker.session, asker.who, deps.program
    if isinstance(parsed, Help):
        return digest_help(parsed.problem)
    today = program.today()
    quarter = last_complete("quarter", today)
    if not who.is_staff:
        assert who.partner_id is not None
        named = parsed.partner if isinstance(parsed, Review) else None
        if named is not None and not names_own_partner(session, who, named):
            return digest_own_only()
        later()
        review = partner_qbr(session, program, today, who.partner_id)
        return review or no_review(quarter)
    if isinstance(parsed, Latest):
        if who.role is not PersonRole.LEADERSHIP:
            return leadership_only()
        week = last_complete("week", today)
        what, key = f"Week {week.label}'s digest", f"asked:{weekly_key(week)}:{who.user_id}"
        if _sent_before(asker, key):
            return digest_sent(what, fresh=False)
        later()
        digest = weekly_messages(weekly_digest(session, program, week))
        return digest_sent(what, _to_direct_messages(asker, key, WEEKLY, digest))
    if parsed.partner is None:
        return digest_help("Which partner? For example `/digest qbr Globex`.")
    found = partner_named(session, parsed.partner)
    if isinstance(found, Message):
        return found
    partner_id, name = found
    what = f"{name}'s {quarter.label} business review"
    key = f"asked:{qbr_key(quarter, partner_id)}:{who.user_id}"
    if _sent_before(asker, key):
        return digest_sent(what, fresh=False)
    later()
    reviews = qbr_digests(session, program, quarter, [partner_id])
    if not reviews:
        return no_review(quarter)
    fresh = _to_direct_messages(asker, key, QBR, qbr_messages(reviews[0], STAFF_VIEW))
    return digest_sent(what, fresh)


def register(app: App, deps: Deps) -> None:
    """Attach ``/digest`` to ``app``."""

    @app.command(COMMAND)
    def on_command(
        command: dict[str, str], respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        parsed = parse(command.get("text", ""))

        def work(asker: Asker, later: AnswerLater) -> Message:
            return answer(asker, deps, parsed, later)

        answer_command(respond, client, context, deps, command, _rule(parsed), work)
