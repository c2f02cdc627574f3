"""Names: end-customer companies with domains, partner companies, people and Slack ids, and the
spelling variations real CRM data has ("Acme Corp", "ACME Corporation", "Acme Corp.").

Company names are drawn without replacement from an enumerated space of word combinations, so
they are unique without numeric suffixes and their domains are unique too."""

import re
from dataclasses import dataclass

import numpy as np


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


PREFIXES = _words(
    "Acme Northwind Contoso Fabrikam Tailspin Wingtip Litware Proseware Adatum Lucerne Woodgrove "
    "Alpine Coho Trey Humongous Relecloud Southridge Lamna Bellows Fernhill Kestrel Globex "
    "Initech Hooli Vandelay Summit Granite Cedar Redwood Silverline Ironbridge Brightwater "
    "Northstar Oakridge Pinnacle Meridian Horizon Keystone Evergreen Stonegate Clearview "
    "Riverbend Highland Lakeside Westfield Eastgate Sterling Crescent Beacon Falcon Orion Atlas "
    "Vertex Nimbus Apex Polaris Zenith Quantum Vanguard Sentinel Aurora Helix Titan Nova Cobalt "
    "Juniper Magnolia Sequoia Willow Aspen Cypress Hawthorne Laurel Sparrow Heron Osprey Condor "
    "Lynx Bison Mustang Caldera Mesa Sierra Tundra Delta Sigma Omega Paragon Sovereign Regal "
    "Monarch Empire Liberty Patriot Frontier Pioneer Heritage Legacy Landmark Milestone Compass "
    "Anchor Harborview Bayside Seaview Crestline Fairway Glenwood Hillcrest Kingsway Maplewood"
)
ADJECTIVES = _words(
    "Blue Red Green Silver Golden Black White Iron Bright Swift Clear True North South "
    "East West Grand Great Royal Noble Prime First Central United Pacific Atlantic Global "
    "Coastal Mountain Sun Star Moon Sky"
)
NOUNS = _words(
    "Ridge River Peak Harbor Oak Pine Lake Rock Field Bridge Bay Point Gate Hill Wood Brook "
    "Creek Forest Meadow Canyon Island Crest Haven Port Shore Spring Stone Tower Valley View "
    "Wave Wind Arrow Eagle Hawk Fox Wolf Bear Lion Tiger Crown Shield Key Light Path Way Line "
    "Mark Works"
)
SURNAMES = _words(
    "Anderson Baker Carter Dawson Ellis Fischer Garcia Hartmann Ito Jensen Keller Lopez Meyer "
    "Nakamura Olsen Patel Quinn Rossi Schmidt Tanaka Umar Varga Weber Xu Yilmaz Zimmermann "
    "Bauer Costa Dubois Evans Ferreira Gupta Hughes Ivanov Johansson Kowalski Larsen Moreau "
    "Novak Oliveira Peters Ramos Silva Thompson Vasquez Walker Young Andersson Becker Chen "
    "Davies Eriksson Fernandes Gonzalez Hoffmann Jansen Kim Lindqvist Martin Nguyen Ortiz "
    "Pereira Richter Santos Turner Wagner Wright Yamamoto Bernard Campbell Duarte Edwards"
)
INDUSTRIES = _words(
    "Logistics Health Foods Energy Systems Capital Insurance Motors Pharma Retail Media Labs "
    "Bank Airlines Telecom Hotels Robotics Analytics Construction Textiles Chemicals Dental "
    "Mining Shipping Software Semiconductors Aerospace Biotech Brewing Apparel Furniture "
    "Packaging Utilities Realty Travel Marine Steel Paper Plastics Medical Agriculture "
    "Electronics Trading Finance Manufacturing Bakery Outdoor Games Pharmacy Clinics"
)
FAMILY_FIRMS = ("& Sons", "& Partners", "Group", "Brothers", "Industries", "Holdings")
PARTNER_WORDS = (
    "Consulting",
    "Solutions",
    "Partners",
    "IT Services",
    "Networks",
    "Systems Integration",
    "Technologies",
    "Digital",
    "Cloud Services",
    "Data Partners",
    "Security Group",
    "Infotech",
    "Managed Services",
    "Tech Group",
)
CITIES = {
    "United States": ("Austin", "Chicago", "Denver", "Boston", "Atlanta", "Seattle"),
    "Canada": ("Toronto", "Vancouver", "Montreal"),
    "United Kingdom": ("London", "Manchester", "Leeds"),
    "Germany": ("Berlin", "Munich", "Hamburg"),
    "France": ("Paris", "Lyon"),
    "Netherlands": ("Amsterdam", "Utrecht"),
    "Spain": ("Madrid", "Barcelona"),
    "Sweden": ("Stockholm", "Malmo"),
    "Australia": ("Sydney", "Melbourne"),
    "Japan": ("Tokyo", "Osaka"),
    "Singapore": ("Singapore",),
    "India": ("Bangalore", "Pune", "Mumbai"),
    "Brazil": ("Sao Paulo", "Rio"),
    "Mexico": ("Monterrey", "Guadalajara"),
    "Chile": ("Santiago",),
}

LEGAL_FORMS = {
    "United States": ("Inc", "Corp", "LLC", "Co.", ""),
    "Canada": ("Inc", "Ltd", "Corp", ""),
    "United Kingdom": ("Ltd", "PLC", "Ltd", ""),
    "Germany": ("GmbH", "AG", "GmbH", ""),
    "France": ("SAS", "S.A.", ""),
    "Netherlands": ("B.V.", "N.V.", ""),
    "Spain": ("S.L.", "S.A.", ""),
    "Sweden": ("AB", ""),
    "Australia": ("Pty Ltd", "Ltd", ""),
    "Japan": ("Co., Ltd.", "K.K.", ""),
    "Singapore": ("Pte Ltd", ""),
    "India": ("Pvt Ltd", "Ltd", ""),
    "Brazil": ("Ltda", "S.A.", ""),
    "Mexico": ("S.A. de C.V.", ""),
    "Chile": ("SpA", "S.A.", ""),
}
TLDS = {
    "United States": ".com",
    "Canada": ".ca",
    "United Kingdom": ".co.uk",
    "Germany": ".de",
    "France": ".fr",
    "Netherlands": ".nl",
    "Spain": ".es",
    "Sweden": ".se",
    "Australia": ".com.au",
    "Japan": ".co.jp",
    "Singapore": ".com.sg",
    "India": ".in",
    "Brazil": ".com.br",
    "Mexico": ".com.mx",
    "Chile": ".cl",
}
LONG_FORMS = {
    "Inc": "Incorporated",
    "Corp": "Corporation",
    "Co.": "Company",
    "Ltd": "Limited",
    "Pty Ltd": "Pty Limited",
    "Pvt Ltd": "Private Limited",
    "Pte Ltd": "Pte. Ltd.",
    "LLC": "L.L.C.",
    "GmbH": "G.m.b.H.",
    "AG": "Aktiengesellschaft",
}
FIRST_NAMES = _words(
    "James Mary Robert Linda Michael Sarah David Emma Daniel Olivia Thomas Sophie Lukas Anna "
    "Jonas Lea Pierre Camille Javier Lucia Erik Elin Hiroshi Yuki Aarav Priya Wei Mei Rafael "
    "Beatriz Diego Valentina Noah Chloe Liam Amelia Mateo Isabella Arjun Ananya Kenji Sakura "
    "Oliver Freya Hugo Ines"
)


@dataclass(frozen=True)
class Company:
    base: str
    """The name without legal form: "Northwind Logistics"."""
    legal: str
    domain: str

    @property
    def name(self) -> str:
        return f"{self.base} {self.legal}" if self.legal else self.base


def _prefix_industry(i: int) -> str:
    return f"{PREFIXES[i // len(INDUSTRIES)]} {INDUSTRIES[i % len(INDUSTRIES)]}"


def _adjective_noun_industry(i: int) -> str:
    adjective, rest = divmod(i, len(NOUNS) * len(INDUSTRIES))
    noun, industry = divmod(rest, len(INDUSTRIES))
    return f"{ADJECTIVES[adjective]} {NOUNS[noun]} {INDUSTRIES[industry]}"


def _family_firm(i: int) -> str:
    words = (*INDUSTRIES, *FAMILY_FIRMS)
    return f"{SURNAMES[i // len(words)]} {words[i % len(words)]}"


NAME_STYLES = (
    (_prefix_industry, len(PREFIXES) * len(INDUSTRIES), 0.45),
    (_adjective_noun_industry, len(ADJECTIVES) * len(NOUNS) * len(INDUSTRIES), 0.3),
    (_family_firm, len(SURNAMES) * (len(INDUSTRIES) + len(FAMILY_FIRMS)), 0.25),
)
"""(decoder of an index into a name, how many names it has, preferred share of a pool):
"Northwind Logistics", "Blue Ridge Health", "Hartmann Logistics" / "Keller & Sons"."""
COMPANY_SPACE = sum(size for _, size, _ in NAME_STYLES)
"""How many distinct end-customer names exist; a larger pool is capped to this."""


def _label(base: str) -> str:
    """The domain label of a name: "Hartmann & Sons" -> hartmannandsons."""
    return re.sub(r"[^a-z0-9]", "", base.lower().replace("&", "and"))


def _unique_bases(size: int, rng: np.random.Generator) -> list[str]:
    """Distinct company names without legal form, styles mixed by their preferred shares
    until a style runs out, in random order. Names that squash to the same domain label
    ("Iron Bridge Logistics", "Ironbridge Logistics") are one company, so only the first
    is kept: every company has its own domain."""
    size = min(size, COMPANY_SPACE)
    wanted = [min(space, round(size * share * 1.03) + 5) for _, space, share in NAME_STYLES]
    wanted[1] = min(
        NAME_STYLES[1][1], max(wanted[1], size * 103 // 100 + 5 - wanted[0] - wanted[2])
    )
    drawn = [
        decode(i)
        for (decode, space, _), count in zip(NAME_STYLES, wanted, strict=True)
        for i in rng.choice(space, size=count, replace=False).tolist()
    ]
    by_label: dict[str, str] = {}
    for i in rng.permutation(len(drawn)).tolist():
        by_label.setdefault(_label(drawn[i]), drawn[i])
        if len(by_label) == size:
            break
    return list(by_label.values())


def company_pool(size: int, countries: list[str], rng: np.random.Generator) -> list[Company]:
    """``size`` distinct end customers (fewer if the name space runs out), the i-th based in
    ``countries[i]``: legal form and domain suffix follow the country."""
    bases = _unique_bases(size, rng)
    legal_pick = rng.random(len(bases))
    com_pick = rng.random(len(bases))
    pool = []
    for base, country, legal_u, com_u in zip(bases, countries, legal_pick, com_pick, strict=False):
        forms = LEGAL_FORMS[country]
        tld = ".com" if com_u < 0.55 else TLDS[country]
        pool.append(Company(base, forms[int(legal_u * len(forms))], _label(base) + tld))
    return pool


VARIANT_WEIGHTS = np.array([0.18, 0.22, 0.2, 0.12, 0.05, 0.1, 0.05, 0.08])
VARIANT_CDF = np.cumsum(VARIANT_WEIGHTS / VARIANT_WEIGHTS.sum())


def spelling_variant(company: Company, u: float, v: float) -> str:
    """The company as another CRM user might type it; ``u`` picks the kind of variation and
    ``v`` its detail (both uniform in [0, 1), drawn by the caller in bulk)."""
    kind = int(np.searchsorted(VARIANT_CDF, u, side="right"))
    base, legal = company.base, company.legal
    if kind == 0:
        return company.name.upper()
    if kind == 1:
        return base
    if kind == 2:
        return f"{base} {LONG_FORMS.get(legal, legal or 'Inc')}".strip()
    if kind == 3:
        if legal in _DOTTED:
            return f"{base}, {legal}." if v < 0.5 else f"{base} {legal}."
        return f"{base}, {legal}" if legal else f"{base} Co."
    if kind == 4:
        return company.name.lower()
    if kind == 5:
        if "&" in base:
            return f"{base.replace('&', 'and')} {legal}".strip()
        return f"The {company.name}"
    if kind == 6:
        return f"{_typo(base, v)} {legal}".strip()
    return f"{base} {_GENERIC[int(v * len(_GENERIC))]}"


_GENERIC = ("Group", "International", "Holdings", "Global")
_DOTTED = ("Inc", "Corp", "Ltd", "Pty Ltd", "Pvt Ltd")
"""Legal forms also written with a trailing full stop."""


def _typo(base: str, v: float) -> str:
    """Swap two adjacent letters inside the longest word (five letters or more)."""
    words = base.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) < 5:
        return base
    at = 1 + int(v * (len(word) - 3))
    words[longest] = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return " ".join(words)


def partner_names(countries: list[str], rng: np.random.Generator) -> list[str]:
    """One distinct partner company name per entry of ``countries``."""
    stems = [*PREFIXES, *(f"{a} {n}" for a in ADJECTIVES for n in NOUNS), *SURNAMES]
    space = len(stems) * len(PARTNER_WORDS)
    qualified = len(countries) > space // 2
    picks = rng.choice(space * (4 if qualified else 1), size=len(countries), replace=False)
    legal = rng.random(len(countries))
    names = []
    for pick, country, legal_u in zip(picks.tolist(), countries, legal.tolist(), strict=True):
        qualifier, rest = divmod(pick, space)
        stem, word = divmod(rest, len(PARTNER_WORDS))
        name = f"{stems[stem]} {PARTNER_WORDS[word]}"
        if qualifier:
            cities = CITIES[country]
            name += f" {cities[(qualifier - 1) % len(cities)]}"
            if qualifier > len(cities):
                name += f" {('North', 'South', 'East')[min(2, qualifier // len(cities) - 1)]}"
        form = LEGAL_FORMS[country][int(legal_u * len(LEGAL_FORMS[country]))]
        names.append(f"{name} {form}".strip() if legal_u < 0.6 else name)
    return _dedupe(names)


def _dedupe(names: list[str]) -> list[str]:
    """Qualified names of the rare collisions ("... North" twice) get a roman-numeral suffix."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append(name if count == 0 else f"{name} {'I' * (count + 1)}")
    return out


def person_names(count: int, rng: np.random.Generator) -> list[str]:
    first = rng.integers(len(FIRST_NAMES), size=count).tolist()
    last = rng.integers(len(SURNAMES), size=count).tolist()
    return [f"{FIRST_NAMES[f]} {SURNAMES[s]}" for f, s in zip(first, last, strict=True)]


_ID_ALPHABET = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))


def slack_ids(prefix: str, count: int, length: int, rng: np.random.Generator) -> list[str]:
    """``count`` distinct Slack-style ids: ``prefix`` then ``length`` upper-case letters and
    digits, starting with a digit as Slack's own ids do."""
    ids: dict[str, None] = {}
    while len(ids) < count:
        need = count - len(ids)
        chars = _ID_ALPHABET[rng.integers(26, 36, size=(need, 1))]
        body = _ID_ALPHABET[rng.integers(36, size=(need, length - 1))]
        for row in np.concatenate([chars, body], axis=1):
            ids.setdefault(prefix + "".join(row), None)
    return list(ids)[:count]
