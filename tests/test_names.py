"""Company-name and domain matching: examples, the labelled quality gate, the candidate index
against brute force, and properties."""

import csv
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deals.company_index import CompanyIndex
from deals.names import (
    CompanyKey,
    company_key,
    comparison_tokens,
    lookalike_keys,
    name_similarity,
    normalize_company_name,
    normalize_domain,
    registrable_domain,
    same_company,
)

PAIRS = Path(__file__).parent / "data" / "company_pairs.csv"


# --- examples ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Acme Corp.", "acme"),
        ("ACME Corporation", "acme"),
        ("Acme Holdings Co., Ltd.", "acme holdings"),
        ("Société Générale S.A.", "societe generale"),
        ("The Home Depot, Inc.", "home depot"),
        ("Home Depot, The", "home depot"),
        ("Procter & Gamble Co.", "procter and gamble"),
        ("Henkel AG & Co. KGaA", "henkel"),
        ("Grupo Bimbo, S.A.B. de C.V.", "grupo bimbo"),
        ("Novo Nordisk A/S", "novo nordisk"),
        ("Acme Sp. z o.o.", "acme"),
        ("Unilever N. V.", "unilever"),
        ("J.P. Morgan Chase & Co.", "jp morgan chase"),
        ("McDonald's", "mcdonalds"),
        ("Booking.com B.V.", "booking"),
        ("Kabushiki Kaisha Toshiba", "toshiba"),
        ("Company", "company"),
        ("The Company", "company"),
        ("Co., Ltd.", "co"),
        ("Acme™", "acme"),
        ("", ""),
        ("  ...  ", ""),
    ],
)
def test_normalize_company_name(raw: str, normalised: str) -> None:
    assert normalize_company_name(raw) == normalised


def test_issue_examples() -> None:
    assert name_similarity("Acme Corp.", "ACME Corporation") == 100.0
    assert name_similarity("Globex Intl", "Globex International") >= 95.0
    assert name_similarity("Acme Health", "Acme Foods") < 70.0
    assert same_company(company_key("Acme Corp.", None), company_key("ACME Corporation", None))
    assert not same_company(company_key("Acme Health", None), company_key("Acme Foods", None))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme", "Acme Group"),
        ("Acme", "Acme Holdings Co., Ltd."),
        ("Globex Global", "Globex Holdings"),
        ("Initech Sys", "Initech Systems"),
        ("Stark Mfg. Co.", "Stark Manufacturing Company"),
        ("Müller Logistik", "Mueller Logistik GmbH"),
        ("Micro Soft Corp", "Microsoft Corporation"),
        ("Johnson Controls", "Jonhson Controls"),
        ("Ernst & Young LLP", "Ernst and Young"),
        ("Compagnie de Saint-Gobain", "Saint Gobain"),
    ],
)
def test_same_names(a: str, b: str) -> None:
    assert name_similarity(a, b) >= 88.0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("American Airlines", "American Express"),
        ("General Motors", "General Mills"),
        ("United Airlines", "United Health"),
        ("Delta Air Lines", "Delta Dental"),
        ("Acme Health", "Acme Wealth"),
        ("Johnson & Johnson", "Johnson Controls"),
        ("Acme", "Acne"),
        ("Xerox", "Xero"),
        ("Vestas", "Vesta"),
        ("Area 51 Labs", "Area 52 Labs"),
    ],
)
def test_different_names(a: str, b: str) -> None:
    assert name_similarity(a, b) < 85.0


def test_subset_names_are_possible_matches_only() -> None:
    """One extra distinctive word: 2n/(2n+1) -- below the default threshold, above unrelated."""
    assert name_similarity("Acme", "Acme Foods") == pytest.approx(66.67)
    assert name_similarity("Acme Health", "Acme Health Foods") == pytest.approx(80.0)
    assert name_similarity("Acme", "Zorvex Foods") == 0.0


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("https://WWW.Acme.com/about", "acme.com"),
        ("sales@eu.acme.co.uk", "eu.acme.co.uk"),
        ("http://user:secret@www2.initrode.com:8080/path?x=1#top", "initrode.com"),
        ("FABRIKAM.COM.", "fabrikam.com"),
        ("mailto:partners@canva.com", "canva.com"),
        ("Acme Sales <sales@acme.com>", "acme.com"),
        ("//cdn.acme.io/x.js", "cdn.acme.io"),
        ("http://https://www.acme.com//", "acme.com"),
        ("https:/acme.com", "acme.com"),
        ("https://acme.com/go?to=https://other.com", "acme.com"),
        ("acme.com:8443", "acme.com"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("www.com", "www.com"),
        ("", None),
        ("   ", None),
        ("acme", None),
        ("127.0.0.1", None),
        ("http://[::1]:80/", None),
        ("bad_label.com", None),
        ("-acme.com", None),
    ],
)
def test_normalize_domain(raw: str, domain: str | None) -> None:
    assert normalize_domain(raw) == domain


@pytest.mark.parametrize(
    ("domain", "registrable"),
    [
        ("eu.acme.co.uk", "acme.co.uk"),
        ("acme.co.uk", "acme.co.uk"),
        ("shop.acme.com.au", "acme.com.au"),
        ("global.hitachi.co.jp", "hitachi.co.jp"),
        ("a.b.acme.com", "acme.com"),
        ("acme.com", "acme.com"),
        ("acme.myshopify.com", "acme.myshopify.com"),
        ("eu.acme.sharepoint.com", "acme.sharepoint.com"),  # a tenant platform the PSL lacks
        ("acme.my.salesforce.com", "acme.my.salesforce.com"),
        ("portal.acme.nakahara.kawasaki.jp", "acme.nakahara.kawasaki.jp"),  # "*.kawasaki.jp"
        ("www.city.kawasaki.jp", "city.kawasaki.jp"),  # "!city.kawasaki.jp"
        ("acme.unknowntld", "acme.unknowntld"),
        ("www.acme.com.br", "acme.com.br"),
        ("co.uk", "co.uk"),
    ],
)
def test_registrable_domain(domain: str, registrable: str) -> None:
    assert registrable_domain(domain) == registrable


def test_domain_rules() -> None:
    assert same_company(
        company_key("Acme Corp", "sales@eu.acme.co.uk"),
        company_key("Totally Different Name", "https://www.acme.co.uk/"),
    )
    # Different registrable domains: near-identical names only.
    assert same_company(
        company_key("Nestlé S.A.", "nestle.com"), company_key("Nestle", "nestle.ch")
    )
    assert not same_company(
        company_key("Woolworths Group", "woolworthsgroup.com.au"),
        company_key("Woolworths Holdings", "woolworthsholdings.co.za"),
    )
    assert same_company(
        company_key("Woolworths Group", "woolworthsgroup.com.au"),
        company_key("Woolworths Holdings", None),
    )


def test_free_mail_domains_are_not_company_domains() -> None:
    a, b = company_key("Acme", "bob@gmail.com"), company_key("Globex", "alice@gmail.com")
    assert a.domain is None
    assert not same_company(a, b)


# --- labelled quality gate ---------------------------------------------------------------------


def _rows() -> list[dict[str, str]]:
    with PAIRS.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_labelled_set_is_large_and_balanced() -> None:
    rows = _rows()
    same = sum(row["same"] == "1" for row in rows)
    held_out = sum(row["portion"] == "holdout" for row in rows)
    assert len(rows) >= 600
    assert 0.4 <= same / len(rows) <= 0.6
    assert 0.25 <= held_out / len(rows) <= 0.4


@pytest.mark.parametrize("portion", ["all", "dev", "holdout"])
def test_labelled_precision_and_recall(portion: str) -> None:
    tp = fp = fn = 0
    for row in _rows():
        if portion not in ("all", row["portion"]):
            continue
        predicted = same_company(
            company_key(row["name_a"], row["domain_a"] or None),
            company_key(row["name_b"], row["domain_b"] or None),
        )
        truth = row["same"] == "1"
        tp += predicted and truth
        fp += predicted and not truth
        fn += truth and not predicted
    assert tp / (tp + fp) >= 0.95
    assert tp / (tp + fn) >= 0.95


# --- index against brute force -----------------------------------------------------------------


def _corpus(seed: int = 5) -> list[CompanyKey]:
    """Labelled names plus perturbed copies: shared words, typos, extra and missing words."""
    raw = [(row[f"name_{s}"], row[f"domain_{s}"] or None) for row in _rows() for s in "ab"]
    rng = random.Random(seed)
    words = sorted({w for name, _ in raw for w in name.split()})
    for _ in range(2500):
        tokens = rng.choice(raw)[0].split()
        roll = rng.random()
        if roll < 0.25:
            tokens.append(rng.choice(words))
        elif roll < 0.4 and len(tokens) > 1:
            tokens.pop()
        elif roll < 0.65:
            i = rng.randrange(len(tokens))
            if len(tokens[i]) > 3:
                j = rng.randrange(len(tokens[i]))
                tokens[i] = tokens[i][:j] + rng.choice("aeioust") + tokens[i][j + 1 :]
        elif roll < 0.75:
            tokens.insert(0, rng.choice(words))
        elif roll < 0.85 and len(tokens) > 1:
            i = rng.randrange(len(tokens) - 1)
            tokens[i : i + 2] = [tokens[i] + tokens[i + 1].lower()]
        domain = rng.choice([None, None, f"{rng.choice(words).lower()}.com"])
        raw.append((" ".join(tokens), domain))
    raw += [("Global Industries", None), ("Global Sndustries", None), ("Global Group", None)]
    return [company_key(name, domain) for name, domain in raw]


@pytest.fixture(scope="module")
def corpus() -> list[CompanyKey]:
    return _corpus()


@pytest.fixture(scope="module")
def index(corpus: list[CompanyKey]) -> CompanyIndex:
    built = CompanyIndex()
    for item, key in enumerate(corpus):
        built.add(item, key)
    return built


@pytest.mark.parametrize(("threshold", "queries"), [(88.0, 160), (75.0, 40), (95.0, 40)])
def test_index_agrees_with_brute_force(
    corpus: list[CompanyKey], index: CompanyIndex, threshold: float, queries: int
) -> None:
    rng = random.Random(int(threshold))
    sample = [*rng.sample(range(len(corpus)), queries), len(corpus) - 3, len(corpus) - 2]
    for query in sample:
        expected = {
            i for i, key in enumerate(corpus) if same_company(corpus[query], key, threshold)
        }
        assert set(index.matches(corpus[query], threshold)) == expected, corpus[query]


def test_index_add_remove_replace() -> None:
    index = CompanyIndex()
    index.add(1, company_key("Acme Corp.", "acme.com"))
    index.add(2, company_key("ACME Corporation", None))
    index.add(3, company_key("Acme Foods", None))
    index.add(4, company_key("Globex", "www.acme.com"))
    assert index.matches(company_key("Acme", "https://acme.com/x")) == [1, 4, 2]
    assert index.matches(company_key("Acme Foods Inc", None)) == [3]
    assert index.remove(1)
    assert not index.remove(1)
    assert 1 not in index
    assert index.matches(company_key("Acme", None)) == [2]
    index.add(2, company_key("Initech", None))  # replaces id 2's key
    assert index.matches(company_key("Acme", None)) == []
    assert index.matches(company_key("Initech Inc.", None)) == [2]
    assert len(index) == 3
    assert index.get(2) == company_key("Initech", None)


def test_every_look_alike_shares_a_lock_key(corpus: list[CompanyKey], index: CompanyIndex) -> None:
    """Registration serialises on :func:`lookalike_keys`: every pair the lowest threshold a
    program may set (50) matches must share one, or the two could register at once unseen."""
    pairs = 0
    for query in random.Random(50).sample(range(len(corpus)), 1000):
        mine = lookalike_keys(corpus[query])
        for other in index.matches(corpus[query], 50.0):
            pairs += other != query
            assert mine & lookalike_keys(corpus[other]), (corpus[query], corpus[other])
    assert pairs > 1000  # look-alikes, not only each name with itself


def test_lookalike_keys_of_compounds_typos_and_plurals() -> None:
    def shared(a: str, b: str) -> bool:
        assert same_company(company_key(a, None), company_key(b, None))
        return bool(lookalike_keys(company_key(a, None)) & lookalike_keys(company_key(b, None)))

    assert shared("Micro Soft Foods", "Microsoft Food")
    assert shared("Globex Systems", "Glbex Systems")
    assert shared("Müller Brands", "Mueller Brand")
    assert shared("Global Group", "Global Groups")
    assert not lookalike_keys(company_key("Acme Health", None)) & lookalike_keys(
        company_key("Initech Foods", None)
    )


# --- properties ---------------------------------------------------------------------------------

_NAME_WORDS = [
    "Acme",
    "Société",
    "Générale",
    "&",
    "and",
    "The",
    "Co.",
    "Ltd",
    "S.A.",
    "GmbH",
    "Intl",
    "Group",
    "A/S",
    "B.V.",
    "Müller",
    "Zürich",
    "of",
    "de",
    "Tech",
    "Holdings",
    "-",
    ",",
    "'",
    "Inc.",
    "Sp.",
    "z",
    "o.o.",
    "株式会社",
    "Å",
    "ß",
]
company_names = st.one_of(
    st.text(), st.lists(st.sampled_from(_NAME_WORDS), max_size=6).map(" ".join)
)


@given(company_names)
def test_normalize_company_name_total_and_idempotent(name: str) -> None:
    once = normalize_company_name(name)
    assert normalize_company_name(once) == once
    assert once == once.strip()
    assert once.isascii()


@pytest.mark.parametrize("name", ["Company", "Ltd.", "The", "S.A.", "GmbH & Co. KG", "Inc"])
def test_suffix_only_names_are_never_empty(name: str) -> None:
    assert normalize_company_name(name)


_URLS = st.from_regex(r"(https?://)?(www\.)?[a-z]{1,8}\.[a-z]{2,3}(/[a-z]*)?", fullmatch=True)


@given(st.one_of(st.text(), st.emails(), _URLS))
def test_normalize_domain_total(value: str) -> None:
    domain = normalize_domain(value)
    if domain is not None:
        assert normalize_domain(domain) == domain
        assert registrable_domain(domain).endswith(domain.rsplit(".", 1)[1])


@given(company_names, company_names)
def test_name_similarity_symmetric_and_bounded(a: str, b: str) -> None:
    score = name_similarity(a, b)
    assert 0.0 <= score <= 100.0
    assert score == name_similarity(b, a)


@settings(max_examples=200)
@given(company_names, st.one_of(st.none(), st.text(max_size=30), st.emails()))
def test_a_name_matches_itself(name: str, domain: str | None) -> None:
    key = company_key(name, domain)
    if comparison_tokens(name):
        assert name_similarity(name, name) == 100.0
        assert same_company(key, key)
    if key.name or key.domain:
        index = CompanyIndex()
        index.add(7, key)
        assert index.matches(key) == ([7] if same_company(key, key) else [])
