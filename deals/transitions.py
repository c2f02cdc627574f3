"""Status changes of registrations, each one audited. Every change is a compare-and-set: the
``where`` clause names the status the row must still have, so two people deciding the same
registration at once cannot both win; the second finds nothing to move."""

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Row, func, update
from sqlalchemy.orm import Session

from models import AuditEntry, DealRegistration

MovedRow = Row[Any]
"""external_id, partner_id, status and expires_at of a registration after the move."""


def move(
    session: Session,
    where: Sequence[Any],
    values: dict[str, Any],
    *,
    actor: str,
    action: str,
    detail: Callable[[MovedRow], dict[str, object]],
) -> list[MovedRow]:
    """Apply ``values`` (a new ``status`` and whatever goes with it) to the registrations
    matching ``where`` and audit each one moved. Returns the moved rows."""
    moved = session.execute(
        update(DealRegistration)
        .where(*where)
        .values(**values, updated_at=func.now())
        .returning(
            DealRegistration.external_id,
            DealRegistration.partner_id,
            DealRegistration.status,
            DealRegistration.expires_at,
        ),
        execution_options={"synchronize_session": False},
    ).all()
    session.add_all(
        AuditEntry(
            actor=actor,
            action=action,
            entity="deal",
            entity_id=row.external_id,
            detail=detail(row),
        )
        for row in moved
    )
    session.flush()
    return list(moved)
