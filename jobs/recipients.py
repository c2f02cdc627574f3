"""Who hears about a partner: its manager, by direct message, or — for a partner without a
manager — the program's alerts channel. Shared by alerts and the tier review."""

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.program import Program
from models import Partner

CHUNK = 1000


def manager_routes(
    session: Session, program: Program, partners: Collection[int]
) -> dict[int, tuple[str, str]]:
    """(partner name, recipient) per partner; partners with nobody to tell are left out."""
    fallback = program.channels.alerts
    wanted = sorted(partners)
    out = {}
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(Partner.id, Partner.name, Partner.manager_slack_id).where(
                Partner.id.in_(wanted[start : start + CHUNK])
            )
        ).all()
        for pid, name, manager in rows:
            if manager or fallback:
                out[pid] = (name, manager or fallback)
    return out
