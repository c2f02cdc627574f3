"""In-memory candidate search for the registration check: which of up to ~1M active
registrations name the same company as a new one, in a few milliseconds.

:meth:`CompanyIndex.matches` returns exactly the entries for which
:func:`deals.names.same_company` is true (checked by the tests against brute force), without
comparing against every entry:

* registrable domain -> ids (a dict): the same domain always matches;
* squashed comparison name ("acmefoods") -> ids: identical names, also when spaced differently;
* distinctive token -> number of distinctive tokens in the name -> ids, for fuzzy names.

The name score is a Dice coefficient over distinctive tokens, so a query with ``n`` of them can
only reach the threshold against names with ``m`` tokens where ``200·min(n, m)/(n + m)`` reaches
it, and must share at least ``k = ceil(threshold·(n + m)/200)`` tokens with them. Each query
token stands for its group of look-alikes in the vocabulary (plural, umlaut spelling, one-edit
typo, found through a one-deletion dictionary); by pigeonhole, a match must appear under one of
the ``n - k + 1`` smallest groups, so common words ("American", "Bank") are only scanned when
nothing rarer is available, and then the candidates are cut to those hitting ``k`` groups before
being scored. One compound per name ("Micro Soft"/"Microsoft") is covered by trying merged and
split variants of the query.

Known gap, accepted for speed: names needing two or more compound joins to match are only
found if their squashed forms are equal.
"""

import math
import sys
from collections import Counter
from collections.abc import Iterable
from typing import TypeVar

from deals.names import (
    DIFFERENT_DOMAIN_THRESHOLD,
    CompanyKey,
    comparison_tokens,
    fold_umlauts,
    is_generic,
    registrable_domain,
    token_score,
    token_similarity,
)

# Below this many candidates, scoring them all is cheaper than counting shared groups first.
_SMALL_POOL = 200
_EPSILON = 0.01  # scores are rounded to 2 decimals

IdBag = int | list[int]  # most keys have one id; a bare int saves ~60 bytes per key
K = TypeVar("K")


def _bag_add(table: dict[K, IdBag], key: K, item: int) -> None:
    bag = table.get(key)
    if bag is None:
        table[key] = item
    elif isinstance(bag, int):
        table[key] = [bag, item]
    else:
        bag.append(item)


def _bag_remove(table: dict[K, IdBag], key: K, item: int) -> None:
    bag = table.get(key)
    if isinstance(bag, int):
        if bag == item:
            del table[key]
    elif bag is not None and item in bag:
        bag.remove(item)
        if len(bag) == 1:
            table[key] = bag[0]


def _bag_items(bag: IdBag | None) -> Iterable[int]:
    if bag is None:
        return ()
    return (bag,) if isinstance(bag, int) else bag


def _deletions(token: str) -> set[str]:
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


def _blocking_tokens(tokens: tuple[str, ...]) -> list[str]:
    """The tokens a name is found by: its distinctive ones, or all if it has none (names with
    and without distinctive tokens never match each other)."""
    strong = [t for t in tokens if not is_generic(t)]
    return strong or list(tokens)


def _length_range(n: int, threshold: float, longest: int) -> list[int]:
    """Token counts m that a name with n tokens can match at all (Dice upper bound)."""
    return [
        m
        for m in range(1, max(longest, n) + 1)
        if 200.0 * min(n, m) / (n + m) >= threshold - _EPSILON
    ]


def _shared_needed(n: int, m: int, threshold: float) -> int:
    return max(1, math.ceil((threshold - _EPSILON) * (n + m) / 200.0))


class CompanyIndex:
    """Registrations by company, for duplicate and channel-conflict checks.

    Holds ``(id, CompanyKey)`` entries; :meth:`add` replaces an id's key, :meth:`remove` drops
    it. The vocabulary used for typo look-ups only grows (a removed name's tokens stay as
    harmless dead ends until the index is rebuilt).
    """

    def __init__(self) -> None:
        self._entries: dict[int, tuple[CompanyKey, tuple[str, ...], str | None]] = {}
        self._by_domain: dict[str, IdBag] = {}
        self._by_name: dict[str, IdBag] = {}
        self._postings: dict[str, dict[int, IdBag]] = {}
        self._deletions: dict[str, str | tuple[str, ...]] = {}
        self._folds: dict[str, str | tuple[str, ...]] = {}
        self._longest = 1

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, item: object) -> bool:
        return item in self._entries

    def get(self, item: int) -> CompanyKey | None:
        entry = self._entries.get(item)
        return entry[0] if entry else None

    # --- maintenance ---------------------------------------------------------------------------

    def add(self, item: int, key: CompanyKey) -> None:
        if item in self._entries:
            self.remove(item)
        tokens = tuple(sys.intern(t) for t in comparison_tokens(key.name))
        domain = sys.intern(registrable_domain(key.domain)) if key.domain else None
        self._entries[item] = (key, tokens, domain)
        if domain:
            _bag_add(self._by_domain, domain, item)
        if not tokens:
            return
        _bag_add(self._by_name, "".join(tokens), item)
        blocking = _blocking_tokens(tokens)
        count = len(blocking)
        self._longest = max(self._longest, count)
        for token in set(blocking):
            buckets = self._postings.get(token)
            if buckets is None:
                buckets = self._postings[token] = {}
                self._learn(token)
            _bag_add(buckets, count, item)

    def remove(self, item: int) -> bool:
        entry = self._entries.pop(item, None)
        if entry is None:
            return False
        _, tokens, domain = entry
        if domain:
            _bag_remove(self._by_domain, domain, item)
        if not tokens:
            return True
        _bag_remove(self._by_name, "".join(tokens), item)
        blocking = _blocking_tokens(tokens)
        count = len(blocking)
        for token in set(blocking):
            buckets = self._postings.get(token)
            if buckets is not None:
                _bag_remove(buckets, count, item)
                if not buckets:
                    del self._postings[token]
        return True

    def _learn(self, token: str) -> None:
        """Register a new vocabulary token in the typo and umlaut look-up tables."""
        if len(token) >= 5:
            for variant in _deletions(token):
                self._file(self._deletions, variant, token)
        folded = fold_umlauts(token)
        if folded != token:
            self._file(self._folds, folded, token)

    @staticmethod
    def _file(table: dict[str, str | tuple[str, ...]], key: str, token: str) -> None:
        known = table.get(key)
        if known is None:
            table[key] = token
        elif isinstance(known, str):
            if known != token:
                table[key] = (known, token)
        elif token not in known:
            table[key] = (*known, token)

    # --- queries -------------------------------------------------------------------------------

    def matches(self, key: CompanyKey, threshold: float = 88.0) -> list[int]:
        """Ids of entries that :func:`same_company` says are ``key``'s company, best first."""
        return [item for item, _ in self.match_scores(key, threshold)]

    def match_scores(self, key: CompanyKey, threshold: float = 88.0) -> list[tuple[int, float]]:
        """``(id, name score)`` of the matching entries: same-domain ones first, then by score."""
        tokens = comparison_tokens(key.name)
        domain = registrable_domain(key.domain) if key.domain else None
        found: dict[int, tuple[bool, float]] = {}
        if domain:
            for item in _bag_items(self._by_domain.get(domain)):
                found[item] = (True, token_score(tokens, self._entries[item][1]))
        if tokens:
            candidates = set(_bag_items(self._by_name.get("".join(tokens))))
            candidates |= self._name_candidates(tokens, threshold)
            strict = max(threshold, DIFFERENT_DOMAIN_THRESHOLD)
            for item in candidates:
                if item in found:
                    continue
                _, other, other_domain = self._entries[item]
                score = token_score(tokens, other)
                if score >= (strict if domain and other_domain else threshold):
                    found[item] = (False, score)
        ranked = sorted(found.items(), key=lambda kv: (not kv[1][0], -kv[1][1], kv[0]))
        return [(item, score) for item, (_, score) in ranked]

    def _neighbours(self, token: str) -> list[str]:
        """Vocabulary tokens that :func:`token_similarity` pairs with ``token``."""
        found = {token}
        if len(token) >= 4:
            found.update(self._lookup(self._deletions, token))
        if len(token) >= 5:
            for variant in _deletions(token):
                found.add(variant)
                found.update(self._lookup(self._deletions, variant))
        folded = fold_umlauts(token)
        found.add(folded)
        found.update(self._lookup(self._folds, folded))
        return [t for t in found if t in self._postings and token_similarity(token, t) > 0.0]

    @staticmethod
    def _lookup(table: dict[str, str | tuple[str, ...]], key: str) -> tuple[str, ...]:
        known = table.get(key)
        if known is None:
            return ()
        return (known,) if isinstance(known, str) else known

    def _variants(self, tokens: tuple[str, ...]) -> list[list[str]]:
        """Blocking tokens of the query, and of the query with one compound joined or split
        where the vocabulary has the parts ("micro soft" ~ "microsoft", "depot inc" ~
        "depotinc")."""
        full = list(tokens)
        variants = [_blocking_tokens(tokens)]
        for i in range(len(full) - 1):
            joined = full[i] + full[i + 1]
            if joined in self._postings:
                variants.append(_blocking_tokens((*full[:i], joined, *full[i + 2 :])))
        for i, token in enumerate(full):
            for cut in range(1, len(token)):
                head, tail = token[:cut], token[cut:]
                if self._known(head) and self._known(tail):
                    variants.append(_blocking_tokens((*full[:i], head, tail, *full[i + 1 :])))
        return variants

    def _known(self, token: str) -> bool:
        return token in self._postings or is_generic(token)

    def _name_candidates(self, tokens: tuple[str, ...], threshold: float) -> set[int]:
        result: set[int] = set()
        neighbours: dict[str, list[str]] = {}
        for variant in self._variants(tokens):
            for token in variant:
                if token not in neighbours:
                    neighbours[token] = self._neighbours(token)
            groups = [neighbours[token] for token in variant]
            n = len(variant)
            for m in _length_range(n, threshold, self._longest):
                result |= self._bucket_candidates(groups, m, _shared_needed(n, m, threshold))
        return result

    def _bucket_candidates(self, groups: list[list[str]], m: int, needed: int) -> set[int]:
        """Ids with ``m`` blocking tokens that appear under at least ``needed`` of the groups."""
        bags = [
            [bag for t in group if (bag := self._postings[t].get(m)) is not None]
            for group in groups
        ]
        sizes = [
            sum(1 if isinstance(b, int) else len(b) for b in group_bags) for group_bags in bags
        ]
        order = sorted(range(len(groups)), key=sizes.__getitem__)
        scan = len(groups) - needed + 1
        if scan <= 0:
            return set()
        counts: Counter[int] = Counter()
        for position in order[:scan]:
            ids: set[int] = set()
            for bag in bags[position]:
                if isinstance(bag, int):
                    ids.add(bag)
                else:
                    ids.update(bag)
            counts.update(ids)
        if needed == 1 or len(counts) <= _SMALL_POOL:
            return set(counts)
        pool = set(counts)
        for position in order[scan:]:
            hits: set[int] = set()
            for bag in bags[position]:
                if isinstance(bag, int):
                    if bag in pool:
                        hits.add(bag)
                else:
                    hits |= pool.intersection(bag)
            counts.update(hits)
        survivors = {item for item, hit in counts.items() if hit >= needed}
        vocabulary = set().union(*groups)
        if len(survivors) > _SMALL_POOL and len(vocabulary) < sum(map(len, groups)):
            # Groups share tokens ("Bailey & Bailey", "Rental Dental" where rental ~ dental), so
            # one entry token was counted for several positions: count entry tokens instead.
            survivors = {
                item
                for item in survivors
                if sum(t in vocabulary for t in self._entries[item][1]) >= needed
            }
        return survivors
