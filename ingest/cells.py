"""Cell parsers for CSV import. Each turns a non-empty string into a typed value or raises
``ValueError`` with a message a user can act on."""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal

Parser = Callable[[str], object]

_MAX_MONEY = Decimal("1e16")
_SLACK_ID = re.compile(r"^[A-Z0-9]{2,32}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MONEY_NOISE = re.compile(r"[\s\u00a0\u202f'’$€£¥]")
"""Currency symbols and the spaces and apostrophes some locales group thousands with."""
_CLOCK = r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?"
_DAY_FIRST = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})" + _CLOCK + "$")
_OPTION = {".": "--decimal point", ",": "--decimal comma"}
_NAME = {".": "a decimal point", ",": "a decimal comma"}
_LATEST = timedelta(minutes=5)
"""Clock difference tolerated between a CRM and this server before a time counts as future."""

DecimalMark = Literal[".", ","]
DateOrder = Literal["iso", "dmy", "mdy"]


@dataclass(frozen=True)
class Conventions:
    """How one file writes numbers and dates. A file has one convention, stated or clear from
    its shape; a cell that does not fit it is reported, never read another way."""

    decimal: DecimalMark | None = None
    """None: a decimal comma in ``;``-separated files (as European spreadsheets save them),
    else a decimal point."""
    dates: DateOrder = "iso"
    """Day-month forms besides ISO dates (always read): ``dmy`` (31/03/2026, 31.03.2026) or
    ``mdy`` (03/31/2026). They must be asked for: 03/04/2026 is a different day in each."""
    now: datetime | None = None
    """Events (registrations, closes, activities) after this moment are refused."""

    @property
    def today(self) -> date | None:
        return self.now.date() if self.now else None

    def for_delimiter(self, delimiter: str) -> "Conventions":
        """These conventions with the decimal mark settled for a file using ``delimiter``."""
        return replace(self, decimal=self.decimal or ("," if delimiter == ";" else "."))

    def parser(self, parse: "Parser | Localised") -> Parser:
        return parse.build(self) if isinstance(parse, Localised) else parse


@dataclass(frozen=True)
class Localised:
    """A parser that depends on the file's :class:`Conventions`."""

    build: Callable[[Conventions], Parser]


def text(max_length: int) -> Parser:
    def parse(value: str) -> str:
        if len(value) > max_length:
            raise ValueError(f"longer than {max_length} characters")
        return value

    return parse


def _number_pattern(decimal: DecimalMark) -> re.Pattern[str]:
    group = re.escape("," if decimal == "." else ".")
    return re.compile(rf"^(\d{{1,3}}(?:{group}\d{{3}})+|\d+)(?:{re.escape(decimal)}(\d+))?$")


def _money(conventions: Conventions) -> Parser:
    mark = conventions.decimal
    assert mark is not None, "settled by Conventions.for_delimiter"
    other: DecimalMark = "," if mark == "." else "."
    pattern, other_pattern = _number_pattern(mark), _number_pattern(other)
    read_as = f"this file is read with {_NAME[mark]}"

    def parse(value: str) -> Decimal:
        cleaned = _MONEY_NOISE.sub("", value)
        if cleaned.startswith("-") or (cleaned.startswith("(") and cleaned.endswith(")")):
            raise ValueError(f"{value!r} is negative")
        found = pattern.match(cleaned)
        if found is None:
            if other_pattern.match(cleaned):
                raise ValueError(
                    f"{value!r} is written with {_NAME[other]}, but {read_as}: import it "
                    f"with {_OPTION[other]}"
                )
            raise ValueError(f"{value!r} is not a number")
        whole, decimals = found.group(1), found.group(2) or ""
        if len(decimals) > 2:
            hint = (
                f"; if {mark!r} groups thousands here, import it with {_OPTION[other]}"
                if len(decimals) == 3 and whole.isdigit()
                else ""
            )
            raise ValueError(f"{value!r} has {len(decimals)} decimals ({read_as}){hint}")
        amount = Decimal(f"{whole.replace(other, '')}.{decimals or '0'}")
        if amount >= _MAX_MONEY:
            raise ValueError(f"{value!r} is too large")
        return amount.quantize(Decimal("0.01"))

    return parse


def _date_of(value: str, order: DateOrder) -> tuple[date, time | None]:
    """The day (and time of day, if given) ``value`` names: ISO 8601 always, day-month forms
    only in the ``order`` the file was declared to use."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is not None:
        return moment.date(), None if len(value) == 10 else moment.timetz()
    found = _DAY_FIRST.match(value)
    if found is None:
        raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD)")
    if order == "iso":
        raise ValueError(
            f"{value!r} is ambiguous (day or month first?): write YYYY-MM-DD, or import the "
            "file with --date-format dmy or mdy"
        )
    first, second, year, hour, minute, seconds = found.groups()
    day_n, month_n = (first, second) if order == "dmy" else (second, first)
    try:
        day_value = date(int(year), int(month_n), int(day_n))
        clock = time(int(hour), int(minute), int(seconds or 0)) if hour else None
    except ValueError:
        example = "31/03/2026" if order == "dmy" else "03/31/2026"
        raise ValueError(f"{value!r} is not a date (this file is read as {example})") from None
    return day_value, clock


def _day(past: bool) -> Callable[[Conventions], Parser]:
    def build(conventions: Conventions) -> Parser:
        latest = conventions.today if past else None

        def parse(value: str) -> date:
            day_value = _date_of(value, conventions.dates)[0]
            if latest is not None and day_value > latest:
                raise ValueError(f"{value!r} is after today ({latest})")
            return day_value

        return parse

    return build


def _timestamp(conventions: Conventions) -> Parser:
    """A moment; without an offset it is UTC, a plain date is midnight. Never in the future."""
    latest = conventions.now + _LATEST if conventions.now else None

    def parse(value: str) -> datetime:
        day_value, clock = _date_of(value, conventions.dates)
        moment = datetime.combine(day_value, clock or time())
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        if latest is not None and moment > latest:
            raise ValueError(f"{value!r} is in the future")
        return moment

    return parse


MONEY = Localised(_money)
"""A non-negative amount with at most 2 decimals, in the file's decimal convention."""
DAY = Localised(_day(past=False))
"""A date that may lie ahead (an expected close, an expiry)."""
PAST_DAY = Localised(_day(past=True))
"""The date of something that happened: not after today."""
TIMESTAMP = Localised(_timestamp)


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
