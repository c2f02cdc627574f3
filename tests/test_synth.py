"""The synthetic program: deterministic, importable as documented, consistent in time, realistic
in its distributions, and true to its ground truth."""

import csv
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from statistics import mean, median

import numpy as np
import pytest

from deals.accounts import account_row
from ingest.cells import Conventions
from ingest.formats import ACTIVITIES, DEALS, PEOPLE, CsvFormat, partners_format
from synth import HEADERS, PATTERNS, TIERS, ProgramSpec, generate_program, simulate_partners
from synth.config import CURRENCY_RATES
from synth.roster import build_roster
from synth.simulate import simulate_partner
from tests.programs import EXAMPLE_PROGRAM

SPEC = ProgramSpec(partners=300, months=30, seed=3, end=date(2026, 11, 1))
FORMATS: dict[str, CsvFormat] = {
    "partners": partners_format([t.name for t in TIERS]),
    "people": PEOPLE,
    "deals": DEALS,
    "activities": ACTIVITIES,
}
Rows = list[dict[str, str]]


def read(folder: Path, kind: str) -> Rows:
    with (folder / f"{kind}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("program")
    generated = generate_program(SPEC, folder)
    assert generated.rows["partners"] == SPEC.partners
    return folder


@pytest.fixture(scope="module")
def files(program: Path) -> dict[str, Rows]:
    return {kind: read(program, kind) for kind in HEADERS}


def month_of(day: str) -> str:
    return day[:7]


def months_between(first: date, end: date) -> list[str]:
    out = []
    year, month = first.year, first.month
    while (year, month) < (end.year, end.month):
        out.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


MONTHS = months_between(SPEC.start, SPEC.end)


def monthly_counts(deals: Rows) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for deal in deals:
        counts[deal["partner_id"]][month_of(deal["registered_at"])] += 1
    return counts


def truth_of(files: dict[str, Rows], pattern: str) -> Rows:
    return [t for t in files["truth"] if t["pattern"] == pattern]


# --- files and formats ---------------------------------------------------------------------------


def test_same_spec_same_bytes(program: Path, tmp_path: Path) -> None:
    generate_program(SPEC, tmp_path)
    for kind in HEADERS:
        assert (tmp_path / f"{kind}.csv").read_bytes() == (program / f"{kind}.csv").read_bytes()


def test_another_seed_gives_another_program(program: Path, tmp_path: Path) -> None:
    generate_program(ProgramSpec(partners=300, months=30, seed=4), tmp_path)
    assert (tmp_path / "deals.csv").read_bytes() != (program / "deals.csv").read_bytes()


def test_a_partner_simulated_alone_is_the_same_as_in_the_stream() -> None:
    """Per-partner random streams: a partner's history does not depend on iterating the
    partners before it, so programs can be simulated in any chunks."""
    spec = ProgramSpec(partners=40, months=12, seed=9)
    stream = list(simulate_partners(spec))
    roster = build_roster(spec)
    for index in (31, 5, 17):
        first = int(stream[index].deals.deal_number[0]) if len(stream[index].deals) else 1
        alone = simulate_partner(roster, index, first)
        assert alone.partner == stream[index].partner
        assert list(alone.deals.rows()) == list(stream[index].deals.rows())
        assert list(alone.activities.rows()) == list(stream[index].activities.rows())


def test_histories_build_frames_with_the_csv_columns() -> None:
    history = next(h for h in simulate_partners(ProgramSpec(partners=5, months=12)) if h.deals)
    columns = history.deals.columns()
    assert list(columns) == HEADERS["deals"]
    assert {len(v) for v in columns.values()} == {len(history.deals)}
    assert history.deals.registered_at.dtype == np.dtype("datetime64[s]")
    assert list(history.activities.columns()) == HEADERS["activities"]


def test_headers_are_the_documented_canonical_columns(files: dict[str, Rows]) -> None:
    for kind, fmt in FORMATS.items():
        header = list(files[kind][0])
        assert header == HEADERS[kind]
        assert set(header) <= {c.name for c in fmt.columns}, kind
        assert {c.name for c in fmt.required} <= set(header), kind


def test_every_cell_parses_as_documented(files: dict[str, Rows]) -> None:
    conventions = Conventions(now=datetime.now(UTC)).for_delimiter(",")
    for kind, fmt in FORMATS.items():
        columns = {c.name: c for c in fmt.columns}
        for line, row in enumerate(files[kind], start=2):
            for name, value in row.items():
                if value:
                    try:
                        conventions.parser(columns[name].parse)(value)
                    except ValueError as error:
                        pytest.fail(f"{kind}.csv line {line}, {name}={value!r}: {error}")
                else:
                    assert not columns[name].required, (kind, line, name)


def test_references_hold(files: dict[str, Rows]) -> None:
    partners = {p["partner_id"]: p for p in files["partners"]}
    deals = files["deals"]
    assert len(partners) == SPEC.partners
    assert {d["partner_id"] for d in deals} <= set(partners)
    assert {a["partner_id"] for a in files["activities"]} <= set(partners)
    people = files["people"]
    assert len({p["slack_user_id"] for p in people}) == len(people), "slack ids are unique"
    contacts = Counter(p["partner_id"] for p in people if p["role"] == "partner")
    assert set(contacts) == set(partners)
    assert set(contacts.values()) <= {1, 2}
    for person in people:
        if person["role"] == "partner":
            assert person["slack_team_id"] == partners[person["partner_id"]]["slack_team_id"]
    managers = {p["slack_user_id"]: p["region"] for p in people if p["role"] == "manager"}
    assert sum(p["role"] == "leadership" for p in people) == 2
    for partner in partners.values():
        assert managers[partner["manager_slack_id"]] == partner["region"]
    for column in ("slack_channel_id", "slack_team_id", "name"):
        assert len({p[column] for p in partners.values()}) == SPEC.partners, column
    influenced = 0
    for deal in deals:
        influencers = [i for i in deal["influence_partner_ids"].split(";") if i]
        assert len(influencers) <= 2
        assert len(set(influencers)) == len(influencers)
        assert set(influencers) <= set(partners)
        assert deal["partner_id"] not in influencers
        influenced += bool(influencers)
    assert 0.01 < influenced / len(deals) < 0.1
    assert len({d["deal_id"] for d in deals}) == len(deals)
    assert deals[0]["deal_id"] == "D00000001"


def test_one_partner_at_a_time_holds_an_account(files: dict[str, Rows]) -> None:
    """The program's registration rules: never two approved, unexpired registrations of one
    account (as the import keys accounts) by different partners; a rival's claim that is still
    awaiting a decision is in conflict."""
    end = SPEC.end.isoformat()
    holders: dict[str, set[str]] = defaultdict(set)
    for deal in files["deals"]:
        if deal["status"] == "approved" and deal["expires_at"] >= end:
            key = account_row(deal["account_name"], deal["account_domain"] or None)[0]
            holders[key].add(deal["partner_id"])
    assert holders
    assert max(len(partners) for partners in holders.values()) == 1
    assert any(deal["status"] == "conflict" for deal in files["deals"])


# --- time ----------------------------------------------------------------------------------------


def test_statuses_agree_with_time(files: dict[str, Rows]) -> None:
    end = SPEC.end.isoformat()
    signed = {p["partner_id"]: p["signed_at"] for p in files["partners"]}
    statuses: Counter[str] = Counter()
    for deal in files["deals"]:
        registered, status = deal["registered_at"][:10], deal["status"]
        statuses[status] += 1
        assert deal["registered_at"].endswith("Z")
        assert signed[deal["partner_id"]] <= registered < end
        if status in ("won", "lost"):
            assert registered <= deal["closed_at"] < end
        else:
            assert deal["closed_at"] == ""
        if status in ("pending", "conflict"):  # awaiting a decision
            assert (SPEC.end - date.fromisoformat(registered)).days <= 11
        if status == "approved":
            assert deal["expires_at"] >= end, "an open registration is still protected"
        if status == "expired":
            assert registered < deal["expires_at"] < end
        if status in ("won", "lost", "approved", "expired"):
            assert (
                date.fromisoformat(deal["expires_at"]) - date.fromisoformat(registered)
            ).days in (
                90,
                180,
                270,
            )
        else:
            assert deal["expires_at"] == ""
        if deal["expected_close"]:
            assert deal["expected_close"] >= registered
    share = {s: n / statuses.total() for s, n in statuses.items()}
    assert set(share) == {"won", "lost", "approved", "pending", "conflict", "rejected", "expired"}
    assert 0.2 < share["won"] < 0.45
    assert share["won"] + share["lost"] > 0.7
    assert 0.005 < share["rejected"] < 0.06
    assert 0.02 < share["expired"] < 0.12


def test_registrations_follow_the_calendar(files: dict[str, Rows]) -> None:
    weekdays = Counter(
        date.fromisoformat(d["registered_at"][:10]).weekday() for d in files["deals"]
    )
    assert (weekdays[5] + weekdays[6]) / weekdays.total() < 0.05
    by_month: Counter[int] = Counter(int(d["registered_at"][5:7]) for d in files["deals"])
    occurrences = Counter(int(m[5:]) for m in MONTHS)
    per_month = {m: by_month[m] / occurrences[m] for m in occurrences}
    assert per_month[12] > 1.3 * per_month[8], "Q4 peak, August low"


# --- ground truth --------------------------------------------------------------------------------


def test_patterns_have_their_quotas_and_onsets_leave_room(files: dict[str, Rows]) -> None:
    truth = files["truth"]
    counts = Counter(t["pattern"] for t in truth)
    for pattern, share in PATTERNS.items():
        assert abs(counts[pattern] - share * SPEC.partners) <= 1, pattern
    status = {p["partner_id"]: p["status"] for p in files["partners"]}
    for row in truth:
        if row["pattern"] == "stable":
            assert row["onset"] == row["magnitude"] == ""
            continue
        assert row["onset"][8:] == "01"
        assert (status[row["partner_id"]] == "inactive") == (row["pattern"] == "churned")
        if row["pattern"] != "ramping":
            assert MONTHS[3] <= month_of(row["onset"]) <= MONTHS[-2], row
    drops = [float(t["magnitude"]) for t in truth_of(files, "drop")]
    assert all(-0.85 <= m <= -0.6 for m in drops)


def test_churned_partners_stop_registering_winning_and_engaging(files: dict[str, Rows]) -> None:
    onset = {t["partner_id"]: t["onset"] for t in truth_of(files, "churned")}
    before = 0
    for deal in files["deals"]:
        if deal["partner_id"] in onset:
            day = onset[deal["partner_id"]]
            assert deal["registered_at"][:10] < day, deal
            assert not (deal["status"] == "won" and deal["closed_at"] >= day), deal
            assert deal["status"] not in ("approved", "pending"), deal
            before += 1
    assert before, "churned partners had deals before they left"
    for activity in files["activities"]:
        if activity["partner_id"] in onset:
            assert activity["date"] < onset[activity["partner_id"]], activity


def volume_ratio(counts: Counter[str], onset: str, only_onset: bool = False) -> float | None:
    before = [counts[m] for m in MONTHS if m < month_of(onset)]
    after = [counts[m] for m in MONTHS if (m == month_of(onset) if only_onset else m >= onset[:7])]
    if mean(before) == 0:
        return None
    return mean(after) / mean(before)


def pattern_ratios(files: dict[str, Rows], pattern: str, only_onset: bool = False) -> list[float]:
    counts = monthly_counts(files["deals"])
    ratios = [
        volume_ratio(counts[t["partner_id"]], t["onset"], only_onset)
        for t in truth_of(files, pattern)
    ]
    return [r for r in ratios if r is not None]


def test_drops_are_abrupt_and_as_large_as_labelled(files: dict[str, Rows]) -> None:
    ratios = pattern_ratios(files, "drop")
    assert len(ratios) >= 12
    assert median(ratios) < 0.45
    counts = monthly_counts(files["deals"])
    before = after = expected = 0.0
    for row in truth_of(files, "drop"):
        history = counts[row["partner_id"]]
        rate = mean(history[m] for m in MONTHS if m < row["onset"][:7])
        before += rate
        after += mean(history[m] for m in MONTHS if m >= row["onset"][:7])
        expected += rate * (1 + float(row["magnitude"]))
    assert abs(after - expected) < 0.2 * before, "pooled volume falls by the magnitude"


def test_other_patterns_move_volume_their_way(files: dict[str, Rows]) -> None:
    counts = monthly_counts(files["deals"])
    stable = [
        volume_ratio(counts[t["partner_id"]], MONTHS[len(MONTHS) // 2] + "-01")
        for t in truth_of(files, "stable")
    ]
    assert 0.85 < median(r for r in stable if r is not None) < 1.15
    assert median(pattern_ratios(files, "declining")) < 0.75
    assert median(pattern_ratios(files, "growing")) > 1.2
    assert min(pattern_ratios(files, "spike", only_onset=True)) > 1.5


def test_ramping_partners_sign_during_the_history_and_ramp_up(files: dict[str, Rows]) -> None:
    partners = {p["partner_id"]: p for p in files["partners"]}
    counts = monthly_counts(files["deals"])
    early, late = 0, 0
    for row in truth_of(files, "ramping"):
        partner = partners[row["partner_id"]]
        assert partner["signed_at"][:7] == row["onset"][:7]
        assert partner["tier"] in ("registered", "silver")
        history = counts[row["partner_id"]]
        assert all(m >= row["onset"][:7] for m in history)
        months = [m for m in MONTHS if m >= row["onset"][:7]]
        if len(months) >= 12:  # ramped up by month 10 at the latest
            early += sum(history[m] for m in months[:2]) / 2
            late += sum(history[m] for m in months[9:12]) / 3
    assert late > 1.5 * early
    established = [p for p in partners.values() if p["signed_at"] < SPEC.start.isoformat()]
    assert len(established) == SPEC.partners - len(truth_of(files, "ramping"))


def test_engagement_and_satisfaction_fall_before_declines(files: dict[str, Rows]) -> None:
    onset = {t["partner_id"]: t["onset"] for t in files["truth"] if t["pattern"] == "declining"}
    onset |= {t["partner_id"]: t["onset"] for t in truth_of(files, "churned")}
    engaged: dict[str, list[float]] = {"baseline": [], "run-up": []}
    scores: dict[str, list[float]] = {"baseline": [], "run-up": []}
    for activity in files["activities"]:
        pid = activity["partner_id"]
        if pid not in onset or activity["date"] < SPEC.start.isoformat():
            continue  # certifications earned before the history
        lag = MONTHS.index(month_of(onset[pid])) - MONTHS.index(month_of(activity["date"]))
        window = "baseline" if lag > 4 else "run-up" if 0 < lag <= 3 else None
        if window and activity["kind"] in ("training", "marketing", "certification"):
            engaged[window].append(1 / (4 if window == "baseline" else 3))
        if window and activity["kind"] == "satisfaction":
            scores[window].append(float(activity["value"]))
    baseline_months = sum(max(0, MONTHS.index(month_of(d)) - 4) for d in onset.values())
    per_month_before = len(engaged["baseline"]) / baseline_months
    per_month_runup = len(engaged["run-up"]) / (3 * len(onset))
    assert per_month_runup < 0.85 * per_month_before
    assert mean(scores["run-up"]) < mean(scores["baseline"]) - 0.5


# --- distributions -------------------------------------------------------------------------------


def test_tiers_differ_in_volume_size_and_win_rate(files: dict[str, Rows]) -> None:
    partners = {p["partner_id"]: p for p in files["partners"]}
    tiers = Counter(p["tier"] for p in partners.values())
    # a pyramid at its base; gold and platinum are both small, in either order: a gold seller
    # whose year clears platinum's minimum is recorded platinum, as a review would have it
    assert tiers["registered"] > tiers["silver"] > max(tiers["gold"], tiers["platinum"])
    assert min(tiers["gold"], tiers["platinum"]) > 0
    sizes: dict[str, list[float]] = defaultdict(list)
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    volume: Counter[str] = Counter()
    for deal in files["deals"]:
        tier = partners[deal["partner_id"]]["tier"]
        volume[deal["partner_id"]] += 1
        if deal["currency"] == "USD":
            sizes[tier].append(float(deal["amount"]))
        outcomes[tier][deal["status"]] += 1
    assert median(sizes["platinum"]) > 3 * median(sizes["registered"])
    assert median(sizes["gold"]) > median(sizes["silver"]) > median(sizes["registered"])
    win = {t: c["won"] / (c["won"] + c["lost"]) for t, c in outcomes.items()}
    assert 0.15 < win["registered"] < win["platinum"] < 0.55
    monthly = defaultdict(list)
    for pid, partner in partners.items():
        monthly[partner["tier"]].append(volume[pid] / len(MONTHS))
    assert median(monthly["registered"]) <= 1.5, "most registered partners are sparse"
    assert median(monthly["platinum"]) >= 8


def test_stable_partners_sit_in_the_tier_the_example_rules_keep_them_in(
    files: dict[str, Rows],
) -> None:
    stable = {t["partner_id"] for t in truth_of(files, "stable")}
    tier_of = {p["partner_id"]: p["tier"] for p in files["partners"] if p["partner_id"] in stable}
    year = (MONTHS[-12] + "-01", SPEC.end.isoformat())  # the last 12 months
    revenue: Counter[str] = Counter()
    for deal in files["deals"]:
        if (
            deal["partner_id"] in tier_of
            and deal["status"] == "won"
            and deal["source"] == "sourced"
            and year[0] <= deal["closed_at"] < year[1]
        ):
            revenue[deal["partner_id"]] += float(deal["amount"]) * CURRENCY_RATES[deal["currency"]]
    rules = {tier.name: tier for tier in EXAMPLE_PROGRAM.tiers}
    margin = EXAMPLE_PROGRAM.tiering.revenue_margin
    for name in ("silver", "gold", "platinum"):
        members = [pid for pid, tier in tier_of.items() if tier == name]
        kept = [revenue[pid] >= rules[name].min_revenue * (1 - margin) for pid in members]
        assert sum(kept) >= 0.75 * len(members), name  # the rest: a lean year, as in life


def test_currencies_follow_regions(files: dict[str, Rows]) -> None:
    region = {p["partner_id"]: p["region"] for p in files["partners"]}
    currencies: dict[str, Counter[str]] = defaultdict(Counter)
    for deal in files["deals"]:
        currencies[region[deal["partner_id"]]][deal["currency"]] += 1
        assert len(deal["amount"].split(".")[1]) == 2
    for name in ("NA", "APAC", "LATAM"):
        assert set(currencies[name]) == {"USD"}
    emea = currencies["EMEA"]
    assert emea["EUR"] > 0 and emea["GBP"] > 0 and emea["USD"] > 0  # noqa: PT018


def test_accounts_are_shared_and_spelt_like_crm_data(files: dict[str, Rows]) -> None:
    partners_by_domain: dict[str, set[str]] = defaultdict(set)
    names_by_domain: dict[str, set[str]] = defaultdict(set)
    for deal in files["deals"]:
        domain = deal["account_domain"].removeprefix("https://").removeprefix("www.").rstrip("/")
        if domain:
            partners_by_domain[domain].add(deal["partner_id"])
            names_by_domain[domain].add(deal["account_name"])
    assert max(len(p) for p in partners_by_domain.values()) >= 5
    assert sum(len(n) > 1 for n in names_by_domain.values()) > len(names_by_domain) / 10
    blank = sum(not d["account_domain"] for d in files["deals"]) / len(files["deals"])
    assert 0.03 < blank < 0.2
    upper = sum(d["account_name"].isupper() for d in files["deals"])
    assert upper > 0


def test_activities_are_unique_and_go_with_tier(files: dict[str, Rows]) -> None:
    partners = {p["partner_id"]: p for p in files["partners"]}
    keys = [(a["partner_id"], a["date"], a["kind"], a["detail"]) for a in files["activities"]]
    assert len(set(keys)) == len(keys)
    certifications: Counter[str] = Counter()
    for activity in files["activities"]:
        partner = partners[activity["partner_id"]]
        assert activity["date"] >= partner["signed_at"]
        value = float(activity["value"])
        if activity["kind"] == "certification":
            assert value == 1
            certifications[partner["tier"]] += 1
        if activity["kind"] == "satisfaction":
            assert 0 <= value <= 10
        if activity["kind"] == "mdf_spend":
            assert partner["tier"] != "registered"
    tiers = Counter(p["tier"] for p in partners.values())
    per_partner = {t: certifications[t] / tiers[t] for t in tiers}
    assert per_partner["platinum"] > 2 * per_partner["registered"]
    assert {a["kind"] for a in files["activities"]} == {
        "certification",
        "training",
        "marketing",
        "satisfaction",
        "mdf_spend",
        "program_cost",
    }


def test_a_program_wide_dip_lowers_that_month(tmp_path: Path) -> None:
    dipped = generate_program(
        ProgramSpec(partners=300, months=12, seed=5, dip_month=6), tmp_path / "dip"
    )
    plain = generate_program(ProgramSpec(partners=300, months=12, seed=5), tmp_path / "plain")
    month = ProgramSpec(months=12).month_start(6).isoformat()[:7]

    def in_month(folder: Path) -> int:
        return sum(1 for d in read(folder, "deals") if d["registered_at"].startswith(month))

    assert 0.45 < in_month(dipped.folder) / in_month(plain.folder) < 0.75
    assert read(dipped.folder, "truth") == read(plain.folder, "truth")


@pytest.mark.parametrize("kwargs", [{"partners": 0}, {"months": 5}, {"end": date(2026, 11, 15)}])
def test_a_bad_spec_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"month|partner"):
        ProgramSpec(**kwargs)  # type: ignore[arg-type]
