"""Per-file-kind rules: cross-column and reference checks on each parsed row, and how a batch
of good rows is written. One class per CSV format."""

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import Connection, Dialect, Table, delete, select

from config.program import Program
from deals.accounts import ACCOUNT_COLUMNS, account_row
from ingest.cells import Conventions
from ingest.formats import ACTIVITIES, DEALS, PEOPLE, CsvFormat, partners_format
from ingest.reader import ParsedRow, Problems, Row
from ingest.upsert import driver_values, insert_missing, one_of, upsert
from insights.money import known_currencies
from models import (
    Account,
    ActivityKind,
    DealRegistration,
    DealStatus,
    Partner,
    PartnerActivity,
    Person,
    PersonRole,
    deal_influencers,
)

MAX_SATISFACTION = Decimal(10)
FUTURE_TOLERANCE = timedelta(days=1)
ACCOUNT_CACHE = 200_000


Shaped = tuple[tuple[Any, ...], Any]
"""A checked row: driver-ready values in ``Loader.columns`` order, and extras for ``encode``."""


@dataclass
class Batch:
    """Rows ready for the writer: driver-ready tuples in ``Loader.columns`` order."""

    values: list[tuple[Any, ...]]


@dataclass
class Loader:
    """Turns parsed rows into table rows (in the reading process) and writes batches of them
    (in the writing process).

    Only the table columns fed by the file's columns (plus ``derived``) are written, so a file
    without, say, ``slack_channel_id`` leaves the stored channel ids alone."""

    program: Program
    partner_ids: dict[str, int]
    dialect: Dialect
    conventions: Conventions = field(default_factory=Conventions)
    present: set[str] = field(default_factory=set)
    defaults: dict[str, Any] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    update: list[str] = field(default_factory=list)
    _plan: list[tuple[str, Any, Any]] = field(default_factory=list)
    _key_at: list[int] = field(default_factory=list)

    fmt: ClassVar[CsvFormat]
    table: ClassVar[Table]
    key: ClassVar[tuple[str, ...]]
    renamed: ClassVar[dict[str, str]] = {}
    derived: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        """Per-file set-up of a subclass."""

    def load_existing(self, connection: Connection) -> None:
        """Read what checks need from the database before the first row."""

    def start(self, present: set[str]) -> None:
        """Fix the written columns once the file's header is known."""
        self.present = present
        fed = {self.renamed.get(name, name) for name in present} | {*self.derived, *self.key}
        self.columns = [c.name for c in self.table.c if c.name in fed]
        self.update = [c for c in self.columns if c not in self.key]
        source = {table_column: name for name, table_column in self.renamed.items()}
        converters = driver_values(self.dialect, self.table, self.columns)
        self._plan = [
            (source.get(c, c), self.defaults.get(c), convert)
            for c, convert in zip(self.columns, converters, strict=True)
        ]
        self._key_at = [self.columns.index(k) for k in self.key]

    def partner(self, row: ParsedRow, problems: Problems, column: str = "partner_id") -> int | None:
        external = row.values.get(column)
        found = self.partner_ids.get(external) if external is not None else None
        if external is not None and found is None:
            problems.add(row.line, column, f"unknown partner {external!r} (import partners first)")
        return found

    def check(self, row: ParsedRow, problems: Problems) -> Shaped | None:
        """The table row for ``row``, or None after reporting why it is bad."""
        raise NotImplementedError

    def shape(self, values: Row, extra: Any = None) -> Shaped:
        """The driver-ready table row (every written column, from its file column or its
        default), with whatever else ``encode`` needs."""
        out = []
        for name, default, convert in self._plan:
            value = values.get(name, default)
            out.append(value if convert is None or value is None else convert(value))
        return tuple(out), extra

    def key_of(self, shaped: Shaped) -> tuple[Any, ...]:
        return tuple(shaped[0][i] for i in self._key_at)

    def encode(self, rows: list[Shaped]) -> Batch:
        return Batch([values for values, _ in rows])

    def write(self, connection: Connection, batch: Batch) -> int:
        """Store ``batch``; returns how many rows were inserted or changed."""
        return upsert(connection, self.table, self.columns, batch.values, self.key, self.update)


class PartnersLoader(Loader):
    table = Partner.__table__  # type: ignore[assignment]
    key = ("external_id",)
    renamed: ClassVar[dict[str, str]] = {"partner_id": "external_id"}

    def __post_init__(self) -> None:
        self.fmt = partners_format(self.program.tier_names)  # type: ignore[misc]
        self.defaults = {"status": "active", "specialties": []}
        self.channel_owner: dict[str, str] = {}

    def load_existing(self, connection: Connection) -> None:
        owners = select(Partner.slack_channel_id, Partner.external_id).where(
            Partner.slack_channel_id.is_not(None)
        )
        self.channel_owner.update(connection.execute(owners).all())

    def check(self, row: ParsedRow, problems: Problems) -> Row | None:
        channel = row.values.get("slack_channel_id")
        if channel is not None:
            owner = self.channel_owner.setdefault(channel, row.values["partner_id"])
            if owner != row.values["partner_id"]:
                problems.add(
                    row.line, "slack_channel_id", f"{channel} is already {owner}'s channel"
                )
                return None
        return self.shape(row.values)


class PeopleLoader(Loader):
    fmt = PEOPLE
    table = Person.__table__  # type: ignore[assignment]
    key = ("slack_user_id",)
    derived = ("partner_id",)

    def check(self, row: ParsedRow, problems: Problems) -> Row | None:
        is_contact = row.values["role"] == PersonRole.PARTNER
        has_partner = "partner_id" in row.values
        if is_contact != has_partner:
            reason = (
                "required for a partner contact"
                if is_contact
                else ("only partner contacts belong to a partner")
            )
            problems.add(row.line, "partner_id", reason)
            return None
        values = dict(row.values)
        if is_contact:
            values["partner_id"] = self.partner(row, problems)
            if values["partner_id"] is None:
                return None
        return self.shape(values)


class ActivitiesLoader(Loader):
    fmt = ACTIVITIES
    table = PartnerActivity.__table__  # type: ignore[assignment]
    key = ("partner_id", "occurred_on", "kind", "detail")
    renamed: ClassVar[dict[str, str]] = {"date": "occurred_on"}

    def __post_init__(self) -> None:
        self.defaults = {"detail": ""}

    def check(self, row: ParsedRow, problems: Problems) -> Row | None:
        values = dict(row.values)
        if values["kind"] == ActivityKind.SATISFACTION and values["value"] > MAX_SATISFACTION:
            problems.add(row.line, "value", f"satisfaction is scored 0-10, got {values['value']}")
        values["partner_id"] = self.partner(row, problems)
        if problems.last_bad_line == row.line:
            return None
        return self.shape(values)


class DealsLoader(Loader):
    fmt = DEALS
    table = DealRegistration.__table__  # type: ignore[assignment]
    key = ("external_id",)
    renamed: ClassVar[dict[str, str]] = {"deal_id": "external_id"}
    derived = ("account_id", "account_name_as_registered", "currency", "closed_at", "expires_at")

    def __post_init__(self) -> None:
        self.now = datetime.now(UTC)
        self.expiry = timedelta(days=self.program.registration.expiry_days)
        self.defaults = {"currency": self.program.info.currency}
        self.currencies = known_currencies(self.program)
        self.account_ids: dict[str, int] = {}
        """Account ids by key, for accounts this import has met (bounded by ACCOUNT_CACHE)."""

    def check(self, row: ParsedRow, problems: Problems) -> Row | None:
        values = dict(row.values)
        line = row.line
        values["partner_id"] = self.partner(row, problems)
        influencers = self._influencers(row, values["partner_id"], problems)
        registered: datetime = values["registered_at"]
        if registered > self.now + FUTURE_TOLERANCE:
            problems.add(line, "registered_at", f"{registered:%Y-%m-%d %H:%M} is in the future")
        currency = values.get("currency")
        if currency is not None and currency not in self.currencies:
            problems.add(line, "currency", f"no exchange rate for {currency} in program.toml")
        status = values["status"]
        if status in (DealStatus.WON, DealStatus.LOST):
            closed = values.setdefault("closed_at", values.get("expected_close"))
            if closed is None:
                problems.add(line, "closed_at", f"required for a {status} deal (or Close Date)")
            elif closed < registered.date():
                problems.add(line, "closed_at", "before the registration date")
        if status == DealStatus.APPROVED:
            values.setdefault("expires_at", (registered + self.expiry).date())
        if problems.last_bad_line == line:
            return None
        account = account_row(values["account_name"], values.get("account_domain"))
        values["account_name_as_registered"] = values["account_name"]
        values["account_id"] = account[0]  # the key; the writer puts the account's id here
        return self.shape(values, (account, influencers))

    def _influencers(self, row: ParsedRow, partner_id: int | None, problems: Problems) -> list[int]:
        found = []
        for external in row.values.get("influence_partner_ids", []):
            influencer = self.partner_ids.get(external)
            if influencer is None:
                problems.add(row.line, "influence_partner_ids", f"unknown partner {external!r}")
            elif influencer == partner_id:
                problems.add(row.line, "influence_partner_ids", "lists the registering partner")
            else:
                found.append(influencer)
        return list(dict.fromkeys(found))

    def encode(self, rows: list[Shaped]) -> "DealBatch":
        at = self._key_at[0]
        return DealBatch(
            values=[values for values, _ in rows],
            accounts=list({account[0]: account for _, (account, _) in rows}.values()),
            influencers={values[at]: influencers for values, (_, influencers) in rows},
        )

    def write(self, connection: Connection, batch: Batch) -> int:
        assert isinstance(batch, DealBatch)
        known = self.account_ids
        new = [account for account in batch.accounts if account[0] not in known]
        if new:
            table = Account.__table__
            known.update(insert_missing(connection, table, ACCOUNT_COLUMNS, new, "account_key"))  # type: ignore[arg-type]
        at = self.columns.index("account_id")
        values = [(*row[:at], known[row[at]], *row[at + 1 :]) for row in batch.values]
        if len(known) > ACCOUNT_CACHE:  # forget the older half; they are looked up again if met
            for key in list(itertools.islice(known, len(known) // 2)):
                del known[key]
        changed = upsert(connection, self.table, self.columns, values, self.key, self.update)
        if "influence_partner_ids" in self.present:
            replace_influencers(connection, batch.influencers)
        return changed


@dataclass
class DealBatch(Batch):
    accounts: list[tuple[Any, ...]]
    """Distinct accounts of the batch, in ``ACCOUNT_COLUMNS`` order."""
    influencers: dict[str, list[int]]
    """Influence partner ids by deal external id."""


def replace_influencers(connection: Connection, by_deal: dict[str, list[int]]) -> None:
    """Make each deal's influence partners exactly those listed in the file."""
    deals = DealRegistration.__table__
    ids = dict(
        connection.execute(
            select(deals.c.external_id, deals.c.id).where(
                one_of(connection, deals.c.external_id, list(by_deal))
            )
        ).all()
    )
    links = deal_influencers
    connection.execute(delete(links).where(one_of(connection, links.c.deal_id, list(ids.values()))))
    rows = [
        (ids[external], partner) for external, partners in by_deal.items() for partner in partners
    ]
    upsert(connection, links, ["deal_id", "partner_id"], rows, ["deal_id", "partner_id"], [])


LOADERS: dict[str, type[Loader]] = {
    "partners": PartnersLoader,
    "deals": DealsLoader,
    "activities": ActivitiesLoader,
    "people": PeopleLoader,
}
