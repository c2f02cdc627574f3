"""Write a simulated program as the CSV files ``partnerbot import`` reads (README formats,
canonical column names), plus truth.csv, streaming partner by partner."""

import csv
from dataclasses import dataclass
from pathlib import Path

from synth.claims import Claims
from synth.config import REGIONS, ProgramSpec
from synth.records import PersonRecord
from synth.roster import build_roster
from synth.simulate import simulate_partners

HEADERS = {
    "partners": [
        "partner_id",
        "name",
        "tier",
        "region",
        "country",
        "specialties",
        "status",
        "signed_at",
        "first_revenue_at",
        "quarterly_target",
        "manager_slack_id",
        "slack_channel_id",
        "slack_team_id",
    ],
    "people": ["slack_user_id", "role", "partner_id", "name", "region", "slack_team_id"],
    "deals": [
        "deal_id",
        "partner_id",
        "account_name",
        "account_domain",
        "amount",
        "currency",
        "registered_at",
        "status",
        "product",
        "stage",
        "expected_close",
        "closed_at",
        "expires_at",
        "source",
        "influence_partner_ids",
    ],
    "activities": ["partner_id", "date", "kind", "value", "detail"],
    "truth": ["partner_id", "pattern", "onset", "magnitude"],
}
MANAGER_NAMES = {
    "NA": "Jordan Reyes",
    "EMEA": "Katrin Vogel",
    "APAC": "Mei Tanaka",
    "LATAM": "Lucas Almeida",
}


def staff() -> list[PersonRecord]:
    """One partner manager per region (the partners' manager_slack_id) and two leaders."""
    managers = [
        PersonRecord(f"UMGR{region}01", "manager", "", MANAGER_NAMES[region], region, "")
        for region in REGIONS
    ]
    return [
        *managers,
        PersonRecord("ULEAD01", "leadership", "", "Alex Morgan", "", ""),
        PersonRecord("ULEAD02", "leadership", "", "Sam Whitfield", "", ""),
    ]


@dataclass(frozen=True)
class GeneratedProgram:
    folder: Path
    rows: dict[str, int]
    """Data rows (header excluded) per file kind: partners, people, deals, activities, truth."""

    @property
    def paths(self) -> dict[str, Path]:
        return {kind: self.folder / f"{kind}.csv" for kind in HEADERS}

    @property
    def deals(self) -> int:
        return self.rows["deals"]

    def describe(self) -> str:
        files = ", ".join(f"{n:,} {kind}" for kind, n in self.rows.items() if kind != "truth")
        return f"{files} (ground truth in truth.csv)"


def generate_program(spec: ProgramSpec, out_dir: Path) -> GeneratedProgram:
    """Simulate ``spec`` into ``out_dir``, its registrations settled by the program's rules
    (:mod:`synth.claims`); the same spec gives the same bytes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    handles = {
        kind: (out_dir / f"{kind}.csv").open("w", newline="", encoding="utf-8") for kind in HEADERS
    }
    rows = dict.fromkeys(HEADERS, 0)
    try:
        writers = {
            kind: csv.writer(handle, lineterminator="\n") for kind, handle in handles.items()
        }
        for kind, header in HEADERS.items():
            writers[kind].writerow(header)
        claims = Claims(build_roster(spec).accounts)
        people = staff()
        writers["people"].writerows(person.row() for person in people)
        rows["people"] = len(people)
        for history in simulate_partners(spec):
            writers["partners"].writerow(history.partner.row())
            writers["people"].writerows(person.row() for person in history.contacts)
            deals = claims.settle(history.deals, history.partner.region)
            writers["deals"].writerows(deals.rows())
            writers["activities"].writerows(history.activities.rows())
            writers["truth"].writerow(history.truth.row())
            rows["partners"] += 1
            rows["people"] += len(history.contacts)
            rows["deals"] += len(deals)
            rows["activities"] += len(history.activities)
            rows["truth"] += 1
    finally:
        for handle in handles.values():
            handle.close()
    return GeneratedProgram(out_dir, rows)
