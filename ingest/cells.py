"""Cell parsers for CSV import. Each turns a non-empty string into a typed value or raises
``ValueError`` with a message a user can act on."""

import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

Parser = Callable[[str], object]

_MONEY_NOISE = re.compile(r"[\s,$€£¥]")
_MAX_MONEY = Decimal("1e16")
_SLACK_ID = re.compile(r"^[A-Z0-9]{2,32}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def text(max_length: int) -> Parser:
    def parse(value: str) -> str:
        if len(value) > max_length:
            raise ValueError(f"longer than {max_length} characters")
        return value

    return parse


def money(value: str) -> Decimal:
    cleaned = _MONEY_NOISE.sub("", value)
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not a number")
    if amount < 0:
        raise ValueError(f"{value!r} is negative")
    if amount >= _MAX_MONEY:
        raise ValueError(f"{value!r} is too large")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"{value!r} has more than 2 decimals")
    return amount.quantize(Decimal("0.01"))


def day(value: str) -> date:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        pass
    try:
        return datetime.strptime(value, "%m/%d/%Y").date()
    except ValueError:
        raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD)") from None


def timestamp(value: str) -> datetime:
    """ISO 8601 with or without offset (no offset means UTC), or a plain date."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = datetime.combine(day(value), datetime.min.time())
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def choice(enum: type[StrEnum], spellings: dict[str, StrEnum] | None = None) -> Parser:
    """One of ``enum``'s values, case-insensitive, plus extra CRM spellings."""
    accepted: dict[str, StrEnum] = {_fold(m.value): m for m in enum}
    accepted |= {_fold(k): v for k, v in (spellings or {}).items()}
    listing = ", ".join(m.value for m in enum)

    def parse(value: str) -> StrEnum:
        try:
            return accepted[_fold(value)]
        except KeyError:
            raise ValueError(f"{value!r} is not one of {listing}") from None

    return parse


def one_of(names: Iterable[str], what: str) -> Parser:
    known = tuple(names)

    def parse(value: str) -> str:
        if value not in known:
            raise ValueError(f"{value!r} is not a {what} ({', '.join(known)})")
        return value

    return parse


def items(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;|]", value) if part.strip()]


def slack_id(prefixes: str) -> Parser:
    def parse(value: str) -> str:
        if not _SLACK_ID.match(value) or value[0] not in prefixes:
            raise ValueError(f"{value!r} is not a Slack ID starting with {'/'.join(prefixes)}")
        return value

    return parse


def currency(value: str) -> str:
    code = value.upper()
    if not _CURRENCY.match(code):
        raise ValueError(f"{value!r} is not a 3-letter currency code")
    return code


def _fold(value: str) -> str:
    return re.sub(r"[\s_-]+", " ", value.strip().casefold())
