"""Program rules (``program.toml``): tiers, scorecard weights, registration and routing rules,
channels, schedules and alert thresholds. Validated once at start; every error names its key."""

import itertools
import math
import tomllib
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal, Self, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

EXAMPLE = "program.example.toml"


def _channel_id(value: str) -> str:
    if value.startswith("#") or value[:1] not in {"C", "G", "D"}:
        raise ValueError("use the channel ID (C…), not its name")
    return value


def _user_id(value: str) -> str:
    if value.startswith("@") or value[:1] not in {"U", "W"}:
        raise ValueError("use the Slack user ID (U…), not a name")
    return value


def _cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger  # the scheduler's own parser, when needed

    CronTrigger.from_crontab(value)  # raises ValueError naming the bad field
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown time zone (use an IANA name like Europe/Berlin)") from None
    return value


SlackId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[#@]?[\w.-]+$")]
ChannelId = Annotated[SlackId, AfterValidator(_channel_id)]
UserId = Annotated[SlackId, AfterValidator(_user_id)]
Cron = Annotated[str, AfterValidator(_cron)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Share = Annotated[float, Field(ge=0, le=1)]


class Rules(BaseModel):
    """Strict base: an unknown or misspelt key is an error, never silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ProgramInfo(Rules):
    name: str = "Partner Program"
    currency: Currency = "USD"
    timezone: Annotated[str, AfterValidator(_timezone)] = "UTC"


class Tier(Rules):
    name: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    min_score: float = Field(ge=0, le=100)
    min_revenue: float = Field(0, ge=0)
    """Trailing-twelve-month partner-sourced revenue, program currency."""
    min_certifications: int = Field(0, ge=0)


class Tiering(Rules):
    hysteresis_points: float = Field(5, ge=0, le=50)
    """A partner must clear a score threshold by this margin to move, so tiers do not flap."""
    revenue_margin: Annotated[float, Field(ge=0, lt=1)] = 0.2
    """The same for revenue, as a share of the threshold: 0.2 moves a partner up at 120 % of
    the next tier's minimum and down below 80 % of its own."""
    downgrade_requires_approval: bool = True


class Weights(Rules):
    revenue: Share = 0.25
    win_rate: Share = 0.15
    deal_velocity: Share = 0.10
    deal_size: Share = 0.10
    pipeline_coverage: Share = 0.10
    certifications: Share = 0.10
    marketing: Share = 0.10
    satisfaction: Share = 0.10

    @model_validator(mode="after")
    def _sum_to_one(self) -> Self:
        total = sum(self.model_dump().values())
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"weights must add up to 1.0, they add up to {total:g}")
        return self


class Scorecard(Rules):
    weights: Weights = Weights()


class Registration(Rules):
    expiry_days: int = Field(90, ge=1, le=730)
    max_extension_days: int = Field(90, ge=0, le=730)
    reminder_days: list[Annotated[int, Field(ge=1)]] = [14, 3]
    approval_sla_hours: int = Field(48, ge=1)
    name_match_threshold: float = Field(88, ge=50, le=100)
    conflict_window_days: int = Field(90, ge=0)
    direct_sales_block_days: int = Field(0, ge=0)


class Route(Rules):
    """Where a registration goes for approval. Criteria left out match anything."""

    region: str | None = None
    tier: str | None = None
    product: str | None = None
    specialty: str | None = None
    approver: UserId | None = None
    channel: ChannelId | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.approver is None) == (self.channel is None):
            raise ValueError("give exactly one of approver (a user ID) or channel (a channel ID)")
        return self


class Routing(Rules):
    default: Route = Route(channel="C0DEALDESK")
    rules: list[Route] = []


class Channels(Rules):
    alerts: ChannelId | None = None
    leadership_digest: ChannelId | None = None


class Schedules(Rules):
    nightly_scoring: Cron = "0 2 * * *"
    daily_registrations: Cron = "0 7 * * *"
    weekly_digest: Cron = "0 9 * * mon"
    qbr_digest: Cron = "0 9 1 1,4,7,10 *"
    tier_review: Cron = "0 9 1 * *"


class Alerts(Rules):
    risk_threshold: Share = 0.6
    churn_horizon_days: int = Field(90, ge=7)
    revenue_drop_ratio: float = Field(0.5, ge=0, lt=1)
    """Won revenue over the horizon below this share of the trailing average counts as at risk
    too; 0 leaves only going quiet (no won deal and no registration)."""
    cooldown_days: int = Field(14, ge=0)
    snooze_days: int = Field(30, ge=1)
    max_per_manager_per_day: int = Field(5, ge=1)


CardMetric = Literal[
    "sourced_revenue",
    "sourced_revenue_3m",
    "influenced_revenue",
    "revenue_share",
    "win_rate",
    "avg_deal_size",
    "deal_velocity_days",
    "pipeline_coverage",
    "certifications",
    "marketing_activities",
    "satisfaction",
    "roi",
]
"""The scorecard card's metrics (``insights.metric_display.KEY_METRICS``)."""
QbrSection = Literal["figures", "wins", "chart", "scorecard", "tier"]
TierAdvice = Literal["none", "gaps", "proposed"]

PROGRAM_WIDE: frozenset[CardMetric] = frozenset({"revenue_share", "roi"})
"""Metrics that give away the program's totals (a share of its revenue) or the vendor's costs
(return on MDF and program cost)."""


class PartnerView(Rules):
    """What a partner's own contacts are shown of its scorecard (``/scorecard``, its buttons)
    and its QBR (in the partner's channel); staff see everything. The defaults show no program
    totals or shares, none of the vendor's costs, and no tier move a manager has not decided:
    ``tier_advice = "gaps"`` says what the next tier still needs, ``"proposed"`` also shows a
    recommended upgrade or downgrade, ``"none"`` only the current tier."""

    card_metrics: frozenset[CardMetric] = frozenset(get_args(CardMetric)) - PROGRAM_WIDE
    qbr_sections: frozenset[QbrSection] = frozenset(get_args(QbrSection))
    tier_advice: TierAdvice = "gaps"


class Program(Rules):
    info: ProgramInfo = Field(ProgramInfo(), alias="program")
    """The ``[program]`` table: the program's name, currency and time zone."""
    currencies: dict[Currency, Annotated[float, Field(gt=0)]] = {}
    """Exchange rates: one unit of the currency in program currency."""
    tiers: list[Tier] = Field(
        default_factory=lambda: [
            Tier(name="registered", min_score=0),
            Tier(name="silver", min_score=40, min_revenue=100_000, min_certifications=1),
            Tier(name="gold", min_score=60, min_revenue=250_000, min_certifications=3),
            Tier(name="platinum", min_score=80, min_revenue=600_000, min_certifications=6),
        ],
        min_length=1,
    )
    tiering: Tiering = Tiering()
    scorecard: Scorecard = Scorecard()
    registration: Registration = Registration()
    routing: Routing = Routing()
    channels: Channels = Channels()
    schedules: Schedules = Schedules()
    alerts: Alerts = Alerts()
    partner_view: PartnerView = PartnerView()

    @field_validator("tiers")
    @classmethod
    def _tiers_ascend(cls, tiers: list[Tier]) -> list[Tier]:
        names = [t.name for t in tiers]
        if len(set(names)) != len(names):
            raise ValueError(f"tier names must be unique: {names}")
        for lower, upper in itertools.pairwise(tiers):
            if upper.min_score <= lower.min_score:
                raise ValueError(
                    f"tiers go from entry level upwards: {upper.name!r} needs a higher "
                    f"min_score than {lower.name!r}"
                )
        return tiers

    @model_validator(mode="after")
    def _routes_name_known_tiers(self) -> Self:
        unknown = {r.tier for r in self.routing.rules if r.tier} - set(self.tier_names)
        if unknown:
            raise ValueError(f"routing rules name unknown tiers: {sorted(unknown)}")
        return self

    @property
    def tier_names(self) -> list[str]:
        return [t.name for t in self.tiers]

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.info.timezone)

    def today(self, now: datetime | None = None) -> date:
        """The program's calendar day at ``now`` (default: this moment): the day every
        "today", "this week" and "last complete quarter" is counted from."""
        return (now or datetime.now(UTC)).astimezone(self.timezone).date()


class ProgramError(Exception):
    """A program rules file that cannot be used; the message names each bad key."""


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{part}]"]
        else:
            parts.append(str(part))
    return ".".join(parts) or "(top level)"


def parse_program(text: str, source: str) -> Program:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProgramError(f"{source}: not valid TOML: {error}") from None
    try:
        return Program.model_validate(data)
    except ValidationError as error:
        lines = []
        for item in error.errors():
            where = _location(item["loc"])
            if item["type"] == "extra_forbidden":
                lines.append(f"{source}: {where}: unknown key")
            else:
                message = item["msg"].removeprefix("Value error, ")
                given = item["input"]
                got = "" if isinstance(given, dict | list) else f" (got {given!r})"
                lines.append(f"{source}: {where}: {message}{got}")
        raise ProgramError("\n".join(lines)) from None


def example_text() -> str:
    return resources.files("config").joinpath(EXAMPLE).read_text(encoding="utf-8")


def load_program(path: Path, *, must_exist: bool = False) -> Program:
    """Read and validate the rules at ``path``; without the file, the shipped example's rules
    apply unless the caller insisted on that file."""
    if not path.exists():
        if must_exist:
            raise ProgramError(f"{path}: no such file")
        return parse_program(example_text(), EXAMPLE)
    return parse_program(path.read_text(encoding="utf-8"), str(path))
