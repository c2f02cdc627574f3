"""``/deal`` text parsing: every text maps to exactly one command, malformed ones to a usage
message that names the problem; one-line registrations keep what was typed."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands._deal_args import (
    AmountError,
    Approve,
    DealCommand,
    Extend,
    Help,
    ListDeals,
    OpenRegisterForm,
    RegisterInline,
    Reject,
    Status,
    Usage,
    parse,
    parse_amount,
)
from deals import field_lengths as lengths

COMMANDS = (
    Help,
    OpenRegisterForm,
    RegisterInline,
    Status,
    ListDeals,
    Approve,
    Reject,
    Extend,
    Usage,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Help()),
        ("HELP", Help()),
        ("register", OpenRegisterForm()),
        ("status r-7", Status("R-000007")),
        ("approve 0042", Approve("R-000042")),
        ("approve OPP-1234", Approve("OPP-1234")),
        ("reject R-1 out of territory\nsee CRM", Reject("R-000001", "out of territory\nsee CRM")),
        ("extend R-1 30", Extend("R-000001", 30)),
        ("list", ListDeals("active")),
        ("list Pending", ListDeals("pending")),
        ("list mine", ListDeals("mine")),
        ("list Globex pending", ListDeals("partner", "Globex pending")),
        (
            "register The Acme Corp. www.acme.com/x $1.5m",
            RegisterInline("The Acme Corp.", "acme.com", Decimal("1500000.00"), "USD", None),
        ),
        (
            "register Acme acme.co.uk 48,000 gbp for Globex EU",
            RegisterInline("Acme", "acme.co.uk", Decimal("48000.00"), "GBP", "Globex EU"),
        ),
    ],
)
def test_commands(text: str, expected: DealCommand) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "problem", "subcommand"),
    [
        ("frob", "Unknown subcommand `frob`.", None),
        ("status", "Which registration?", "status"),
        ("status a b", "I did not understand `b`.", "status"),
        ("status ???", "`???` is not a registration id.", "status"),
        ("reject R-1", "Say why", "reject"),
        ("extend R-1", "Give the number of days", "extend"),
        ("extend R-1 0", "Extend by 1 to 3650 days.", "extend"),
        ("extend R-1 ٣", "Give the number of days", "extend"),  # a digit, but not ASCII
        ("register Acme 5000", "Give the customer's name, web domain and amount", "register"),
        ("register acme.com 5000", "Give the customer's name before its domain.", "register"),
        ("register Acme acme.com -5", "`-5` is not an amount", "register"),
        ("register Acme acme.com 0", "The amount must be more than zero.", "register"),
        ("register Acme acme.com 5000 for", "Name the partner after `for`.", "register"),
        ("register Acme acme.com 5000 EUR extra", "I did not understand `extra`.", "register"),
        (
            "register Acme acme.com €5000 USD",
            "The amount says EUR but the currency says USD.",
            None,
        ),
        # text too long for its field
        ("register " + "A" * 201 + " acme.com 5k", "The customer's name is 201 ", "register"),
        ("register Acme acme.com 5k for " + "G" * 201, "The partner's name is 201", "register"),
        ("reject R-1 " + "x" * 501, "The reason is 501 characters long; at most 500", "reject"),
        ("list " + "x" * 4000, "The command is 4,005 characters long; at most 4,000 fit.", None),
    ],
)
def test_malformed_commands_say_what_was_wrong(
    text: str, problem: str, subcommand: str | None
) -> None:
    parsed = parse(text)
    assert isinstance(parsed, Usage)
    assert parsed.problem.startswith(problem)
    assert parsed.subcommand == subcommand


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("48000", "48000", None),
        ("48,000", "48000", None),
        ("48k", "48000", None),
        ("1.25M", "1250000", None),
        ("£999.99", "999.99", "GBP"),
        ("¥1,000,000", "1000000", "JPY"),
    ],
)
def test_amounts(text: str, amount: str, currency: str | None) -> None:
    assert parse_amount(text) == (Decimal(amount), currency)


@pytest.mark.parametrize("text", ["", "1,00", "12.345", "1e6", "k", "$-5", "1000000000000", "NaN"])
def test_not_amounts(text: str) -> None:
    with pytest.raises(AmountError):
        parse_amount(text)


@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=200))
def test_any_text_is_one_command_and_never_an_exception(text: str) -> None:
    parsed = parse(text)
    assert isinstance(parsed, COMMANDS)
    if isinstance(parsed, Usage):
        assert 0 < len(parsed.problem) < 400  # user input is echoed shortened
    if isinstance(parsed, RegisterInline):
        assert parsed.amount > 0
        assert parsed.account_name.strip()


words = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=12)


@given(
    name=st.lists(words, min_size=1, max_size=4).filter(lambda ws: "." not in "".join(ws)),
    label=st.from_regex(r"[a-z][a-z0-9]{0,15}", fullmatch=True),
    amount=st.integers(min_value=1, max_value=10**11),
    subcommand=st.sampled_from(["register", "REGISTER", "Register"]),
)
def test_one_line_registrations_keep_what_was_typed(
    name: list[str], label: str, amount: int, subcommand: str
) -> None:
    parsed = parse(f"{subcommand}  {' '.join(name)}  https://www.{label}.com/  {amount:,}")
    assert parsed == RegisterInline(
        " ".join(name), f"{label}.com", Decimal(amount).quantize(Decimal("0.01")), None, None
    )


@given(
    name=st.lists(words, min_size=1, max_size=40).filter(lambda ws: "." not in "".join(ws)),
    partner=st.text(st.characters(categories=("L", "Zs")), max_size=260),
    reason=st.text(st.characters(exclude_categories=("Cs",)), max_size=700),
)
def test_what_a_command_keeps_fits_its_field(name: list[str], partner: str, reason: str) -> None:
    for text in (f"register {' '.join(name)} acme.com 5k for {partner}", f"reject R-1 {reason}"):
        parsed = parse(text)
        if isinstance(parsed, RegisterInline):
            assert len(parsed.account_name) <= lengths.ACCOUNT_NAME
            assert parsed.partner is None or len(parsed.partner) <= lengths.PARTNER_NAME
        elif isinstance(parsed, Reject):
            assert 0 < len(parsed.reason) <= lengths.REASON
        else:
            assert isinstance(parsed, Usage), parsed
            assert any(
                why in parsed.problem for why in ("characters long", "Name the partner", "Say why")
            ), parsed
