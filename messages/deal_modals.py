"""The modals of deal registration: the registration form and the rejection reason.

Block and action ids are the contract with the submission handlers in ``bot/commands/deal.py``
(``REGISTER_FIELDS``); ``private_metadata`` carries only where to answer, never who is asking
(that is verified again on submission)."""

import json
from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ContextBlock,
    DatePickerElement,
    ExternalDataMultiSelectElement,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from deals import field_lengths as limits
from messages.blocks import cut, esc, escape
from messages.partner_visible import partner_visible
from models import Partner

REGISTER_VIEW = "deal_register"
REJECT_VIEW = "deal_reject_reason"

PARTNER = "partner"
ACCOUNT_NAME = "account_name"
ACCOUNT_DOMAIN = "account_domain"
AMOUNT = "amount"
CURRENCY = "currency"
MAX_OPTIONS = 100
"""Slack's limit on a static select's options."""
EXPECTED_CLOSE = "expected_close"
PRODUCT = "product"
NOTES = "notes"
INFLUENCERS = "influencers"
REASON = "reason"

REGISTER_FIELDS = (
    PARTNER,
    ACCOUNT_NAME,
    ACCOUNT_DOMAIN,
    AMOUNT,
    CURRENCY,
    EXPECTED_CLOSE,
    PRODUCT,
    NOTES,
    INFLUENCERS,
)
"""Each field's block_id and action_id are the same word."""


def _text_input(
    name: str, label: str, *, optional: bool = False, hint: str | None = None, **element: object
) -> InputBlock:
    return InputBlock(
        block_id=name,
        label=label,
        optional=optional,
        hint=hint,
        element=PlainTextInputElement(action_id=name, **element),
    )


@partner_visible
def register_modal(
    *, for_staff: bool, partner_name: str | None, currencies: list[str], metadata: dict[str, str]
) -> View:
    """The registration form. Staff pick the partner (and may add influence partners);
    a partner contact registers for their own partner, named at the top. The currency list
    offers the first :data:`MAX_OPTIONS` of ``currencies`` (Slack's limit for a select; the
    program's own comes first), the one-line ``/deal register`` takes any of them."""
    blocks: list[object] = []
    if for_staff:
        blocks.append(
            InputBlock(
                block_id=PARTNER,
                label="Partner",
                element=ExternalDataSelectElement(
                    action_id=PARTNER, placeholder="Type a partner's name", min_query_length=1
                ),
            )
        )
    else:
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=f"Registering for *{esc(partner_name)}*")]
            )
        )
    blocks += [
        _text_input(ACCOUNT_NAME, "Customer (account) name", max_length=limits.ACCOUNT_NAME),
        _text_input(
            ACCOUNT_DOMAIN,
            "Customer's web domain",
            optional=True,
            hint="e.g. acme.com — the surest way to spot a duplicate",
            max_length=limits.DOMAIN,
        ),
        _text_input(AMOUNT, "Deal amount", hint="e.g. 48000, 48,000 or 48k", max_length=30),
        InputBlock(
            block_id=CURRENCY,
            label="Currency",
            element=StaticSelectElement(
                action_id=CURRENCY,
                options=[Option(value=c, text=c) for c in currencies[:MAX_OPTIONS]],
                initial_option=Option(value=currencies[0], text=currencies[0]),
            ),
        ),
        InputBlock(
            block_id=EXPECTED_CLOSE,
            label="Expected close date",
            optional=True,
            element=DatePickerElement(action_id=EXPECTED_CLOSE),
        ),
        _text_input(PRODUCT, "Product", optional=True, max_length=limits.PRODUCT),
        _text_input(NOTES, "Notes", optional=True, multiline=True, max_length=limits.NOTES),
    ]
    if for_staff:
        blocks.append(
            InputBlock(
                block_id=INFLUENCERS,
                label="Influence partners",
                optional=True,
                hint="Partners who helped without sourcing the deal",
                element=ExternalDataMultiSelectElement(
                    action_id=INFLUENCERS, placeholder="Type a partner's name", min_query_length=1
                ),
            )
        )
    return View(
        type="modal",
        callback_id=REGISTER_VIEW,
        title="Register a deal",
        submit="Register",
        close="Cancel",
        blocks=blocks,
        private_metadata=json.dumps(metadata),
    )


def partner_options(partners: Sequence[Partner]) -> list[dict[str, object]]:
    """The options of the form's partner pickers (staff only): each partner's name, region
    and tier, escaped and cut to Slack's 75 characters."""
    return [
        {
            "text": {
                "type": "plain_text",
                "text": cut(escape(f"{p.name} · {p.region} · {p.tier}"), 75),
            },
            "value": str(p.id),
        }
        for p in partners
    ]


def reject_modal(deal_id: str, *, whole_conflict: bool, metadata: dict[str, str]) -> View:
    what = f"every claim in the conflict over {esc(deal_id)}" if whole_conflict else esc(deal_id)
    return View(
        type="modal",
        callback_id=REJECT_VIEW,
        title="Reject registration",
        submit="Reject",
        close="Cancel",
        blocks=[
            ContextBlock(elements=[MarkdownTextObject(text=f"Rejecting {what}.")]),
            _text_input(
                REASON,
                "Reason (the partner will read it)",
                multiline=True,
                max_length=limits.REASON,
                min_length=3,
            ),
        ],
        private_metadata=json.dumps(metadata),
    )
