"""Company matcher benchmark: quality on the labelled pairs, speed of the candidate index.

Run from the repository root: ``python bench/matcher_bench.py`` (``--entries 200000`` for a
quicker run). Prints precision and recall of ``same_company`` on ``tests/data/company_pairs.csv``
(overall, dev and held-out portions), the misclassified pairs, then builds a
:class:`CompanyIndex` of synthetic active registrations and times match queries against it.
"""

import argparse
import csv
import gc
import math
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from deals.company_index import CompanyIndex  # noqa: E402
from deals.names import (  # noqa: E402
    CompanyKey,
    company_key,
    name_similarity,
    normalize_domain,
    same_company,
)

PAIRS = ROOT / "tests" / "data" / "company_pairs.csv"


def _words(text: str, separator: str | None = None) -> list[str]:
    return text.split(separator)


# --- quality ----------------------------------------------------------------------------------


@dataclass
class Confusion:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, predicted: bool, truth: bool) -> None:
        if predicted and truth:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif truth:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def line(self, label: str) -> str:
        total = self.tp + self.fp + self.fn + self.tn
        return (
            f"{label:<22} {total:5d} pairs  precision {self.precision:.3f}  "
            f"recall {self.recall:.3f}  (tp {self.tp}, fp {self.fp}, fn {self.fn}, tn {self.tn})"
        )


def load_pairs(path: Path = PAIRS) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def evaluate(rows: list[dict[str, str]], threshold: float = 88.0) -> dict[str, Confusion]:
    """Confusion per portion ("all", "dev", "holdout", and "hand-fresh" held-out pairs)."""
    results = {
        "all": Confusion(),
        "dev": Confusion(),
        "holdout": Confusion(),
        "holdout hand-fresh": Confusion(),
    }
    for row in rows:
        a = company_key(row["name_a"], row["domain_a"] or None)
        b = company_key(row["name_b"], row["domain_b"] or None)
        predicted, truth = same_company(a, b, threshold), row["same"] == "1"
        for label in ("all", row["portion"]):
            results[label].add(predicted, truth)
        if row["kind"] == "hand-fresh":
            results["holdout hand-fresh"].add(predicted, truth)
    return results


def report_quality() -> None:
    rows = load_pairs()
    print(f"== same_company on {PAIRS.relative_to(ROOT)} (threshold 88) ==")
    for label, confusion in evaluate(rows).items():
        print(confusion.line(label))
    print("misclassified:")
    for row in rows:
        a = company_key(row["name_a"], row["domain_a"] or None)
        b = company_key(row["name_b"], row["domain_b"] or None)
        truth = row["same"] == "1"
        if same_company(a, b) != truth:
            print(
                f"  {'FN' if truth else 'FP'} [{row['portion']}/{row['kind']}] "
                f"{row['name_a']!r} <{row['domain_a']}> vs {row['name_b']!r} <{row['domain_b']}>"
                f"  name score {name_similarity(a.name, b.name):.1f}"
            )


# --- synthetic registrations ---------------------------------------------------------------------

SYLLABLES = _words(
    "al an ar as ba be bel bri ca car cor da del dor el en er fa fel gal gar ha hel il in ka kel "
    "kor la lan lor ma mar mel mor na nel nor o or pa par pel qua ra ran ren ro sa sel sor ta tal "
    "ter tor u ul va val ven vor wa wel xan ya zan zel zor vex trix lux nova quin dyn tek"
)
SURNAMES = _words(
    "Smith Johnson Williams Brown Jones Miller Davis Garcia Rodriguez Wilson Martinez Anderson "
    "Taylor Thomas Hernandez Moore Martin Jackson Thompson White Lopez Lee Gonzalez Harris Clark "
    "Lewis Robinson Walker Perez Hall Young Allen Sanchez Wright King Scott Green Baker Adams "
    "Nelson Hill Ramirez Campbell Mitchell Roberts Carter Phillips Evans Turner Torres Parker "
    "Collins Edwards Stewart Morris Murphy Cook Rogers Morgan Peterson Cooper Reed Bailey Bell "
    "Gomez Kelly Howard Ward Cox Diaz Richardson Wood Watson Brooks Bennett Gray James Reyes "
    "Cruz Hughes Price Myers Long Foster Sanders Ross Morales Powell Sullivan Russell Ortiz "
    "Jenkins Gutierrez Perry Butler Barnes Fisher Henderson Coleman Simmons Patterson Jordan "
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Dubois Laurent "
    "Lefèvre Moreau Rossi Russo Ferrari Esposito Bianchi Nakamura Tanaka Suzuki Kim Park Chen "
    "Wang Li Zhang Singh Kumar Sharma Patel Novák Kowalski Nowak Jensen Nielsen Hansen Larsen "
    "Andersson Johansson Karlsson Nilsson Eriksson Virtanen Korhonen Silva Santos Oliveira"
)
WORDS = _words(
    "Harbor Summit Pinnacle Apex Beacon Bridge Canyon Cascade Cedar Crest Delta Eagle Falcon "
    "Frontier Granite Harvest Horizon Keystone Lakeside Liberty Maple Meridian Oak Orchard Pioneer "
    "Prairie Quarry Redwood Ridge River Sierra Silver Sterling Stone Sunrise Timber Trident "
    "Valley Vanguard Vista Willow Anchor Arrow Atlas Blue Bright Coastal Compass Copper Crown "
    "Diamond Emerald Evergreen Fairway Golden Green Heritage Iron Jade Lighthouse Lion Metro "
    "North Ocean Orion Pacific Phoenix Pine Polar Prime Quantum Royal Sapphire Shield Signal "
    "Solar Spring Star Swift Titan Tower Trinity Union Unity Victory Zenith"
)
INDUSTRIES = _words(
    "Health Foods Logistics Software Capital Energy Media Motors Insurance Analytics Robotics "
    "Textiles Airlines Dental Steel Realty Security Consulting Mining Retail Apparel Biosciences "
    "Water Semiconductors Hotels Paper Cosmetics Gaming Pharmaceuticals Technologies Systems "
    "Manufacturing Services Laboratories Chemicals Communications Bank Financial Partners "
    "Construction Engineering Freight Marine Packaging Furniture Travel Publishing Solutions "
    "Networks Labs Medical Dynamics Industries Holdings Group Ventures Brands Studios Foundation"
)
COMMON = _words(
    "American United First National General Pacific Atlantic Global Summit Premier Royal "
    "Standard Northern Southern Western Eastern Central Continental Universal Liberty Heritage "
    "Capital Eagle Advanced Applied International New Allied Integrated"
)
# Legal forms, "" (none) three times as often as each form; "|"-separated as some hold commas.
SUFFIXES = [
    "",
    "",
    "",
    *_words(
        "Inc.|Inc|LLC|Ltd|Limited|Corp.|Corporation|GmbH|AG|S.A.|B.V.|"
        "Pty Ltd|plc|Co., Ltd.|SAS|Oy|AB",
        "|",
    ),
]
TLDS = _words("com com com net io co.uk de fr com.au co.jp com.br nl ch se ca in co")


def coined(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4)))).capitalize()


def synthetic_company(rng: random.Random) -> tuple[str, str | None]:
    """(name, domain) of a plausible company; ~30 % of names share a common first word."""
    roll = rng.random()
    if roll < 0.30:
        middle = rng.choice([coined(rng), rng.choice(WORDS), rng.choice(SURNAMES)])
        words = [rng.choice(COMMON), middle] + (
            [rng.choice(INDUSTRIES)] if rng.random() < 0.7 else []
        )
    elif roll < 0.60:
        words = [coined(rng), rng.choice(INDUSTRIES)]
    elif roll < 0.75:
        words = [coined(rng)]
    elif roll < 0.88:
        words = [rng.choice(SURNAMES), rng.choice(INDUSTRIES)]
    elif roll < 0.94:
        words = [rng.choice(SURNAMES), "&", rng.choice(SURNAMES)]
    else:
        words = [rng.choice(WORDS), coined(rng), rng.choice(INDUSTRIES)]
    suffix = rng.choice(SUFFIXES)
    name = " ".join(words + ([suffix] if suffix else []))
    domain = None
    if rng.random() < 0.7:
        slug = "".join(ch for ch in "".join(words[:2]).lower() if ch.isalnum() and ch.isascii())
        domain = f"{slug}.{rng.choice(TLDS)}"
    return name, domain


def variant(name: str, domain: str | None, rng: random.Random) -> tuple[str, str | None]:
    """Another registration of the same company, as a different partner might type it."""
    words = name.split()
    roll = rng.random()
    if roll < 0.3 and len(words) > 1 and words[-1].rstrip(".") in {s.rstrip(".") for s in SUFFIXES}:
        words[-1] = rng.choice([s for s in SUFFIXES if s] or ["Inc"])
    elif roll < 0.5:
        words = [w.upper() for w in words]
    elif roll < 0.7:
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        word = words[longest]
        if len(word) >= 8:
            cut = rng.randrange(1, len(word) - 1)
            words[longest] = word[:cut] + word[cut + 1 :]
    elif roll < 0.85:
        words = ["The", *words]
    new_domain = domain
    bare = normalize_domain(domain) if domain else None
    if bare and rng.random() < 0.5:
        new_domain = rng.choice([None, f"https://www.{bare}/", f"sales@{bare}"])
    return " ".join(words), new_domain


def build_registrations(count: int, seed: int = 7) -> list[tuple[str, str | None]]:
    """``count`` registrations: ~75 % distinct companies, the rest repeat ones with variations."""
    rng = random.Random(seed)
    registrations: list[tuple[str, str | None]] = []
    while len(registrations) < count:
        if registrations and rng.random() < 0.25:
            registrations.append(variant(*rng.choice(registrations), rng))
        else:
            registrations.append(synthetic_company(rng))
    return registrations


def p99(values: list[float]) -> float:
    return sorted(values)[max(0, math.ceil(0.99 * len(values)) - 1)]


def rss_mb() -> float:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report_index(entries: int, queries: int, seed: int = 11) -> None:
    print(f"\n== CompanyIndex: {entries:,} synthetic registrations, {queries:,} queries ==")
    registrations = build_registrations(entries)
    keys = [company_key(name, domain) for name, domain in registrations]
    gc.collect()
    before = rss_mb()
    index = CompanyIndex()
    started = time.perf_counter()
    for item, key in enumerate(keys):
        index.add(item, key)
    build = time.perf_counter() - started
    gc.collect()
    after = rss_mb()
    print(
        f"build {build:.1f} s ({build / entries * 1e6:.1f} us/entry); process RSS {after:.0f} MB, "
        f"of which the index {after - before:.0f} MB (the rest: the generated names and keys)"
    )

    rng = random.Random(seed)
    kinds: list[tuple[str, CompanyKey]] = []
    for i in range(queries):
        roll = i % 10
        if roll < 4:  # a registration already in the index, as it was typed
            kinds.append(("exact", company_key(*registrations[rng.randrange(entries)])))
        elif roll < 7:  # the same company typed differently (case, legal form, typo, "The")
            name, domain = variant(*registrations[rng.randrange(entries)], rng)
            kinds.append(("variant", company_key(name, domain)))
        else:  # a company that is (almost always) not registered yet
            name, domain = synthetic_company(rng)
            prefix = coined(rng)
            new_domain = f"{prefix.lower()}-{domain}" if domain else None
            kinds.append(("new", company_key(f"{prefix} {name}", new_domain)))

    timings: dict[str, list[float]] = {"exact": [], "variant": [], "new": []}
    found = {"exact": 0, "variant": 0, "new": 0}
    slowest: list[tuple[float, str, int]] = []
    for kind, key in kinds:
        started = time.perf_counter()
        result = index.matches(key)
        elapsed = (time.perf_counter() - started) * 1000
        timings[kind].append(elapsed)
        found[kind] += bool(result)
        slowest = sorted([*slowest, (elapsed, key.name, len(result))], reverse=True)[:3]
    everything = [t for values in timings.values() for t in values]
    print(
        f"all     median {statistics.median(everything):6.2f} ms  p99 {p99(everything):6.2f} ms  "
        f"max {max(everything):6.2f} ms"
    )
    for kind, values in timings.items():
        print(
            f"{kind:<7} median {statistics.median(values):6.2f} ms  p99 {p99(values):6.2f} ms  "
            f"({found[kind]}/{len(values)} with a match)"
        )
    print("slowest: " + "; ".join(f"{name!r} {ms:.1f} ms, {n} matches" for ms, name, n in slowest))

    started = time.perf_counter()
    for item in range(1000):
        index.remove(item)
    for item in range(1000):
        index.add(item, keys[item])
    print(f"remove + re-add 1,000 entries: {(time.perf_counter() - started) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--skip-index", action="store_true")
    args = parser.parse_args()
    report_quality()
    if not args.skip_index:
        report_index(args.entries, args.queries)


if __name__ == "__main__":
    main()
