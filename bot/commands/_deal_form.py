"""Reading the registration modal's submitted state into a ``Registration``, or field errors
Slack shows under the offending inputs (``response_action: errors``)."""

from datetime import date
from typing import Any

from bot.commands._deal_args import AmountError, parse_amount
from bot.commands._deal_desk import Registration
from bot.commands._values import row_id
from deals import field_lengths as lengths
from deals.names import normalize_domain
from messages import deal_modals as modal

State = dict[str, dict[str, dict[str, Any]]]
"""``view.state.values``: block_id → action_id → element state."""


def _element(values: State, name: str) -> dict[str, Any]:
    return values.get(name, {}).get(name, {}) or {}


def _text(values: State, name: str) -> str | None:
    value = _element(values, name).get("value")
    return value.strip() or None if isinstance(value, str) else None


def _option_value(option: object) -> str | None:
    value = option.get("value") if isinstance(option, dict) else None
    return value if isinstance(value, str) else None


def _selected(values: State, name: str) -> str | None:
    return _option_value(_element(values, name).get("selected_option"))


def _ids(values: State, name: str) -> list[int] | None:
    """The partner ids picked in a multi-select; None when one is not a partner id."""
    options = _element(values, name).get("selected_options") or []
    ids = [row_id(_option_value(o)) for o in options] if isinstance(options, list) else [None]
    return None if None in ids else [i for i in ids if i is not None]


_LONGEST = {
    modal.ACCOUNT_NAME: ("customer's name", lengths.ACCOUNT_NAME),
    modal.PRODUCT: ("product", lengths.PRODUCT),
    modal.NOTES: ("note", lengths.NOTES),
}
"""The form sets the same limits; Slack enforces them in the form, this in the submission. (A
domain needs none: a host name longer than DNS allows is no domain.)"""


def read_registration(values: State) -> Registration | dict[str, str]:
    """The form as a ``Registration``, or ``{block_id: problem}`` for the fields to fix."""
    errors: dict[str, str] = {}
    for name, (what, limit) in _LONGEST.items():
        if problem := lengths.too_long(what, _text(values, name) or "", limit):
            errors[name] = problem
    account_name = _text(values, modal.ACCOUNT_NAME)
    if not account_name:
        errors[modal.ACCOUNT_NAME] = "Give the customer's name."
    if errors:
        return errors
    domain_text = _text(values, modal.ACCOUNT_DOMAIN)
    domain = normalize_domain(domain_text) if domain_text else None
    if domain_text and domain is None:
        errors[modal.ACCOUNT_DOMAIN] = "That is not a web domain; try acme.com, or leave it empty."
    amount_text = _text(values, modal.AMOUNT) or ""
    try:
        amount, symbol_currency = parse_amount(amount_text)
    except AmountError as error:
        errors[modal.AMOUNT] = str(error).replace("`", "")
        amount, symbol_currency = None, None
    close_text = _element(values, modal.EXPECTED_CLOSE).get("selected_date")
    try:
        expected_close = date.fromisoformat(close_text) if close_text else None
    except (TypeError, ValueError):
        errors[modal.EXPECTED_CLOSE] = "Pick a date."
        expected_close = None
    partner = row_id(_selected(values, modal.PARTNER))
    if modal.PARTNER in values and partner is None:
        errors[modal.PARTNER] = "Pick the partner."
    influencers = _ids(values, modal.INFLUENCERS)
    if influencers is None:
        errors[modal.INFLUENCERS] = "Pick the partners again."
    if errors:
        return errors
    assert account_name is not None
    assert amount is not None
    assert influencers is not None
    return Registration(
        account_name=account_name,
        domain=domain,
        amount=amount,
        currency=_selected(values, modal.CURRENCY) or symbol_currency,
        partner_id=partner,
        expected_close=expected_close,
        product=_text(values, modal.PRODUCT),
        notes=_text(values, modal.NOTES),
        influence_partner_ids=influencers,
    )
