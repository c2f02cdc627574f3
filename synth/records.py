"""What one simulated partner yields: typed records and numpy columns that a benchmark can turn
into pandas frames directly, and that turn into CSV rows of the documented formats."""

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date

import numpy as np


@dataclass(frozen=True)
class PartnerRecord:
    partner_id: str
    name: str
    tier: str
    region: str
    country: str
    specialties: tuple[str, ...]
    status: str
    signed_at: date
    first_revenue_at: date | None
    quarterly_target: float
    """Program currency (USD)."""
    manager_slack_id: str
    slack_channel_id: str
    slack_team_id: str

    def row(self) -> list[str]:
        return [
            self.partner_id,
            self.name,
            self.tier,
            self.region,
            self.country,
            ";".join(self.specialties),
            self.status,
            self.signed_at.isoformat(),
            self.first_revenue_at.isoformat() if self.first_revenue_at else "",
            f"{self.quarterly_target:.2f}",
            self.manager_slack_id,
            self.slack_channel_id,
            self.slack_team_id,
        ]


@dataclass(frozen=True)
class PersonRecord:
    slack_user_id: str
    role: str
    partner_id: str
    name: str
    region: str
    slack_team_id: str

    def row(self) -> list[str]:
        return [getattr(self, f.name) for f in fields(self)]


@dataclass(frozen=True)
class TruthRecord:
    partner_id: str
    pattern: str
    onset: date | None
    magnitude: float | None

    def row(self) -> list[str]:
        return [
            self.partner_id,
            self.pattern,
            self.onset.isoformat() if self.onset else "",
            "" if self.magnitude is None else f"{self.magnitude:.2f}",
        ]


Column = np.ndarray | list[str]


def _days(values: np.ndarray) -> list[str]:
    """ISO dates, empty for NaT."""
    text = np.datetime_as_string(values, unit="D")
    return np.where(np.isnat(values), "", text).tolist()


@dataclass(frozen=True)
class DealColumns:
    """One partner's registrations, oldest first, one array per deals.csv column. Dates are
    datetime64 (NaT when empty), ``amount`` is in the deal's ``currency`` rounded to cents."""

    deal_number: np.ndarray
    """int64; deal_id is ``D`` + 8 digits of it."""
    partner_id: str
    company: np.ndarray
    """Index of the customer in the roster's account pool: one company however spelt. Not a
    deals.csv column."""
    account_name: list[str]
    account_domain: list[str]
    amount: np.ndarray
    currency: np.ndarray
    registered_at: np.ndarray
    """datetime64[s], UTC."""
    status: np.ndarray
    product: np.ndarray
    stage: np.ndarray
    expected_close: np.ndarray
    closed_at: np.ndarray
    expires_at: np.ndarray
    source: np.ndarray
    influence_partner_ids: list[str]

    def __len__(self) -> int:
        return len(self.deal_number)

    def columns(self) -> dict[str, Column]:
        """deals.csv column name -> values, ready for ``pandas.DataFrame``."""
        out: dict[str, Column] = {
            "deal_id": self.deal_ids(),
            "partner_id": [self.partner_id] * len(self),
        }
        for f in fields(self):
            out.setdefault(f.name, getattr(self, f.name))
        del out["deal_number"], out["company"]
        return out

    def deal_ids(self) -> list[str]:
        return [f"D{n:08d}" for n in self.deal_number.tolist()]

    def rows(self) -> Iterator[tuple[str, ...]]:
        """deals.csv rows in :data:`synth.write.HEADERS` order."""
        return zip(
            self.deal_ids(),
            [self.partner_id] * len(self),
            self.account_name,
            self.account_domain,
            [f"{a:.2f}" for a in self.amount.tolist()],
            self.currency.tolist(),
            np.datetime_as_string(self.registered_at, unit="s", timezone="UTC").tolist(),
            self.status.tolist(),
            self.product.tolist(),
            self.stage.tolist(),
            _days(self.expected_close),
            _days(self.closed_at),
            _days(self.expires_at),
            self.source.tolist(),
            self.influence_partner_ids,
            strict=True,
        )


@dataclass(frozen=True)
class ActivityColumns:
    """One partner's activities, by date: one array per activities.csv column."""

    partner_id: str
    date: np.ndarray
    """datetime64[D]."""
    kind: list[str]
    value: np.ndarray
    """float: a count, a 0-10 score or money in the program currency, by kind."""
    detail: list[str]

    def __len__(self) -> int:
        return len(self.kind)

    def without(self, kind: str) -> "ActivityColumns":
        keep = np.array([k != kind for k in self.kind], dtype=bool)
        return ActivityColumns(
            self.partner_id,
            self.date[keep],
            [k for k, kept in zip(self.kind, keep.tolist(), strict=True) if kept],
            self.value[keep],
            [d for d, kept in zip(self.detail, keep.tolist(), strict=True) if kept],
        )

    def columns(self) -> dict[str, Column]:
        """activities.csv column name -> values, ready for ``pandas.DataFrame``."""
        return {
            "partner_id": [self.partner_id] * len(self),
            "date": self.date,
            "kind": self.kind,
            "value": self.value,
            "detail": self.detail,
        }

    def rows(self) -> Iterator[tuple[str, ...]]:
        values = [_number(k, v) for k, v in zip(self.kind, self.value.tolist(), strict=True)]
        return zip(
            [self.partner_id] * len(self),
            _days(self.date),
            self.kind,
            values,
            self.detail,
            strict=True,
        )


def _number(kind: str, value: float) -> str:
    if kind in ("mdf_spend", "program_cost"):
        return f"{value:.2f}"
    if kind == "satisfaction":
        return f"{value:.1f}"
    return str(int(value))


@dataclass(frozen=True)
class PartnerHistory:
    partner: PartnerRecord
    contacts: tuple[PersonRecord, ...]
    deals: DealColumns
    activities: ActivityColumns
    truth: TruthRecord
