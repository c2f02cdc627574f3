"""Process settings from the environment, read once at start and passed down."""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///partnerbot.sqlite3"


class Settings(BaseSettings):
    """The environment contract: names match ARCHITECTURE.md exactly."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
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
