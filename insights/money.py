"""Amounts in the program's reporting currency, using the rates in program.toml."""

from decimal import Decimal

from sqlalchemy import ColumnElement, case, literal

from config.program import Program


def rate(program: Program, currency: str) -> Decimal:
    """One unit of ``currency`` in program currency; KeyError for a currency without a rate."""
    if currency == program.info.currency:
        return Decimal(1)
    return Decimal(str(program.currencies[currency]))


def known_currencies(program: Program) -> set[str]:
    return {program.info.currency, *program.currencies}


def converted(
    amount: ColumnElement[Decimal], currency: ColumnElement[str], program: Program
) -> ColumnElement[Decimal]:
    """SQL expression: ``amount`` converted to program currency."""
    if not program.currencies:
        return amount
    rates = {code: literal(rate(program, code)) for code in program.currencies}
    return amount * case(rates, value=currency, else_=literal(Decimal(1)))
