"""Finding a partner from what someone typed: its id, its name in any case or spelling, or a
fragment. Used wherever a person names a partner (``/deal list``, the registration modal's
partner picker, scorecards), so an ambiguous or misspelt name gets suggestions, not an error."""

from collections.abc import Collection
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process, utils
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from deals.field_lengths import PARTNER_NAME
from models import Partner

SUGGESTION_CUTOFF = 60.0
"""rapidfuzz WRatio below which a partner is not worth suggesting."""


@dataclass(frozen=True)
class PartnerMatch:
    """``partner`` when the text names exactly one partner; else up to a few suggestions."""

    partner: Partner | None
    suggestions: list[Partner] = field(default_factory=list)


def resolve_partner(session: Session, text: str, *, suggestions: int = 5) -> PartnerMatch:
    """The partner ``text`` names: by id, by name ignoring case, or the one partner whose name
    contains it; otherwise the closest names as suggestions. A text longer than any name
    names nobody."""
    text = text.strip()
    if not text or len(text) > PARTNER_NAME:
        return PartnerMatch(None)
    exact = session.scalars(
        select(Partner)
        .where(
            or_(
                func.lower(Partner.external_id) == text.lower(),
                func.lower(Partner.name) == text.lower(),
            )
        )
        .limit(2)
    ).all()
    if len(exact) == 1:
        return PartnerMatch(exact[0])
    found = search_partners(session, text, limit=max(suggestions, 2))
    containing = [p for p in found if text.lower() in p.name.lower()]
    if len(containing) == 1:
        return PartnerMatch(containing[0])
    found = found[:suggestions]
    return PartnerMatch(None, found)


def search_partners(session: Session, text: str, *, limit: int = 20) -> list[Partner]:
    """Partners best matching ``text``: names containing it first (shortest first), then
    fuzzy matches. Names are compared in memory; ten thousand take a few milliseconds."""
    text = text.strip()
    if len(text) > PARTNER_NAME:
        return []
    names = session.execute(select(Partner.id, Partner.name)).all()
    needle = text.lower()
    contained = sorted((len(name), pid) for pid, name in names if needle in name.lower())
    ids = [pid for _, pid in contained[:limit]]
    if len(ids) < limit and text:
        taken = set(ids)
        choices = {pid: name for pid, name in names if pid not in taken}
        fuzzy = process.extract(
            text,
            choices,
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            limit=limit - len(ids),
            score_cutoff=SUGGESTION_CUTOFF,
        )
        ids += [pid for _, _, pid in fuzzy]
    if not ids:
        return []
    partners = {p.id: p for p in session.scalars(select(Partner).where(Partner.id.in_(ids)))}
    return [partners[pid] for pid in ids]


def partner_names(session: Session, ids: Collection[int]) -> dict[int, str]:
    """Partner id → name for ``ids``, to label rows that carry only the id."""
    return dict(session.execute(select(Partner.id, Partner.name).where(Partner.id.in_(ids))).all())


def shared_channels(session: Session) -> list[tuple[str, str]]:
    """(channel id, partner name) of every partner with a shared Slack channel."""
    rows = session.execute(
        select(Partner.slack_channel_id, Partner.name).where(Partner.slack_channel_id.is_not(None))
    )
    return [(channel, name) for channel, name in rows]
