"""How long each thing a person types about a deal may be. The registration form, the one-line
``/deal register``, rejection reasons and partner lookups share these, so text pasted by
mistake gets an answer saying what is too long, never a database error or a fuzzy search over
a megabyte of text. Each is within its column's width (``models.deals``, ``models.partners``).
"""

ACCOUNT_NAME = 200
DOMAIN = 253
"""DNS's limit on a host name: the form's field (``deals.names.normalize_domain`` refuses
longer hosts wherever they are typed)."""
PRODUCT = 200
NOTES = 2000
REASON = 500
PARTNER_NAME = 200
"""``models.Partner.name``: a longer text names no partner."""
COMMAND_TEXT = 4000
"""A slash command's whole text: more than any command needs, so more is a paste gone wrong."""


def too_long(what: str, text: str, limit: int) -> str | None:
    """What to tell the person when ``text`` is over ``limit`` characters, else None."""
    if len(text) <= limit:
        return None
    return f"The {what} is {len(text):,} characters long; at most {limit:,} fit."
