"""Who is asking and what they may do, for every listener, and the words for "no".

:func:`as_asker` is how every listener's work reaches the database, after the request is
acknowledged (``users.info`` and the database must never eat into Slack's 3 seconds; only an
options request, whose answer is its acknowledgement, waits for it): it
identifies the asker (``bot.identity``), answers with the refusal when the listener's
:data:`Rule` says they may not, and otherwise runs the work in one unit of work, committed when
the work returns and rolled back when it raises. The Slack posts the work schedules with
:meth:`Asker.after_commit` follow the commit, so a card never announces what was rolled back
and no lock is held while Slack answers."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from slack_bolt import BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.identity import Identity, Kind, identify_asker
from deals.partner_lookup import resolve_partner
from messages.blocks import Message, code, escape, plain, stranger_refusal
from messages.partner_visible import partner_visible

T = TypeVar("T")

Rule = Callable[[Identity], Message | None]
"""Whether someone may do something: None if they may, else the refusal to show them."""


@dataclass
class Asker:
    """Who a request came from, and what its work runs on."""

    who: Identity
    session: Session
    """The request's unit of work: commit and rollback are :func:`as_asker`'s."""
    client: WebClient
    _after_commit: list[Callable[[], object]] = field(default_factory=list)

    def after_commit(self, send: Callable[[], object]) -> None:
        """Run ``send`` (a post or update in Slack) once the work is committed."""
        self._after_commit.append(send)


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
    for send in asker._after_commit:
        send()
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


def not_stranger(who: Identity) -> Message | None:
    """Anyone but a stranger: what help and usage answers need."""
    return stranger_refusal() if who.is_stranger else None


def known(command: str) -> Rule:
    """Staff and partner contacts; an unknown member of our workspace is told how to be added
    (``command``'s help is all they get)."""

    def rule(who: Identity) -> Message | None:
        if who.kind is Kind.MEMBER:
            return plain(
                f"I do not know you yet, so I can only show `{command} help`. Ask a partnerbot "
                "admin to add you to the people file (`partnerbot import people`)."
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
