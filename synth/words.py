"""Word lists for partner and end-customer names, and the spelling variations CRM data has."""

import numpy as np

PREFIXES = [
    "Acme",
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Wingtip",
    "Litware",
    "Proseware",
    "Adatum",
    "Lucerne",
    "Woodgrove",
    "Alpine",
    "Coho",
    "Trey",
    "Margie",
    "Humongous",
    "Relecloud",
    "Southridge",
    "Lamna",
    "VanArsdel",
    "Bellows",
    "Fernhill",
    "Kestrel",
    "Harbor",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Dunder",
    "Summit",
    "Granite",
    "Cedar",
    "Redwood",
    "Silverline",
    "Ironbridge",
    "Brightwater",
    "Northstar",
    "Oakridge",
    "Pinnacle",
    "Meridian",
    "Horizon",
    "Keystone",
    "Evergreen",
    "Stonegate",
    "Clearview",
    "Riverbend",
    "Highland",
    "Lakeside",
    "Westfield",
    "Eastgate",
    "Sterling",
    "Crescent",
    "Beacon",
    "Falcon",
    "Orion",
    "Atlas",
    "Vertex",
    "Nimbus",
]
INDUSTRIES = [
    "Logistics",
    "Health",
    "Foods",
    "Energy",
    "Systems",
    "Capital",
    "Insurance",
    "Motors",
    "Pharma",
    "Retail",
    "Media",
    "Labs",
    "Bank",
    "Airlines",
    "Telecom",
    "Foods",
    "Hotels",
    "Robotics",
    "Analytics",
    "Construction",
    "Textiles",
    "Chemicals",
    "Dental",
    "Mining",
    "Shipping",
    "Software",
    "Semiconductors",
    "Aerospace",
    "Biotech",
    "Brewing",
]
LEGAL_FORMS = ("Inc", "Corp", "LLC", "Ltd", "GmbH", "S.A.", "B.V.", "PLC", "Co.", "AG")
PARTNER_WORDS = (
    "Consulting",
    "Solutions",
    "Partners",
    "Systems",
    "Integrators",
    "Digital",
    "Technologies",
    "Group",
    "IT Services",
    "Networks",
)


def account_pool(size: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    """Distinct end customers as (canonical name, domain)."""
    seen: set[str] = set()
    pool: list[tuple[str, str]] = []
    while len(pool) < size:
        first = PREFIXES[rng.integers(len(PREFIXES))]
        second = INDUSTRIES[rng.integers(len(INDUSTRIES))]
        base = f"{first} {second}"
        if base in seen:
            base = f"{base} {rng.integers(2, 99)}"
            if base in seen:
                continue
        seen.add(base)
        legal = LEGAL_FORMS[rng.integers(len(LEGAL_FORMS))]
        domain = base.lower().replace(" ", "") + (".com" if rng.random() < 0.8 else ".io")
        pool.append((f"{base} {legal}", domain))
    return pool


def spelling_variant(name: str, rng: np.random.Generator) -> str:
    """The same company as a different CRM user might type it."""
    choice = rng.integers(4)
    if choice == 0:
        return name.upper()
    if choice == 1:
        return name.rsplit(" ", 1)[0]
    if choice == 2:
        return name.replace("Corp", "Corporation").replace("Inc", "Incorporated")
    return name.rstrip(".") + "."


def partner_name(number: int, rng: np.random.Generator) -> str:
    first = PREFIXES[rng.integers(len(PREFIXES))]
    word = PARTNER_WORDS[rng.integers(len(PARTNER_WORDS))]
    return f"{first} {word} {number}"
