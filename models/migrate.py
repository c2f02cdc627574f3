"""Alembic, driven from code: ``partnerbot db upgrade``, the demo and the tests all use it."""

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema at ``engine`` up to ``revision`` (idempotent)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@cache
def head_revision() -> str | None:
    """The newest migration this code ships (read once: health checks ask often)."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def is_current(bind: Engine | Connection) -> bool:
    """True when the database is at the newest migration (for health checks and start-up)."""
    if isinstance(bind, Connection):
        return MigrationContext.configure(bind).get_current_revision() == head_revision()
    with bind.connect() as connection:
        return is_current(connection)
