"""Company-name and domain normalisation and matching for deal-registration checks.

A new registration names an end customer by free text ("ACME Corp.", "Acme Corporation GmbH")
and often a web domain, URL or contact e-mail. Duplicates and channel conflicts are found by
comparing a :class:`CompanyKey` (normalised name + domain) with those of existing registrations.

Matching rules, in order of trust:

1. Same registrable domain (``eu.acme.co.uk`` and ``acme.co.uk``, by the Public Suffix List):
   the same company.
2. Both domains known but different: the same company only if the names are near-identical
   (>= 97), since different domains are strong evidence of different organisations.
3. Otherwise the name score (:func:`name_similarity`) decides against a threshold (88).

The name score is a weighted Dice coefficient over *distinctive* tokens, after expanding
business abbreviations ("Intl" -> "international"). Generic organisation words ("Group",
"Holdings", "Global", ...) carry almost no weight, so "Acme" == "Acme Group". Tokens pair up
exactly, as plurals, across German umlaut spellings (Müller/Mueller), as one-edit typos of
non-dictionary words of five letters or more, or as compounds ("Micro Soft"/"Microsoft").
An unmatched distinctive token costs a lot: "Acme Health" vs "Acme Foods" scores 50. Names
made only of generic words ("Global Holdings") are compared word for word, and only match other
such names: "Global Group" shares nothing distinctive with "Acme Global Group".

Subset names ("Acme" vs "Acme Foods") are *possible* matches, not matches: with n shared
distinctive tokens and one extra, the score is 2n/(2n+1) (67 for one shared word, 80 for two,
86 for three), below the default threshold; a caller that wants a review queue can use a lower
threshold (~65). Same-domain evidence still makes them the same company.
"""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import pairwise

from anyascii import anyascii
from publicsuffixlist import PSLFILE, PublicSuffixList
from rapidfuzz.distance import OSA

# --- word tables --------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


def _phrases(text: str) -> list[str]:
    return [phrase.strip() for phrase in text.split(",")]


# Legal forms, as token sequences after punctuation is removed and dotted initials are joined
# ("S. A." -> "sa", "B.V." -> "bv", "Sp. z o.o." -> "sp z oo").
_LEGAL_FORMS: frozenset[tuple[str, ...]] = frozenset(
    tuple(form.split())
    for form in _phrases(
        # English-speaking
        "inc, incorporated, corp, corporation, co, cos, company, llc, pllc, llp, lllp, lp, ltd, "
        "limited, plc, pc, pbc, ulc, na, lc, public limited company, limited liability company, "
        "limited liability partnership, limited partnership, private limited, "
        "proprietary limited, pty, pte, pvt, and co, and company, and cie, et cie, "
        # German-speaking
        "gmbh, mbh, ag, kg, kgaa, ohg, gbr, ug, ev, ek, eg, se, aktiengesellschaft, "
        "kommanditgesellschaft, gesellschaft mbh, gesellschaft mit beschrankter haftung, "
        "haftungsbeschrankt, "
        # Romance languages
        "sa, sas, sasu, sarl, eurl, sca, snc, spa, srl, srls, sl, slu, sau, sab, sac, saa, sae, "
        "ltda, lda, cie, sgps, esp, eireli, sa de cv, sab de cv, de cv, s de rl, s de rl de cv, "
        "sociedad anonima, sociedad limitada, sociedad de responsabilidad limitada, "
        "societe anonyme, societe par actions simplifiee, societa per azioni, "
        "societa a responsabilita limitata, sprl, scrl, bvba, cvba, "
        # Dutch, Nordic, Central and Eastern Europe
        "bv, nv, cv, vof, besloten vennootschap, naamloze vennootschap, oy, oyj, abp, ab, publ, "
        "ab publ, as, asa, aps, hf, ehf, aktiebolag, aktiebolaget, osakeyhtio, "
        "julkinen osakeyhtio, aktieselskab, anpartsselskab, allmennaksjeselskap, aksjeselskap, "
        "sro, spol s ro, sp z oo, sp zoo, spolka z oo, spolka akcyjna, "
        "spolka z ograniczona odpowiedzialnoscia, kft, zrt, nyrt, rt, bt, doo, dd, ad, ead, "
        "eood, ooo, oao, zao, pao, jsc, pjsc, ojsc, cjsc, tov, sia, uab, ou, "
        # Asia, Africa, Oceania
        "kk, gk, yk, kabushiki kaisha, kabushikigaisha, kabushiki gaisha, godo kaisha, "
        "yugen kaisha, bhd, berhad, sdn bhd, sendirian berhad, tbk, pty ltd, nl, ltee, inc ltd"
    )
)
_MAX_FORM = max(len(form) for form in _LEGAL_FORMS)
# Legal forms written before the name: "PT Bank Central Asia", "AB Volvo", "OOO Romashka".
_LEADING_FORMS: frozenset[tuple[str, ...]] = frozenset(
    tuple(form.split())
    for form in _phrases("the, pt, ab, ooo, oao, zao, pao, tov, kabushiki kaisha, kk")
)

# Business abbreviations and spelling variants -> one canonical token, applied before comparing.
_CANONICAL: dict[str, str] = {
    variant: canonical
    for canonical, variants in {
        "international": "intl internat internatl international",
        "technology": "tech techs technol technology technologies",
        "systems": "sys syst system systems",
        "manufacturing": "mfg mfr mfrs mfgs manufacturing manufacturer manufacturers",
        "services": "svc svcs serv servs service services",
        "group": "grp grps group groups grupo groupe gruppe gruppo",
        "holdings": "hldg hldgs holding holdings",
        "national": "natl national",
        "associates": "assoc assocs associates",
        "association": "assn assocn association",
        "brothers": "bro bros brothers",
        "department": "dept depts department",
        "university": "univ university",
        "center": "ctr cntr centre center",
        "management": "mgmt mgt management",
        "marketing": "mktg marketing",
        "development": "dev devel development",
        "engineering": "eng engr engg engineering",
        "industries": "ind inds indus industry industries",
        "laboratories": "lab labs laboratory laboratories",
        "pharmaceuticals": "pharma pharm pharmaceutical pharmaceuticals",
        "financial": "finl financial",
        "insurance": "ins insur insurance",
        "investments": "invest investment investments",
        "solutions": "soln solns solution solutions",
        "communications": "comm comms communication communications",
        "telecommunications": "telecom telecomm telecoms telecommunication telecommunications",
        "electric": "elec electric electrical",
        "electronics": "electronic electronics",
        "medical": "med medical",
        "hospital": "hosp hospital",
        "health": "hlth health",
        "sciences": "sci science sciences",
        "chemicals": "chem chemical chemicals",
        "products": "prod prods product products",
        "enterprises": "entp enterprise enterprises",
        "distribution": "distr distrib distribution",
        "mortgage": "mtg mortgage",
        "foundation": "fdn fndn foundation",
        "institute": "inst institute",
        "government": "govt government",
        "partners": "ptnrs prtnrs partners",
        "saint": "st ste saint sainte",
        "mount": "mt mount",
        "fort": "ft fort",
        "cooperative": "coop cooperative",
        "building": "bldg building",
        "builders": "bldrs builders",
        "instruments": "instr instrs instruments",
        "equipment": "equip equipment",
        "machinery": "mach machinery",
        "maintenance": "maint maintenance",
        "construction": "constr construction",
        "consulting": "cnslt consult consulting",
        "community": "cmnty community",
        "authority": "auth authority",
        "agency": "agcy agency",
        "academy": "acad academy",
        "administration": "admin administration",
        "education": "educ education",
        "exchange": "exch exchange",
        "research": "rsch research",
        "properties": "ppty pptys prop props property properties",
        "realty": "rlty realty",
        "utilities": "util utils utility utilities",
        "warehouse": "whse warehouse",
        "wholesale": "whsl wholesale",
        "transportation": "transp transportation",
        "division": "div division",
        "housing": "hsg housing",
        "office": "ofc office",
        "market": "mkt market",
        "motors": "mtr mtrs motor motors",
        "federal": "fed federal",
        "mutual": "mut mutual",
        "standard": "std standard",
        "trust": "trst trust",
        "company": "cia compagnie companhia compania compagnia",
    }.items()
    for variant in variants.split()
}
# Words that say what kind of organisation, not which one: "Acme" == "Acme Holdings". Legal
# forms inside a name ("Natura & Co Holding") count too, except two-letter ones, which are as
# often initials (SA Power Networks, AG Barr).
_GENERIC = frozenset(
    _words("group holdings global international worldwide enterprises companies industries co")
    + [form[0] for form in _LEGAL_FORMS if len(form) == 1 and len(form[0]) > 2]
)
# Joining words dropped before comparing: "Bank of the West" ~ "Bank West", "Compagnie de
# Saint-Gobain" ~ "Saint-Gobain".
_STOPWORDS = frozenset(_words("and of the und et for de del da do dos das di du des"))

# Common English words in company names: two *different* dictionary words are not a typo of each
# other (Health/Wealth, Foods/Goods), however close their spelling.
_DICTIONARY = frozenset(
    _words(
        """
    access ace action active advance advanced advantage aero aim air alliance allied alpha
    america american analytics anchor angel apex apparel apple applied arch arrow art arts asset
    assets atlantic atlas auto automotive avenue axis bank banking bar base bay beach bear bell
    best beta bio biosciences bird black blue board boat body bold bond book boston box bridge
    bright broad brook brothers build builders building buy cable california call camp canada
    canyon cap capital car card care cargo carrier cash castle cell center central century chain
    chance change charter chase chemical chemicals china choice circle city clean clear cliff
    cloud club coast code cold color commerce commercial common communications community compass
    complete concept connect consolidated construction consulting consumer continental control
    core corner cosmetics country county craft create credit crest cross crown crystal cube
    current custom cycle daily dairy dance data date day deal delta dental depot design desk
    development devices diamond digital direct discovery dollar door dragon dream drive dynamic
    dynamics eagle earth east eastern edge education electric electronics element elite
    emerald empire energy engine engineering enterprise environmental equity estate europe event
    evergreen excel express fabric factory fair faith falcon family farm farms fashion fast
    federal fidelity field film finance financial fire first fish fitness five fleet flex
    flight flow focus food foods force ford forest fortune forward foundation fox frame freedom
    fresh front frontier fuel fund future galaxy game gaming garden gate gear general
    generation gift glass global globe gold golden good goods grace grand graphics great green
    grid ground group growth guard guide gulf hall hand harbor harbour harvest hawk head health
    healthcare heart heritage high hill holdings home homes horizon hospital hotel hotels house
    hub human ice idea image impact imperial independent industrial industries infinity
    information innovation insight institute insurance integrated intelligence interactive
    international investment investments iron island jet journal joy just key kids king
    kingdom lab labs lake land landmark laser law leader leaf legacy liberty life light lime
    line lines link lion liquid live logic logistics lone long loop lotus love luxury machine
    machines magic main management manufacturing maple marine mark market marketing master
    materials matrix media medical mega mercury metal metro micro mid mill mills mind mining
    mint mission mobile modern money monitor moon motion motor motors mountain move multi
    music mutual nation national native natural nature net network networks new news next
    noble north northern nova oak ocean office oil omega one online open optical optics orange
    orbit organic origin pacific pack paint palm paper park partner partners path peak pearl
    people pharma pharmacy phoenix pilot pine pinnacle pioneer pixel place planet plant plastic
    plastics plaza plus point polar port power precision premier prime pro process product
    products professional progress project property prospect pulse pure quality quantum quest
    radio rail rain ranch rapid ray real realty red reliance research reserve resource
    resources retail ridge right rise river road rock rocket root rose royal safe safety sage
    sail salt sand save scale school science sciences screen sea second secure security select
    service services seven shell shield ship shop side sign signal silver simple sky smart
    social soft software solar solid solution solutions sound source south southern space
    spark spectrum speed sphere spirit sport sports spring square standard star state station
    steel stone storage store strategic street strong studio studios style summit sun sunrise
    super supply sure swift system systems table talent target team tech technology
    technologies tele test textile textiles the think three tide time titan top total touch
    tower town trade trader traders trading trail trans travel tree trend tri trinity triple
    true trust turbo twin union unique united unity universal urban valley value vantage
    vector venture ventures victory view village vision vista wall water wave way wealth web
    well west western white wild wind wing wire wireless wise wood works world worldwide yard
    young zen zero zone tank bancorp bankers insurers builders traders makers brands brand
    fund funds grove groove gas gap nest best rest west test post most host coast toast boast
    mart part cart art dart card cord lord word ward yard hard
    """
    )
)

# Software-as-a-service platforms that give each customer its own subdomain (acme.sharepoint.com
# is Acme's, globex.sharepoint.com Globex's) but are missing from the Public Suffix List, whose
# private section lists only the platforms that asked to be listed.
_TENANT_SUFFIXES = _words(
    "sharepoint.com onmicrosoft.com force.com my.salesforce.com zendesk.com atlassian.net "
    "squarespace.com"
)
# Free mail providers: a contact address there says nothing about the customer's company.
FREE_MAIL_DOMAINS = frozenset(
    _words(
        """
    gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr yahoo.de yahoo.co.jp ymail.com
    hotmail.com hotmail.co.uk hotmail.fr hotmail.de outlook.com outlook.de live.com live.co.uk
    msn.com aol.com icloud.com me.com mac.com protonmail.com proton.me pm.me gmx.com gmx.de
    gmx.net web.de mail.com mail.ru yandex.ru yandex.com qq.com 163.com 126.com naver.com
    hanmail.net rediffmail.com fastmail.com tutanota.com
    """
    )
)

# --- company names --------------------------------------------------------------------------------

_APOSTROPHES = re.compile(r"['`´]")
_WEB_SUFFIX = re.compile(r"(?<=[a-z0-9])\.(?:com|net|org|io|ai|co|eu)\b")
_INITIALS = re.compile(r"\b(?:[a-z0-9] ?[./] ?)+[a-z0-9]\b\.?")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _char_to_ascii(ch: str) -> str:
    if ch.isascii():
        return ch
    category = unicodedata.category(ch)
    if category == "Cf":  # soft hyphen, zero-width joiner: invisible inside a word
        return ""
    if category[0] in "SZC":  # symbols, odd spaces, controls separate words
        return " "
    return anyascii(ch)


def _ascii_lower(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    if not text.isascii():
        text = "".join(map(_char_to_ascii, text))
    return text.lower()


def _strip_forms(tokens: list[str]) -> list[str]:
    """Drop legal forms and "the" at both ends, repeatedly, always keeping one token."""
    changed = True
    while changed:
        changed = False
        for size in range(min(_MAX_FORM, len(tokens) - 1), 0, -1):
            if tuple(tokens[:size]) in _LEADING_FORMS:
                tokens, changed = tokens[size:], True
                break
        for size in range(min(_MAX_FORM, len(tokens) - 1), 0, -1):
            tail = tuple(tokens[-size:])
            if tail in _LEGAL_FORMS or tail == ("the",):
                tokens, changed = tokens[:-size], True
                break
    return tokens


def normalize_company_name(name: str) -> str:
    """Canonical comparable form: ASCII, lower case, no punctuation, no legal forms or "the".

    "Acme Holdings Co., Ltd." -> "acme holdings"; "Société Générale S.A." -> "societe generale";
    "Company" -> "company" (a name is never reduced to nothing). Idempotent.
    """
    text = _ascii_lower(name)
    text = _APOSTROPHES.sub("", text)
    text = _WEB_SUFFIX.sub(" ", text)
    text = _INITIALS.sub(lambda m: _NON_ALNUM.sub("", m.group()), text)
    text = text.replace("&", " and ")
    tokens = _NON_ALNUM.sub(" ", text).split()
    return " ".join(_strip_forms(tokens))


@lru_cache(maxsize=1 << 17)
def comparison_tokens(name: str) -> tuple[str, ...]:
    """Tokens compared by :func:`name_similarity`: normalised, abbreviations expanded, joining
    words dropped (unless nothing else is left)."""
    tokens = [_CANONICAL.get(t, t) for t in normalize_company_name(name).split()]
    kept = [t for t in tokens if t not in _STOPWORDS]
    return tuple(kept or tokens)


def is_generic(token: str) -> bool:
    return token in _GENERIC


def _is_word(token: str) -> bool:
    return token in _DICTIONARY or (token.endswith("s") and token[:-1] in _DICTIONARY)


def fold_umlauts(token: str) -> str:
    """German umlauts written out ("mueller") folded to their anyascii form ("muller")."""
    return token.replace("ae", "a").replace("oe", "o").replace("ue", "u")


def token_similarity(x: str, y: str) -> float:
    """How much two tokens count as the same word, 0..1.

    Plurals of dictionary words and umlaut spellings count 0.95 (Vestas is not the plural of
    Vesta: for other words a final "s" is an ordinary edit). A single edit (OSA: substitution,
    insertion, deletion or swap of neighbours) in tokens of 5+ letters counts 1 - 1/length,
    unless both are dictionary words: one-letter differences in short names are usually other
    companies. Numbers must be equal.
    """
    if x == y:
        return 1.0
    short, long = (x, y) if len(x) <= len(y) else (y, x)
    if len(short) >= 4 and long == short + "s" and short in _DICTIONARY:
        return 0.95
    if len(short) < 4 or len(long) < 5 or len(long) - len(short) > 2:
        return 0.0
    if ("ae" in long or "oe" in long or "ue" in long) and fold_umlauts(x) == fold_umlauts(y):
        return 0.95
    if len(long) - len(short) > 1 or (_is_word(x) and _is_word(y)):
        return 0.0
    if not (x.isalpha() and y.isalpha()):  # "10001" vs "10002": numbers are exact or different
        return 0.0
    if OSA.distance(x, y, score_cutoff=1) > 1:
        return 0.0
    return 1.0 - 1.0 / len(long)


def _merge_compounds(tokens: list[str], other: set[str]) -> list[str]:
    """Join neighbours that the other name writes as one word ("micro soft" vs "microsoft")."""
    merged: list[str] = []
    index = 0
    while index < len(tokens):
        if index + 1 < len(tokens) and tokens[index] + tokens[index + 1] in other:
            merged.append(tokens[index] + tokens[index + 1])
            index += 2
        else:
            merged.append(tokens[index])
            index += 1
    return merged


def _dice(a: list[str], b: list[str]) -> float:
    """Weighted Dice over greedily aligned token pairs, 0..1."""
    if not a or not b:
        return 0.0
    pairs = sorted(
        (
            (s, i, j)
            for i, x in enumerate(a)
            for j, y in enumerate(b)
            if (s := token_similarity(x, y)) > 0.0
        ),
        reverse=True,
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    total = 0.0
    for s, i, j in pairs:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            total += s
    return 2.0 * total / (len(a) + len(b))


# Each generic word present in one name only ("Acme" vs "Acme Group") costs this many points.
GENERIC_PENALTY = 2.0


def token_score(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """:func:`name_similarity` on :func:`comparison_tokens` output (used by the index)."""
    if not a or not b:
        return 0.0
    if a == b or "".join(a) == "".join(b):
        return 100.0
    if a > b:  # one fixed order, so ties in the greedy alignment cannot break symmetry
        a, b = b, a
    a_list = _merge_compounds(list(a), set(b))
    b_list = _merge_compounds(list(b), set(a_list))
    strong_a = [t for t in a_list if t not in _GENERIC]
    strong_b = [t for t in b_list if t not in _GENERIC]
    if not strong_a and not strong_b:  # "Global Group" vs "Global Holdings": all we have
        return round(100.0 * _dice(a_list, b_list), 2)
    if not strong_a or not strong_b:  # "Global Group" vs "Acme Global Group": nothing shared
        return 0.0
    generic_a = Counter(t for t in a_list if t in _GENERIC)
    generic_b = Counter(t for t in b_list if t in _GENERIC)
    unmatched = sum(((generic_a - generic_b) + (generic_b - generic_a)).values())
    score = 100.0 * _dice(strong_a, strong_b) - GENERIC_PENALTY * unmatched
    return round(max(0.0, score), 2)


def name_similarity(a: str, b: str) -> float:
    """0..100, symmetric; names are normalised first, so raw names work too.

    "Acme Corp." vs "ACME Corporation" -> 100; "Globex Intl" vs "Globex International" -> 100;
    "Acme" vs "Acme Group" -> 98; "Acme" vs "Acme Foods" -> 67 (possible); "Acme Health" vs
    "Acme Foods" -> 50. Names with nothing comparable (punctuation only) score 0.
    """
    return token_score(comparison_tokens(a), comparison_tokens(b))


# --- domains --------------------------------------------------------------------------------------

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TLD = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_WWW = re.compile(r"^www\d*\.")
# One or more leading schemes, as pasted into CRM fields: "https://", "http://https://", "https:/".
_SCHEMES = re.compile(r"^(?:[a-z][a-z0-9+.\-]*:/+)+", re.IGNORECASE)
# Already a clean host (the common case in CRM exports): returned as it is.
_CLEAN_HOST = re.compile(r"(?!www\d*\.)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def normalize_domain(value: str) -> str | None:
    """Host name from a domain, URL or e-mail address, lower case and IDNA (punycode) encoded.

    "https://WWW.Acme.com/about" -> "acme.com"; "sales@eu.acme.co.uk" -> "eu.acme.co.uk";
    None for empty or invalid input (IP addresses included: they name no organisation).
    """
    if not isinstance(value, str):
        return None
    if len(value) <= 253 and _CLEAN_HOST.fullmatch(value):
        return value
    text = value.strip()
    if " " in text or "\t" in text:  # "Acme Sales <sales@acme.com>"
        words = [w for w in text.split() if "@" in w or "." in w]
        text = words[-1] if words else ""
    text = text.strip("<>()[]\"',;")
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = _SCHEMES.sub("", text).lstrip("/")  # also "http://https://x", "//cdn.x"
    host = re.split(r"[/?#\\]", text, maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].strip(".").lower()
    if not host:
        return None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii").lower()
        except (UnicodeError, ValueError):
            return None
    if host.count(".") >= 2:  # "www.com" itself stays
        host = _WWW.sub("", host)
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not _TLD.fullmatch(labels[-1]):
        return None
    if not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return host


@cache
def _suffix_list() -> PublicSuffixList:
    """The Public Suffix List as the ``publicsuffixlist`` wheel ships it (read from disk, never
    fetched), plus :data:`_TENANT_SUFFIXES`. Parsed on first use (about 0.15 s), not at import."""
    with open(PSLFILE, encoding="utf-8") as handle:
        return PublicSuffixList([*handle, *_TENANT_SUFFIXES])


@lru_cache(maxsize=1 << 16)
def registrable_domain(domain: str) -> str:
    """The organisation's domain without subdomains: "eu.acme.co.uk" -> "acme.co.uk".

    The Public Suffix List decides (co.uk, com.au, the city-level suffixes of .jp, hosting
    platforms: acme.myshopify.com stays whole); a public suffix itself ("co.uk") is returned as
    it is. Cached: every registration check asks for the domains of its candidates.
    """
    host = normalize_domain(domain) or domain.strip().lower()
    return _suffix_list().privatesuffix(host) or host


# --- company keys ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompanyKey:
    """A company as registrations name it: normalised name and normalised domain (or None)."""

    name: str
    domain: str | None


def company_key(name: str, domain: str | None) -> CompanyKey:
    """Normalised key; free-mail domains (gmail.com, ...) are dropped as they name no company."""
    host = normalize_domain(domain) if domain else None
    if host is not None and registrable_domain(host) in FREE_MAIL_DOMAINS:
        host = None
    return CompanyKey(normalize_company_name(name), host)


# Two different registrable domains: the names must be (nearly) identical to still match.
DIFFERENT_DOMAIN_THRESHOLD = 97.0


def same_company(a: CompanyKey, b: CompanyKey, threshold: float = 88.0) -> bool:
    """Same registrable domain -> True; two different domains -> names >= 97; else names >=
    ``threshold``."""
    if a.domain and b.domain:
        if registrable_domain(a.domain) == registrable_domain(b.domain):
            return True
        threshold = max(threshold, DIFFERENT_DOMAIN_THRESHOLD)
    return name_similarity(a.name, b.name) >= threshold


# --- look-alike keys ------------------------------------------------------------------------------


def _variants(token: str) -> set[str]:
    """What a token shares with every token :func:`token_similarity` pairs it with: itself,
    its umlaut folding, and, from five letters on, its one-letter deletions (two tokens one
    edit apart share a deletion, a plural contains its singular)."""
    found = {token, fold_umlauts(token)}
    if len(token) >= 5:
        found.update(token[:i] + token[i + 1 :] for i in range(len(token)))
    return found


def lookalike_keys(key: CompanyKey) -> set[str]:
    """Strings of which two companies :func:`same_company` matches (at any positive threshold)
    always share one: the registrable domain, the squashed name, the variants of each
    distinctive token (of every token for names made only of generic words) and each pair of
    neighbours joined (compounds). Registrations lock them, so look-alikes never race."""
    tokens = comparison_tokens(key.name)
    strong = [t for t in tokens if not is_generic(t)] or list(tokens)
    keys = {f"s:{''.join(tokens)}"}
    keys.update(f"t:{v}" for token in strong for v in _variants(token))
    keys.update(f"t:{a}{b}" for a, b in pairwise(tokens))
    if key.domain:
        keys.add(f"d:{registrable_domain(key.domain)}")
    return keys
