"""Who is asking and what they may do, for every listener, and the words for "no".

:func:`as_asker` is how every listener's work reaches the database, after the request is
acknowledged (``users.info`` and the database must never eat into Slack's 3 seconds; only an
options request, whose answer is its acknowledgement, waits for it): it
identifies the asker (``bot.identity``), answers with the refusal when the listener's
:data:`Rule` says they may not, and otherwise runs the work in one unit of work, committed when
the work returns and rolled back when it raises. What the work posts outside the answer (cards,
notices, updates of cards) it queues in the outbox with :meth:`Asker.queue`, in the same unit of
work, so a card never announces what was rolled back and none is lost when Slack fails; right
after the commit the request delivers what it queued (no lock is held while Slack answers), and
the worker retries what Slack refused then (``messages.delivery``)."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from slack_bolt import BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.identity import Identity, Kind, identify_asker
from deals.partner_lookup import resolve_partner
from messages.blocks import Message, code, escape, plain, stranger_refusal
from messages.delivery import Pacer, deliver_pending
from messages.outbox import enqueue, enqueue_message
from messages.partner_visible import partner_visible

T = TypeVar("T")
logger = logging.getLogger(__name__)

UNPACED = Pacer(interval_s=0)
"""A request delivers what it queued without pacing (Slack allows bursts); a rate limit leaves
the conversation's messages to the worker, after Slack's Retry-After."""

Rule = Callable[[Identity], Message | None]
"""Whether someone may do something: None if they may, else the refusal to show them."""


@dataclass
class Asker:
    """Who a request came from, and what its work runs on."""

    who: Identity
    session: Session
    """The request's unit of work: commit and rollback are :func:`as_asker`'s."""
    client: WebClient
    queued: list[str] = field(default_factory=list)
    """Keys of the outbox messages the work queued, delivered right after the commit."""

    def queue(
        self,
        *,
        key: str,
        kind: str,
        channel: str,
        message: Message,
        update_of: str | None = None,
        update_ts: str | None = None,
    ) -> None:
        """Queue ``message`` for ``channel`` in the outbox, in the work's transaction; with
        ``update_of`` or ``update_ts``, an update of a posted message (``messages.outbox``)."""
        queued = enqueue_message(
            self.session,
            key=key,
            kind=kind,
            channel=channel,
            message=message,
            update_of=update_of,
            update_ts=update_ts,
        )
        if queued:
            self.queued.append(key)

    def queue_update(
        self, *, key: str, kind: str, channel: str, ts: str, text: str, blocks: list[Any]
    ) -> None:
        """Queue the update of the message ``channel``/``ts`` (raw Block Kit ``blocks``)."""
        if enqueue(
            self.session,
            key=key,
            kind=kind,
            channel=channel,
            text=text,
            blocks=blocks,
            update_ts=ts,
        ):
            self.queued.append(key)


def as_asker(
    deps: Deps,
    client: WebClient,
    context: BoltContext,
    user_id: str,
    rule: Rule,
    work: Callable[[Asker], T],
) -> T | Message:
    """``work`` for ``user_id`` in a unit of work if ``rule`` lets them, else the refusal."""
    with deps.session_factory.begin() as session:
        asker = Asker(
            identify_asker(session, client, deps.teams, context, user_id), session, client
        )
        refusal = rule(asker.who)
        if refusal is not None:
            return refusal
        result = work(asker)
    try:
        deliver_pending(deps.session_factory, deps.outbox_client, pacer=UNPACED, keys=asker.queued)
    except Exception:  # committed and queued: the worker delivers it, the asker gets the answer
        logger.exception("could not deliver %d queued messages now", len(asker.queued))
    return result


# --- rules -----------------------------------------------------------------------------------


def each(*rules: Rule) -> Rule:
    """The first refusal of ``rules``, in order."""

    def rule(who: Identity) -> Message | None:
        for check in rules:
            if (refusal := check(who)) is not None:
                return refusal
        return None

    return rule


def anyone(_who: Identity) -> Message | None:
    """Everyone, strangers included: what help needs, which tells a stranger how to join."""
    return None


def not_stranger(who: Identity) -> Message | None:
    """Anyone but a stranger: what help and usage answers need."""
    return stranger_refusal() if who.is_stranger else None


def known(command: str) -> Rule:
    """Staff and partner contacts; an unknown member of our workspace is told how to be added
    (``command``'s help is all they get until then)."""

    def rule(who: Identity) -> Message | None:
        if who.kind is Kind.MEMBER:
            return plain(
                f"I do not know you yet, so `{command}` can only show its help "
                f"(`{command} help`). Ask a partnerbot admin to add you to the people file "
                "(`partnerbot import people`)."
            )
        return not_stranger(who)

    return rule


def staff_or(refusal: Callable[[], Message]) -> Rule:
    """Partner managers and leadership only; anyone else gets ``refusal``."""

    def rule(who: Identity) -> Message | None:
        return None if who.is_staff else refusal()

    return rule


@partner_visible
def staff_refusal(doing: str) -> Message:
    """What a partner contact (or anyone not staff) is told; ``doing`` completes "Only … can"."""
    return plain(f"Only partner managers and leadership can {doing}.")


def staff_only(doing: str) -> Rule:
    """Staff only, refused in so many words (:func:`staff_refusal`)."""
    return staff_or(lambda: staff_refusal(doing))


def staff_or_contact_of(partner_id: int, refusal: Callable[[], Message]) -> Rule:
    """Staff, and the contacts of partner ``partner_id``: a partner sees only its own."""

    def rule(who: Identity) -> Message | None:
        mine = who.kind is Kind.PARTNER and who.partner_id == partner_id
        return None if who.is_staff or mine else refusal()

    return rule


# --- naming a partner --------------------------------------------------------------------------


def partner_named(session: Session, text: str) -> tuple[int, str] | Message:
    """The partner ``text`` names (id and name), else the question or answer for staff who
    typed it: which of the closest they mean, or that there is none by that name."""
    match = resolve_partner(session, text)
    if match.partner is not None:
        return match.partner.id, match.partner.name
    if match.suggestions:
        names = ", ".join(f"*{escape(p.name)}*" for p in match.suggestions)
        return plain(f"Which partner do you mean by {code(text)}? Closest: {names}.")
    return plain(f"I know no partner called {code(text)}.")


def names_own_partner(session: Session, who: Identity, text: str) -> bool:
    """Whether ``text`` names the asker's own partner: the one partner a contact may name."""
    match = resolve_partner(session, text)
    return match.partner is not None and match.partner.id == who.partner_id
