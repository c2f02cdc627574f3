"""Which account a registration is filed against: one row per company, keyed so that the
importer and Slack registrations find the same row for the same company."""

from functools import lru_cache

from deals.names import normalize_company_name, normalize_domain, registrable_domain

ACCOUNT_COLUMNS = ("account_key", "name", "normalized_name", "domain")


def account_row(name: str, domain: str | None) -> tuple[str, str, str, str | None]:
    """The account a deal is filed against, in ``ACCOUNT_COLUMNS`` order. Its key is the
    registrable domain when known, so 'eu.acme.com' and 'acme.com' are one company, else the
    normalised name."""
    clean_domain, registrable = _domain(domain or "")
    normalized = _company_name(name)
    return (
        f"d:{registrable}" if registrable else f"n:{normalized}",
        name,
        normalized,
        clean_domain,
    )


@lru_cache(maxsize=1 << 17)
def _domain(value: str) -> tuple[str | None, str | None]:
    """Accounts recur across a file, so normalisation is cached."""
    clean = normalize_domain(value)
    return clean, registrable_domain(clean) if clean else None


@lru_cache(maxsize=1 << 17)
def _company_name(name: str) -> str:
    return normalize_company_name(name)[:255]
