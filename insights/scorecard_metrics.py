"""Per-partner, per-calendar-month metrics that scorecards and tier reviews are built on.

Why pandas and not SQL: trailing windows, medians and running counts over every partner and
month are awkward and slow as SQL, but cheap as a few dense partner × month arrays. The rows
are read once (:func:`load_frames`, ``COPY`` on PostgreSQL) and every metric is a vectorised
bincount, sliding-window sum or groupby over those arrays — no Python loop over partners — so
10,000 partners × 36 months and a million deals take seconds.

Months are calendar months of UTC dates; money is in program currency (deal amounts converted
with ``program.currencies``, activity values taken as program currency). "Own deals" are the
partner's registrations; "trailing N months" is the month and the N-1 months before it. Events
before the first requested month still count in trailing windows and running totals.

- ``sourced_revenue``: sum of amount of own deals with status "won" and source "sourced",
  closed_at within the month.
- ``influenced_revenue``: sum of amount of won deals closed in the month where the partner is an
  influence partner (deal_influencers), plus own won deals with source "influenced" (a deal
  counts once per partner even if it is both).
- ``revenue_share``: sourced_revenue / total sourced_revenue of all partners that month; 0 when
  that total is 0.
- ``deals_won``: count of own won deals closed in the month.
- ``win_rate``: won / (won + lost) of own deals closed in the trailing 3 months; NaN when none
  closed.
- ``avg_deal_size``: mean amount of own won deals closed in the trailing 3 months; NaN when none.
- ``deal_velocity_days``: median whole days from the (UTC) day of registered_at to closed_at of
  own won deals closed in the trailing 3 months; NaN when none.
- ``open_pipeline``: sum of amount of own deals open at the month's end: registered on or before
  the month end and, by status, pending/approved/conflict → open; won/lost → open while
  closed_at is after the month end; expired → open while expires_at is after the month end;
  rejected → never. A won/lost/expired deal without that date is not open.
- ``pipeline_coverage``: open_pipeline / quarterly_target; NaN without a (positive) target.
- ``certifications``: running count of "certification" activities up to the month end.
- ``certification_completion``: min(1, certifications / min_certifications of the partner's
  current tier); 1.0 when that tier requires none or is not in the program.
- ``marketing_activities``: count of "marketing" activities in the trailing 3 months.
- ``satisfaction``: mean value of "satisfaction" activities in the trailing 6 months; NaN when
  none.
- ``trailing_revenue_12m``: sum of sourced_revenue over the trailing 12 months.
- ``revenue_12m_error``: how uncertain trailing_revenue_12m is as a measure of the partner's
  yearly rate, relative to it: sqrt(sum of squared amounts) / sum of amounts of those deals,
  the standard error of a sum of randomly many deals of random size (1 for a single deal,
  smaller the more deals it rests on); NaN without revenue.
- ``months_since_signed``: calendar months from signed_at to the month (0 in the signing month,
  negative before it); NaN when signed_at is unknown. New partners have < 12.
- ``time_to_first_revenue_days``: days from signed_at to closed_at of the partner's first own won
  deal, once that deal has closed (on or before the month end); NaN before, or without
  signed_at.
- ``roi``: trailing_revenue_12m / sum of "mdf_spend" and "program_cost" values over the
  trailing 12 months; NaN when that cost is 0 or there is none.
"""

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from config.program import Program
from insights.money import rate
from models import DealRegistration, Partner, PartnerActivity, deal_influencers
from models.enums import ACTIVE_DEAL_STATUSES, ActivityKind, DealSource, DealStatus

METRICS = (
    "sourced_revenue",
    "influenced_revenue",
    "revenue_share",
    "deals_won",
    "win_rate",
    "avg_deal_size",
    "deal_velocity_days",
    "open_pipeline",
    "pipeline_coverage",
    "certifications",
    "certification_completion",
    "marketing_activities",
    "satisfaction",
    "trailing_revenue_12m",
    "revenue_12m_error",
    "months_since_signed",
    "time_to_first_revenue_days",
    "roi",
)
DEAL_WINDOW = 3
SATISFACTION_WINDOW = 6
YEAR = 12
DAY = pd.Timedelta(days=1)
NO_MONTH = -(2**40)
DUST = 1e-6
"""Running sums of money leave float dust where a pipeline empties; below this it is 0."""


@dataclass(frozen=True)
class ProgramFrames:
    """The rows scorecards need, as frames. Strings that repeat a million times (deal status and
    source, activity kind) are categoricals; dates are naive UTC datetime64."""

    partners: pd.DataFrame
    """Index partner_id; external_id, name, tier, region, status, signed_at, quarterly_target
    (NaN: none)."""
    deals: pd.DataFrame
    """deal_id, partner_id, amount (program currency), status, source, registered_at,
    closed_at, expires_at."""
    influences: pd.DataFrame
    """deal_id, partner_id: the influence partners of each deal."""
    activities: pd.DataFrame
    """partner_id, occurred_on, kind, value."""


def _partners_query() -> Select[Any]:
    return select(
        Partner.id.label("partner_id"),
        Partner.external_id,
        Partner.name,
        Partner.tier,
        Partner.region,
        Partner.status,
        Partner.signed_at,
        Partner.quarterly_target,
    ).order_by(Partner.id)


def _deals_query(dialect: str) -> Select[Any]:
    registered: Any = DealRegistration.registered_at
    if dialect == "postgresql":  # timestamptz: render it as naive UTC, whatever the session zone
        registered = func.timezone("UTC", registered)
    return select(
        DealRegistration.id.label("deal_id"),
        DealRegistration.partner_id,
        DealRegistration.amount,
        DealRegistration.currency,
        DealRegistration.status,
        DealRegistration.source,
        registered.label("registered_at"),
        DealRegistration.closed_at,
        DealRegistration.expires_at,
    )


NULL = r"\N"
"""How ``COPY`` writes NULL, so that an empty text is not read back as missing."""


def _read(
    session: Session, query: Select[Any], dtypes: dict[str, str], dates: tuple[str, ...]
) -> pd.DataFrame:
    """Rows of ``query`` typed as ``dtypes``/``dates``. On PostgreSQL through ``COPY … TO
    STDOUT`` into the C CSV parser: several times faster than fetching a million rows as
    Python tuples. The query is rendered with literal values, so it has no parameters."""
    connection = session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        assert driver is not None
        buffer = io.BytesIO()
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER, NULL '{NULL}')") as copy,
        ):
            for row in copy:  # b"".join(copy) is 2x slower: it keeps every row's buffer alive
                buffer.write(row)
        buffer.seek(0)
        # dates parsed by the reader itself: as strings first they would cost a Python
        # object per value
        # only NULL is missing: "NA", "None", "null" and "" are text like any other
        frame = pd.read_csv(
            buffer,
            dtype=dtypes,
            parse_dates=list(dates),
            date_format="ISO8601",
            keep_default_na=False,
            na_values=[NULL],
        )
    else:
        frame = pd.read_sql(sql, connection)
    frame = frame.astype(dtypes)
    for column in dates:  # no-op when parsed above; empty or SQLite columns need it
        frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    return frame


def load_frames(session: Session, program: Program) -> ProgramFrames:
    """Everything in the database, with deal amounts converted to program currency (a currency
    without a rate counts 1:1 rather than failing a nightly run)."""
    dialect = session.connection().dialect.name
    partners = _read(
        session,
        _partners_query(),
        {"partner_id": "int64", "external_id": "str", "quarterly_target": "float64"},
        ("signed_at",),
    ).set_index("partner_id")
    deals = _read(
        session,
        _deals_query(dialect),
        {
            "deal_id": "int64",
            "partner_id": "int64",
            "amount": "float64",
            "currency": "category",
            "status": "category",
            "source": "category",
        },
        ("registered_at", "closed_at", "expires_at"),
    )
    currency = deals.pop("currency")
    rates = np.array([_rate(program, str(code)) for code in currency.cat.categories] + [1.0])
    deals["amount"] = deals["amount"] * rates[currency.cat.codes.to_numpy()]  # code -1 → 1.0
    influences = _read(
        session,
        select(deal_influencers.c.deal_id, deal_influencers.c.partner_id),
        {"deal_id": "int64", "partner_id": "int64"},
        (),
    )
    activities = _read(
        session,
        select(
            PartnerActivity.partner_id,
            PartnerActivity.occurred_on,
            PartnerActivity.kind,
            PartnerActivity.value,
        ),
        {"partner_id": "int64", "kind": "category", "value": "float64"},
        ("occurred_on",),
    )
    return ProgramFrames(partners, deals, influences, activities)


def _rate(program: Program, currency: str) -> float:
    try:
        return float(rate(program, currency))
    except KeyError:
        return 1.0


def _month_ordinals(when: pd.Series | np.ndarray) -> np.ndarray:
    """Months since 1970-01 (the monthly ``pd.Period`` ordinal); NaT gives a far-past month
    (not int64's minimum, so subtracting from it cannot wrap around)."""
    stamps = np.asarray(when)
    if stamps.dtype.kind != "M":
        stamps = stamps.astype("datetime64[ns]")
    months = stamps.astype("datetime64[M]").astype(np.int64)
    return np.where(np.isnat(stamps), NO_MONTH, months)


@dataclass(frozen=True)
class _Grid:
    """Dense partner × month arrays: one row per partner (in frames.partners order), one column
    per month from ``first`` — a year before the first requested month, so every trailing
    window is complete — to the last requested month."""

    partners: pd.Index
    first: int
    width: int

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.partners), self.width

    def place(
        self, partner_id: pd.Series, when: pd.Series, *, carry_earlier: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row, column and an in-grid mask for each event. ``carry_earlier`` puts events before
        the grid into its first column (for running totals) instead of dropping them."""
        rows = self.partners.get_indexer(partner_id)
        cols = _month_ordinals(when) - self.first
        keep = (rows >= 0) & when.notna().to_numpy() & (cols < self.width)
        if carry_earlier:
            cols = np.maximum(cols, 0)
        else:
            keep &= cols >= 0
        return rows, cols, keep

    def total(
        self,
        partner_id: pd.Series,
        when: pd.Series,
        weights: pd.Series | None = None,
        *,
        carry_earlier: bool = False,
    ) -> np.ndarray:
        """Count (or sum of ``weights``) of events per partner and month."""
        rows, cols, keep = self.place(partner_id, when, carry_earlier=carry_earlier)
        flat = rows[keep] * self.width + cols[keep]
        w = None if weights is None else weights.to_numpy(dtype=float)[keep]
        size = self.shape[0] * self.shape[1]
        return np.bincount(flat, weights=w, minlength=size).astype(float).reshape(self.shape)


def _trailing(values: np.ndarray, window: int) -> np.ndarray:
    """Sum over the month and the ``window - 1`` before it. Summed, not differenced from a
    running total, so an empty window is exactly 0."""
    padded = np.pad(values, ((0, 0), (window - 1, 0)))
    return sliding_window_view(padded, window, axis=1).sum(axis=2)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """NaN where the denominator is not positive (or NaN)."""
    shape = np.broadcast_shapes(numerator.shape, denominator.shape)
    out = np.full(shape, np.nan)
    return np.divide(numerator, denominator, out=out, where=denominator > 0)


def _trailing_median(
    grid: _Grid, partner_id: pd.Series, when: pd.Series, values: pd.Series, window: int
) -> np.ndarray:
    """Median of ``values`` over trailing windows: each event is copied into the ``window``
    months it belongs to, then one groupby on (partner, month)."""
    rows, cols, keep = grid.place(partner_id, when)
    lag = np.arange(window)
    rows = np.repeat(rows[keep], window)
    cols = (cols[keep][:, None] + lag).ravel()
    vals = np.repeat(values.to_numpy(dtype=float)[keep], window)
    inside = cols < grid.width
    flat = rows[inside] * grid.width + cols[inside]
    medians = pd.Series(vals[inside]).groupby(flat).median()
    out = np.full(grid.shape[0] * grid.width, np.nan)
    out[medians.index.to_numpy()] = medians.to_numpy()
    return out.reshape(grid.shape)


def _open_pipeline(grid: _Grid, deals: pd.DataFrame) -> np.ndarray:
    """Each deal is open from its registration month up to (not including) the month of the
    date that ends it: added at the start, removed at the end, then a running sum."""
    status = deals["status"]
    still_open = status.isin([s.value for s in ACTIVE_DEAL_STATUSES]).to_numpy()
    finished = status.isin([DealStatus.WON.value, DealStatus.LOST.value]).to_numpy()
    expired = (status == DealStatus.EXPIRED.value).to_numpy()
    never = np.full(len(deals), np.datetime64("NaT"), dtype="datetime64[ns]")
    closing = np.where(finished, deals["closed_at"].to_numpy("datetime64[ns]"), never)
    closing = np.where(expired, deals["expires_at"].to_numpy("datetime64[ns]"), closing)

    rows, start, keep = grid.place(deals["partner_id"], deals["registered_at"], carry_earlier=True)
    end = np.clip(_month_ordinals(closing) - grid.first, 0, grid.width)  # NaT, rejected: 0
    end = np.where(still_open, grid.width, end)
    keep &= end > start
    amount = deals["amount"].to_numpy(dtype=float)[keep]
    rows, start, end = rows[keep], start[keep], end[keep]
    width = grid.width + 1  # a spare column takes the removals of deals open past the grid
    size = grid.shape[0] * width
    steps = np.bincount(rows * width + start, weights=amount, minlength=size)
    steps -= np.bincount(rows * width + end, weights=amount, minlength=size)
    pipeline = np.cumsum(steps.reshape(grid.shape[0], width), axis=1)[:, :-1]
    pipeline[np.abs(pipeline) < DUST] = 0.0
    return pipeline


def monthly_metrics(
    frames: ProgramFrames, program: Program, months: pd.PeriodIndex
) -> pd.DataFrame:
    """One row per partner × month in ``months`` (MultiIndex partner_id, month), float columns
    :data:`METRICS` as defined in the module docstring."""
    if months.freqstr != "M":
        raise ValueError(f"months must be monthly periods, got freq {months.freqstr!r}")
    partners = frames.partners
    index = pd.MultiIndex.from_product([partners.index, months], names=["partner_id", "month"])
    if len(months) == 0:
        return pd.DataFrame({name: pd.Series(dtype=float) for name in METRICS}, index=index)
    wanted = np.asarray(months.asi8)
    first = int(wanted.min()) - (YEAR - 1)
    grid = _Grid(partners.index, first, int(wanted.max()) - first + 1)

    deals = frames.deals
    status = deals["status"]
    won = deals.loc[(status == DealStatus.WON.value).to_numpy()]
    lost = deals.loc[(status == DealStatus.LOST.value).to_numpy()]
    sourced = won.loc[(won["source"] == DealSource.SOURCED.value).to_numpy()]

    sourced_revenue = grid.total(sourced["partner_id"], sourced["closed_at"], sourced["amount"])
    sourced_squares = grid.total(
        sourced["partner_id"], sourced["closed_at"], sourced["amount"] ** 2
    )
    deals_won = grid.total(won["partner_id"], won["closed_at"])
    deals_lost = grid.total(lost["partner_id"], lost["closed_at"])
    won_amount = grid.total(won["partner_id"], won["closed_at"], won["amount"])

    own_influenced = won.loc[(won["source"] == DealSource.INFLUENCED.value).to_numpy()]
    credits = pd.concat(
        [frames.influences[["deal_id", "partner_id"]], own_influenced[["deal_id", "partner_id"]]]
    ).drop_duplicates()
    position = pd.Index(won["deal_id"]).get_indexer(credits["deal_id"])
    credits, credited = credits.loc[position >= 0], won.iloc[position[position >= 0]]
    influenced_revenue = grid.total(
        credits["partner_id"], credited["closed_at"], credited["amount"]
    )

    won_3m = _trailing(deals_won, DEAL_WINDOW)
    velocity_days = (won["closed_at"] - won["registered_at"].dt.normalize()) / DAY
    trailing_revenue = _trailing(sourced_revenue, YEAR)

    kind = frames.activities["kind"]

    def activity(name: ActivityKind, *, values: bool = False, carry: bool = False) -> np.ndarray:
        rows = frames.activities.loc[(kind == name.value).to_numpy()]
        weights = rows["value"] if values else None
        return grid.total(rows["partner_id"], rows["occurred_on"], weights, carry_earlier=carry)

    certifications = np.cumsum(activity(ActivityKind.CERTIFICATION, carry=True), axis=1)
    required = partners["tier"].map({t.name: t.min_certifications for t in program.tiers}).fillna(0)
    required_col = required.to_numpy(dtype=float)[:, None]
    completion = np.where(
        required_col > 0, np.minimum(1.0, _ratio(certifications, required_col)), 1.0
    )
    surveys = _trailing(activity(ActivityKind.SATISFACTION), SATISFACTION_WINDOW)
    scores = _trailing(activity(ActivityKind.SATISFACTION, values=True), SATISFACTION_WINDOW)
    spend = activity(ActivityKind.MDF_SPEND, values=True)
    cost = _trailing(spend + activity(ActivityKind.PROGRAM_COST, values=True), YEAR)

    month_col = np.arange(grid.width)[None, :] + grid.first
    signed_at = partners["signed_at"]
    signed = np.where(signed_at.notna(), _month_ordinals(signed_at), np.nan)[:, None]
    first_win = won.groupby("partner_id")["closed_at"].min().reindex(partners.index)
    to_first_win = ((first_win - signed_at) / DAY).to_numpy(dtype=float)[:, None]
    first_win_month = np.where(first_win.notna(), _month_ordinals(first_win), np.nan)[:, None]
    open_pipeline = _open_pipeline(grid, deals)
    total_sourced = sourced_revenue.sum(axis=0, keepdims=True)

    metrics = {
        "sourced_revenue": sourced_revenue,
        "influenced_revenue": influenced_revenue,
        "revenue_share": np.divide(
            sourced_revenue,
            total_sourced,
            out=np.zeros(grid.shape),
            where=total_sourced > 0,
        ),
        "deals_won": deals_won,
        "win_rate": _ratio(won_3m, won_3m + _trailing(deals_lost, DEAL_WINDOW)),
        "avg_deal_size": _ratio(_trailing(won_amount, DEAL_WINDOW), won_3m),
        "deal_velocity_days": _trailing_median(
            grid, won["partner_id"], won["closed_at"], velocity_days, DEAL_WINDOW
        ),
        "open_pipeline": open_pipeline,
        "pipeline_coverage": _ratio(
            open_pipeline, partners["quarterly_target"].to_numpy(dtype=float)[:, None]
        ),
        "certifications": certifications,
        "certification_completion": completion,
        "marketing_activities": _trailing(activity(ActivityKind.MARKETING), DEAL_WINDOW),
        "satisfaction": _ratio(scores, surveys),
        "trailing_revenue_12m": trailing_revenue,
        "revenue_12m_error": _ratio(np.sqrt(_trailing(sourced_squares, YEAR)), trailing_revenue),
        "months_since_signed": np.broadcast_to(month_col - signed, grid.shape),
        "time_to_first_revenue_days": np.where(month_col >= first_win_month, to_first_win, np.nan),
        "roi": _ratio(trailing_revenue, cost),
    }
    columns = wanted - grid.first
    return pd.DataFrame(
        {
            name: np.asarray(values, dtype=float)[:, columns].ravel()
            for name, values in metrics.items()
        },
        index=index,
    )
