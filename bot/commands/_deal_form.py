"""Reading the registration modal's submitted state into a ``Registration``, or field errors
Slack shows under the offending inputs (``response_action: errors``)."""

from datetime import date
from typing import Any

from bot.commands._deal_args import AmountError, parse_amount
from bot.commands._deal_desk import Registration
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


def _selected(values: State, name: str) -> str | None:
    option = _element(values, name).get("selected_option") or {}
    value = option.get("value")
    return value if isinstance(value, str) else None


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


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
    except ValueError:
        errors[modal.EXPECTED_CLOSE] = "Pick a date."
        expected_close = None
    partner = _selected(values, modal.PARTNER)
    if modal.PARTNER in values and not (partner and partner.isdigit()):
        errors[modal.PARTNER] = "Pick the partner."
    if errors:
        return errors
    assert account_name is not None
    assert amount is not None
    influencers = [
        option.get("value", "")
        for option in _element(values, modal.INFLUENCERS).get("selected_options") or []
    ]
    return Registration(
        account_name=account_name,
        domain=domain,
        amount=amount,
        currency=_selected(values, modal.CURRENCY) or symbol_currency,
        partner_id=int(partner) if partner else None,
        expected_close=expected_close,
        product=_text(values, modal.PRODUCT),
        notes=_text(values, modal.NOTES),
        influence_partner_ids=_ids(influencers),
    )
