"""``/deal`` text to a typed command, or a ``Usage`` saying exactly what was wrong.

Pure functions, no I/O: any text a person can type maps to one command (property-tested), and
what the command then may do is decided elsewhere.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from deals import field_lengths as lengths
from deals.lookup import parse_deal_id
from deals.names import normalize_domain
from messages.blocks import code

MAX_AMOUNT = Decimal(10) ** 12
MAX_DAYS = 3650
ListScope = Literal["active", "mine", "pending", "expiring", "partner"]
_SCOPES: dict[str, ListScope] = {"mine": "mine", "pending": "pending", "expiring": "expiring"}

_AMOUNT = re.compile(
    r"^(?P<symbol>[$€£¥])?(?P<number>\d{1,3}(?:,\d{3})+|\d+)(?P<cents>\.\d{1,2})?(?P<unit>[kKmM])?$"
)
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
_UNITS = {"k": Decimal(1000), "m": Decimal(1_000_000)}
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


class AmountError(ValueError):
    """Text that is not an amount; the message says why, for the person who typed it."""


def parse_amount(text: str) -> tuple[Decimal, str | None]:
    """ "48000", "48,000", "48k", "1.5m", "$48,000" → (amount, currency named by its symbol)."""
    found = _AMOUNT.match(text.strip())
    if not found:
        raise AmountError(f"{code(text)} is not an amount (try 48000, 48,000 or 48k)")
    try:
        amount = Decimal(found["number"].replace(",", "") + (found["cents"] or ""))
    except InvalidOperation:  # the pattern admits only digits, so this cannot happen
        raise AmountError(f"{code(text)} is not an amount") from None
    if found["unit"]:
        amount *= _UNITS[found["unit"].lower()]
    if amount <= 0:
        raise AmountError("The amount must be more than zero")
    if amount >= MAX_AMOUNT:
        raise AmountError(f"{code(text)} is too large for one deal")
    symbol = found["symbol"]
    return amount.quantize(Decimal("0.01")), _SYMBOLS[symbol] if symbol else None


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class OpenRegisterForm:
    pass


@dataclass(frozen=True)
class RegisterInline:
    account_name: str
    domain: str
    amount: Decimal
    currency: str | None
    partner: str | None
    """The partner's name as typed after "for" (staff only)."""


@dataclass(frozen=True)
class Status:
    deal_id: str


@dataclass(frozen=True)
class ListDeals:
    scope: ListScope
    partner: str | None = None


@dataclass(frozen=True)
class Approve:
    deal_id: str


@dataclass(frozen=True)
class Reject:
    deal_id: str
    reason: str


@dataclass(frozen=True)
class Extend:
    deal_id: str
    days: int


@dataclass(frozen=True)
class Usage:
    """A malformed command: ``problem`` says what was wrong, ``subcommand`` which usage to show
    (None: all of it)."""

    problem: str
    subcommand: str | None = None


DealCommand = (
    Help
    | OpenRegisterForm
    | RegisterInline
    | Status
    | ListDeals
    | Approve
    | Reject
    | Extend
    | Usage
)


def _deal_id(word: str | None, subcommand: str) -> str | Usage:
    if not word:
        example = f"`/deal {subcommand} R-000042`"
        return Usage(f"Which registration? Give its id, e.g. {example}.", subcommand)
    deal_id = parse_deal_id(word)
    if deal_id is None:
        return Usage(f"{code(word)} is not a registration id.", subcommand)
    return deal_id


def _register(words: list[str]) -> DealCommand:
    if not words:
        return OpenRegisterForm()
    for at in range(1, len(words) - 1):
        if "." not in words[at] or normalize_domain(words[at]) is None:
            continue
        try:
            amount, symbol_currency = parse_amount(words[at + 1])
        except AmountError as error:
            return Usage(f"{error}.", "register")
        rest = words[at + 2 :]
        currency = None
        if rest and _CURRENCY.match(rest[0]) and rest[0].lower() != "for":
            currency = rest.pop(0).upper()
        if symbol_currency and currency and symbol_currency != currency:
            return Usage(f"The amount says {symbol_currency} but the currency says {currency}.")
        partner = None
        if rest and rest[0].lower() == "for":
            partner = " ".join(rest[1:])
            if not partner:
                return Usage("Name the partner after `for`.", "register")
            rest = []
        if rest:
            return Usage(f"I did not understand {code(' '.join(rest))}.", "register")
        account_name = " ".join(words[:at])
        if problem := lengths.too_long("customer's name", account_name, lengths.ACCOUNT_NAME):
            return Usage(problem, "register")
        longest = lengths.PARTNER_NAME
        if partner and (problem := lengths.too_long("partner's name", partner, longest)):
            return Usage(problem, "register")
        domain = normalize_domain(words[at])
        assert domain is not None
        return RegisterInline(account_name, domain, amount, currency or symbol_currency, partner)
    if words and "." in words[0] and normalize_domain(words[0]):
        return Usage("Give the customer's name before its domain.", "register")
    return Usage(
        "Give the customer's name, web domain and amount, e.g. "
        "`/deal register Acme Corp acme.com 48000`, or `/deal register` alone for the form.",
        "register",
    )


def _list(words: list[str]) -> DealCommand:
    if not words:
        return ListDeals("active")
    scope = _SCOPES.get(words[0].lower())
    if scope and len(words) == 1:
        return ListDeals(scope)
    return ListDeals("partner", " ".join(words))


def _days(word: str | None) -> int | Usage:
    if word is None or not word.isdigit() or not word.isascii():
        return Usage("Give the number of days, e.g. `/deal extend R-000042 30`.", "extend")
    days = int(word)
    if not 1 <= days <= MAX_DAYS:
        return Usage(f"Extend by 1 to {MAX_DAYS} days.", "extend")
    return days


def parse(text: str) -> DealCommand:
    """The command ``/deal {text}`` asks for."""
    if problem := lengths.too_long("command", text, lengths.COMMAND_TEXT):
        return Usage(problem)
    words = text.split()
    if not words:
        return Help()
    subcommand, args = words[0].lower(), words[1:]
    match subcommand:
        case "help":
            return Help()
        case "register":
            return _register(args)
        case "list":
            return _list(args)
        case "status" | "approve":
            deal_id = _deal_id(args[0] if args else None, subcommand)
            if isinstance(deal_id, Usage):
                return deal_id
            if len(args) > 1:
                return Usage(f"I did not understand {code(' '.join(args[1:]))}.", subcommand)
            return Status(deal_id) if subcommand == "status" else Approve(deal_id)
        case "reject":
            deal_id = _deal_id(args[0] if args else None, subcommand)
            if isinstance(deal_id, Usage):
                return deal_id
            reason = text.split(maxsplit=2)[2:]
            if not reason:
                return Usage("Say why: the partner is told the reason.", "reject")
            if problem := lengths.too_long("reason", reason[0].strip(), lengths.REASON):
                return Usage(problem, "reject")
            return Reject(deal_id, reason[0].strip())
        case "extend":
            deal_id = _deal_id(args[0] if args else None, subcommand)
            if isinstance(deal_id, Usage):
                return deal_id
            days = _days(args[1] if len(args) > 1 else None)
            if isinstance(days, Usage):
                return days
            if len(args) > 2:
                return Usage(f"I did not understand {code(' '.join(args[2:]))}.", "extend")
            return Extend(deal_id, days)
        case _:
            return Usage(f"Unknown subcommand {code(words[0])}.")
