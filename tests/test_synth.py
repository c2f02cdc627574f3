"""The synthetic program: deterministic, importable as documented, and true to its ground truth."""

import csv
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from statistics import median

import pytest

from ingest.formats import ACTIVITIES, DEALS, PEOPLE, partners_format
from synth import ProgramSpec, generate_program

SPEC = ProgramSpec(partners=300, months=30, seed=3, end=date(2026, 11, 1))


def read(folder: Path, kind: str) -> list[dict[str, str]]:
    with (folder / f"{kind}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("program")
    generate_program(SPEC, folder)
    return folder


def test_same_spec_same_bytes(program: Path, tmp_path: Path) -> None:
    generate_program(SPEC, tmp_path)
    for kind in ("partners", "people", "deals", "activities", "truth"):
        assert (tmp_path / f"{kind}.csv").read_bytes() == (program / f"{kind}.csv").read_bytes()


def test_headers_are_the_documented_canonical_columns(program: Path) -> None:
    formats = {
        "partners": partners_format(["x"]),
        "deals": DEALS,
        "activities": ACTIVITIES,
        "people": PEOPLE,
    }
    for kind, fmt in formats.items():
        header = next(csv.reader((program / f"{kind}.csv").open(encoding="utf-8")))
        assert set(header) <= {c.name for c in fmt.columns}, kind
        assert {c.name for c in fmt.required} <= set(header), kind


def test_references_hold(program: Path) -> None:
    partners = {row["partner_id"] for row in read(program, "partners")}
    deals = read(program, "deals")
    assert {d["partner_id"] for d in deals} <= partners
    assert {a["partner_id"] for a in read(program, "activities")} <= partners
    contacts = [p for p in read(program, "people") if p["role"] == "partner"]
    assert {p["partner_id"] for p in contacts} == partners, "every partner has a contact"
    for deal in deals:
        influencers = [i for i in deal["influence_partner_ids"].split(";") if i]
        assert set(influencers) <= partners
        assert deal["partner_id"] not in influencers
    assert len({d["deal_id"] for d in deals}) == len(deals)


def test_statuses_agree_with_time(program: Path) -> None:
    end = SPEC.end.isoformat()
    for deal in read(program, "deals"):
        registered = deal["registered_at"][:10]
        assert registered < end
        if deal["status"] in ("won", "lost"):
            assert registered <= deal["closed_at"] < end
        else:
            assert deal["closed_at"] == ""


def monthly_counts(program: Path) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for deal in read(program, "deals"):
        counts[deal["partner_id"]][deal["registered_at"][:7]] += 1
    return counts


def test_ground_truth_is_what_the_files_show(program: Path) -> None:
    truth = read(program, "truth")
    assert Counter(t["pattern"] for t in truth)["stable"] > len(truth) / 2
    counts = monthly_counts(program)
    drops = []
    for row in truth:
        history = counts[row["partner_id"]]
        onset = row["onset"][:7]
        if row["pattern"] == "churned":
            assert not [m for m in history if m >= onset], row
        if row["pattern"] == "drop":
            before = [n for m, n in history.items() if m < onset]
            after = [history.get(m, 0) for m in _months_from(onset)]
            if len(before) >= 3 and after:
                drops.append(sum(after) / len(after) / (sum(before) / len(before)))
    assert drops, "the sample has abrupt drops"
    assert median(drops) < 0.5, "volume after an abrupt drop is well below before"


def _months_from(onset: str) -> list[str]:
    year, month = int(onset[:4]), int(onset[5:7])
    months = []
    while (year, month) < (SPEC.end.year, SPEC.end.month):
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def test_bigger_tiers_sell_bigger_deals_and_certify_more(program: Path) -> None:
    tier = {p["partner_id"]: p["tier"] for p in read(program, "partners")}
    sizes: dict[str, list[float]] = defaultdict(list)
    for deal in read(program, "deals"):
        if deal["currency"] == "USD":
            sizes[tier[deal["partner_id"]]].append(float(deal["amount"]))
    assert median(sizes["platinum"]) > 3 * median(sizes["registered"])
    certs = Counter(
        tier[a["partner_id"]] for a in read(program, "activities") if a["kind"] == "certification"
    )
    per_partner = {t: certs[t] / max(1, list(tier.values()).count(t)) for t in certs}
    assert per_partner["platinum"] > per_partner["registered"]


def test_a_program_wide_dip_lowers_every_tier(tmp_path: Path) -> None:
    dipped = generate_program(
        ProgramSpec(partners=300, months=12, seed=5, dip_month=6), tmp_path / "dip"
    )
    plain = generate_program(ProgramSpec(partners=300, months=12, seed=5), tmp_path / "plain")
    month = ProgramSpec(months=12).month_start(6).isoformat()[:7]

    def in_month(folder: Path) -> int:
        return sum(1 for d in read(folder, "deals") if d["registered_at"].startswith(month))

    assert in_month(dipped.folder) < 0.75 * in_month(plain.folder)
