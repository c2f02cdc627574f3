"""The four CSV formats: columns, types, and the CRM header spellings each accepts.
The README documents the same tables for users: keep the two in step."""

import re
from dataclasses import dataclass, field

from ingest import cells
from models.enums import ActivityKind, DealSource, DealStatus, PartnerStatus, PersonRole


@dataclass(frozen=True)
class Column:
    name: str
    parse: cells.Parser | cells.Localised
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class CsvFormat:
    kind: str
    key: tuple[str, ...]
    """Columns identifying a row; a later row with the same key replaces an earlier one."""
    columns: tuple[Column, ...]
    by_header: dict[str, Column] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        lookup = {}
        for column in self.columns:
            for spelling in (column.name, *column.aliases):
                lookup[header_key(spelling)] = column
        object.__setattr__(self, "by_header", lookup)

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


def header_key(header: str) -> str:
    """Compare headers ignoring case, spaces and punctuation: "Opportunity ID" == opportunity_id."""
    return re.sub(r"[^a-z0-9]+", "", header.casefold())


PARTNER_ID = cells.text(64)

DEAL_STATUS_SPELLINGS = {
    "closed won": DealStatus.WON,
    "closedwon": DealStatus.WON,
    "closed lost": DealStatus.LOST,
    "closedlost": DealStatus.LOST,
    "submitted": DealStatus.PENDING,
    "pending approval": DealStatus.PENDING,
    "accepted": DealStatus.APPROVED,
    "declined": DealStatus.REJECTED,
    "denied": DealStatus.REJECTED,
}


def partners_format(tiers: list[str]) -> CsvFormat:
    """Partners; ``tiers`` are the program's tier names, the only ones accepted."""
    return CsvFormat(
        kind="partners",
        key=("partner_id",),
        columns=(
            Column(
                "partner_id",
                PARTNER_ID,
                True,
                ("Partner ID", "Partner Account ID", "Partner Number"),
            ),
            Column(
                "name",
                cells.text(200),
                True,
                ("Partner Name", "Partner Account Name", "Company Name"),
            ),
            Column(
                "tier",
                cells.one_of(tiers, "tier of this program"),
                True,
                ("Partner Tier", "Partner Level", "Level"),
            ),
            Column("region", cells.text(64), True, ("Sales Region", "Territory", "Partner Region")),
            Column("country", cells.text(64), aliases=("Billing Country", "Country/Region")),
            Column("specialties", cells.items, aliases=("Specializations", "Competencies")),
            Column("status", cells.choice(PartnerStatus), aliases=("Partner Status",)),
            Column(
                "signed_at",
                cells.PAST_DAY,
                aliases=("Partner Since", "Contract Start Date", "Agreement Date"),
            ),
            Column("first_revenue_at", cells.PAST_DAY, aliases=("First Revenue Date",)),
            Column("quarterly_target", cells.MONEY, aliases=("Quarterly Target", "Quota")),
            Column(
                "manager_slack_id",
                cells.slack_id("UW"),
                aliases=("Partner Manager Slack ID", "Channel Manager Slack ID"),
            ),
            Column(
                "slack_channel_id",
                cells.slack_id("CG"),
                aliases=("Slack Channel ID", "Shared Channel ID"),
            ),
            Column(
                "slack_team_id", cells.slack_id("TE"), aliases=("Slack Team ID", "Workspace ID")
            ),
        ),
    )


DEALS = CsvFormat(
    kind="deals",
    key=("deal_id",),
    columns=(
        Column(
            "deal_id",
            cells.text(64),
            True,
            ("Opportunity ID", "Deal ID", "Record ID", "Registration ID"),
        ),
        Column(
            "partner_id",
            PARTNER_ID,
            True,
            ("Partner ID", "Partner Account ID", "Registering Partner ID"),
        ),
        Column(
            "account_name", cells.text(255), True, ("Account Name", "Company Name", "End Customer")
        ),
        Column("amount", cells.MONEY, True, ("Opportunity Amount", "Deal Amount", "Amount")),
        Column(
            "registered_at",
            cells.TIMESTAMP,
            True,
            ("Created Date", "Create Date", "Registration Date", "Registered Date"),
        ),
        Column(
            "status",
            cells.choice(DealStatus, DEAL_STATUS_SPELLINGS),
            True,
            ("Registration Status", "Deal Status"),
        ),
        Column(
            "account_domain", cells.text(255), aliases=("Website", "Company Domain Name", "Domain")
        ),
        Column(
            "currency",
            cells.currency,
            aliases=("Opportunity Currency", "Currency Code", "Deal Currency"),
        ),
        Column("product", cells.text(200), aliases=("Product Name", "Product Family")),
        Column("stage", cells.text(100), aliases=("Opportunity Stage", "Deal Stage")),
        Column("expected_close", cells.DAY, aliases=("Close Date", "Expected Close Date")),
        Column("closed_at", cells.PAST_DAY, aliases=("Closed Date", "Actual Close Date")),
        Column("expires_at", cells.DAY, aliases=("Expiration Date", "Protection End Date")),
        Column("source", cells.choice(DealSource), aliases=("Partner Role", "Deal Source")),
        Column(
            "influence_partner_ids",
            cells.items,
            aliases=("Influence Partners", "Influencing Partner IDs"),
        ),
    ),
)

ACTIVITIES = CsvFormat(
    kind="activities",
    key=("partner_id", "date", "kind", "detail"),
    columns=(
        Column("partner_id", PARTNER_ID, True, ("Partner ID",)),
        Column("date", cells.PAST_DAY, True, ("Activity Date", "Completed Date")),
        Column("kind", cells.choice(ActivityKind), True, ("Activity Type", "Type")),
        Column("value", cells.MONEY, True, ("Amount", "Count", "Score")),
        Column("detail", cells.text(200), aliases=("Description", "Name", "Subject")),
    ),
)

PEOPLE = CsvFormat(
    kind="people",
    key=("slack_user_id",),
    columns=(
        Column("slack_user_id", cells.slack_id("UW"), True, ("Slack User ID", "Slack ID")),
        Column("role", cells.choice(PersonRole), True, ("Role",)),
        Column("partner_id", PARTNER_ID, aliases=("Partner ID",)),
        Column("name", cells.text(200), aliases=("Full Name", "Name")),
        Column("region", cells.text(64), aliases=("Region",)),
        Column("slack_team_id", cells.slack_id("TE"), aliases=("Slack Team ID",)),
    ),
)
