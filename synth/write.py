"""Write a simulated program as the CSV files ``partnerbot import`` reads, plus truth.csv."""

import csv
from dataclasses import dataclass
from pathlib import Path

from synth.simulate import simulate_partners
from synth.spec import REGIONS, ProgramSpec

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
        "source",
        "influence_partner_ids",
    ],
    "activities": ["partner_id", "date", "kind", "value", "detail"],
    "truth": ["partner_id", "pattern", "onset", "magnitude"],
}


@dataclass(frozen=True)
class GeneratedProgram:
    folder: Path
    rows: dict[str, int]

    @property
    def deals(self) -> int:
        return self.rows["deals"]

    def describe(self) -> str:
        files = ", ".join(f"{n:,} {kind}" for kind, n in self.rows.items() if kind != "truth")
        return f"{files} (ground truth in truth.csv)"


def generate_program(spec: ProgramSpec, folder: Path) -> GeneratedProgram:
    """Simulate ``spec`` into ``folder``; same spec, same bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    handles = {
        kind: (folder / f"{kind}.csv").open("w", newline="", encoding="utf-8") for kind in HEADERS
    }
    try:
        writers = {kind: csv.writer(handle) for kind, handle in handles.items()}
        for kind, header in HEADERS.items():
            writers[kind].writerow(header)
        staff = [
            [f"UMGR{region}01", "manager", "", f"{region} partner manager", region, ""]
            for region in REGIONS
        ]
        staff += [
            ["ULEAD01", "leadership", "", "VP Partnerships", "", ""],
            ["ULEAD02", "leadership", "", "Chief Revenue Officer", "", ""],
        ]
        writers["people"].writerows(staff)
        rows = dict.fromkeys(HEADERS, 0)
        rows["people"] = len(staff)
        for history in simulate_partners(spec):
            writers["partners"].writerow(history.partner)
            writers["people"].writerows(history.contacts)
            writers["deals"].writerows(history.deals)
            writers["activities"].writerows(history.activities)
            writers["truth"].writerow(history.truth)
            rows["partners"] += 1
            rows["people"] += len(history.contacts)
            rows["deals"] += len(history.deals)
            rows["activities"] += len(history.activities)
            rows["truth"] += 1
    finally:
        for handle in handles.values():
            handle.close()
    return GeneratedProgram(folder, rows)
