"""Registering deals in tests: partners to register for, requests, and what was stored."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select, type_coerce
from sqlalchemy.orm import Session

from config.program import Program
from deals.registration import (
    RegistrationOutcome,
    RegistrationRequest,
    register,
)
from models import Account, AuditEntry, DealRegistration, DealStatus, Partner
from models.base import UTCDateTime
from models.db import make_session_factory

PROGRAM = Program()


def partners(engine: Engine, count: int) -> list[int]:
    with Session(engine) as session:
        rows = [
            Partner(external_id=f"P{i:03d}", name=f"Partner {i}", tier="silver", region="EMEA")
            for i in range(count)
        ]
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows]


def request(
    partner_id: int, name: str, domain: str | None = None, **extra: Any
) -> RegistrationRequest:
    values: dict[str, Any] = {
        "partner_id": partner_id,
        "account_name": name,
        "account_domain": domain,
        "amount": Decimal("25000.00"),
        "currency": "USD",
        "product": "Platform",
        "registered_by": f"U{partner_id:04d}",
    }
    values.update(extra)
    return RegistrationRequest(**values)


def submit(
    engine: Engine, req: RegistrationRequest, program: Program = PROGRAM
) -> RegistrationOutcome:
    with make_session_factory(engine).begin() as session:
        return register(session, req, program)


def deals(engine: Engine) -> dict[str, DealRegistration]:
    with Session(engine) as session:
        return {d.external_id: d for d in session.scalars(select(DealRegistration))}


def audit(engine: Engine) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def db_now(engine: Engine) -> datetime:
    with engine.connect() as connection:
        now = connection.scalar(select(type_coerce(func.now(), UTCDateTime())))
        assert now is not None
        return now


def existing_deal(
    engine: Engine, partner_id: int, name: str, domain: str | None, **extra: Any
) -> None:
    """A registration as the CRM import would leave it (explicit registered_at allowed)."""
    key = f"d:{domain}" if domain else f"n:{name.lower()}"
    with Session(engine) as session:
        account = Account(account_key=key, name=name, normalized_name=name.lower(), domain=domain)
        session.add(account)
        session.flush()
        values: dict[str, Any] = {
            "external_id": "CRM-1",
            "status": DealStatus.APPROVED,
            "amount": Decimal(1000),
            "currency": "USD",
        }
        values.update(extra)
        session.add(DealRegistration(partner_id=partner_id, account_id=account.id, **values))
        session.commit()
