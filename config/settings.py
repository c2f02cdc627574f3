"""Process settings from the environment, read once at start and passed down."""

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///partnerbot.sqlite3"
POSTGRES_DRIVER = "postgresql+psycopg"
"""The driver partnerbot installs; SQLAlchemy 2 reads a bare ``postgresql://`` as psycopg2."""


def with_driver(url: str) -> str:
    """``url`` with partnerbot's PostgreSQL driver when it names none: Heroku and others set
    ``postgres://…``, a name SQLAlchemy 2 no longer knows, and tools write ``postgresql://…``."""
    scheme, separator, rest = url.partition("://")
    if separator and scheme in {"postgres", "postgresql"}:
        return f"{POSTGRES_DRIVER}://{rest}"
    return url


class Settings(BaseSettings):
    """The environment contract: each field reads the variable named by its ``validation_alias``
    (the README's settings table lists them); renaming one breaks deployments."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    """Any SQLAlchemy URL; ``postgres://`` and ``postgresql://`` get the psycopg driver."""
    slack_bot_token: str | None = Field(None, validation_alias="SLACK_BOT_TOKEN", repr=False)
    slack_signing_secret: str | None = Field(
        None, validation_alias="SLACK_SIGNING_SECRET", repr=False
    )
    slack_app_token: str | None = Field(None, validation_alias="SLACK_APP_TOKEN", repr=False)
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")
    port: int = Field(3000, validation_alias="PORT", ge=1, le=65535)
    program_path: Path = Field(Path("program.toml"), validation_alias="PARTNERBOT_PROGRAM")
    chart_processes: int = Field(2, validation_alias="PARTNERBOT_CHART_PROCESSES", ge=0, le=32)
    """Worker processes drawing /scorecard charts; 0 draws them in the request's thread."""
    chart_backlog: int = Field(2, validation_alias="PARTNERBOT_CHART_BACKLOG", ge=0, le=64)
    """Charts each chart process may have drawing or waiting; beyond that a /scorecard card
    comes at once without its chart (0 with chart processes: cards never draw one)."""
    listener_threads: int = Field(32, validation_alias="PARTNERBOT_LISTENER_THREADS", ge=1)
    """Threads running Slack listeners. Each acknowledges its request first, so this bounds
    how many requests can be worked on at once, not how fast they are acknowledged."""
    registration_index: bool = Field(True, validation_alias="PARTNERBOT_REGISTRATION_INDEX")
    """Keep an in-memory index of active registrations for look-alike checks (about 640 MB and
    a 30 s background build per million active registrations); off: SQL lookups only."""
    web_concurrency: int = Field(2, validation_alias="WEB_CONCURRENCY", ge=1, le=64)
    """Web worker processes of ``partnerbot serve`` (the variable Heroku-style platforms set)."""
    log_format: Literal["text", "json"] = Field("text", validation_alias="PARTNERBOT_LOG_FORMAT")
    """``json``: one JSON object per log line, for log shippers."""
    scorecards_per_minute: int = Field(
        20, validation_alias="PARTNERBOT_SCORECARDS_PER_MINUTE", ge=1
    )
    """Most ``/scorecard`` requests one person may make a minute (each draws a chart)."""
    inline_answer_ms: int = Field(
        200, validation_alias="PARTNERBOT_INLINE_ANSWER_MS", ge=0, le=2500
    )
    """A slash command's answer ready within this many milliseconds goes in the
    acknowledgement itself; a slower one follows through ``response_url``. 0: always the
    latter. Slack waits 3 s for the acknowledgement."""
    identity_cache_s: float = Field(60.0, validation_alias="PARTNERBOT_IDENTITY_CACHE_S", ge=0)
    """Seconds a process remembers a user's Slack team from ``users.info`` (0: ask every
    time). The people table is read on every request regardless."""
    delivery_interval_s: float = Field(5, validation_alias="PARTNERBOT_DELIVERY_INTERVAL", gt=0)
    """Seconds between the worker's delivery runs of the outbox (where retries go out)."""
    worker_poll_s: float = Field(10, validation_alias="PARTNERBOT_WORKER_POLL", gt=0)
    """Seconds between a standby worker's attempts to take over, and the leader's checks
    that it still holds the lead."""
    delivery_lease_s: float = Field(60, validation_alias="PARTNERBOT_DELIVERY_LEASE", gt=0)
    """How long a sender's claim on a message lasts: after a crash, another run may look for
    it in Slack and resend it only then. Must exceed one delivery attempt (a few Slack calls
    of at most 10 s each)."""

    @field_validator("database_url")
    @classmethod
    def _driver(cls, url: str) -> str:
        return with_driver(url)
