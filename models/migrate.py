"""Alembic, driven from code: ``partnerbot db upgrade``, the demo and the tests all use it.

Whether a database is current is asked often and must be cheap (health checks, ``partnerbot
doctor``), so it reads the migrations' revision ids from their files and the database's from
Alembic's version table without loading Alembic; upgrading loads it."""

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
_REVISION = re.compile(r'^(down_revision|revision)\b[^=]*=\s*(?:"([^"]*)"|None)', re.MULTILINE)


def alembic_config(url: str) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema at ``engine`` up to ``revision`` (idempotent)."""
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@cache
def head_revision() -> str:
    """The newest migration this code ships: the one revision no other revises."""
    revisions, revised = set(), set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        ids = dict(_REVISION.findall(script.read_text()))
        revisions.add(ids["revision"])
        revised.add(ids.get("down_revision"))
    (head,) = revisions - revised  # a second head would be a branch to merge first
    return head


def is_current(bind: Engine | Connection) -> bool:
    """True when the database is at the newest migration (for health checks and start-up)."""
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return is_current(connection)
    if not inspect(bind).has_table(VERSION_TABLE):
        return False
    return bind.scalar(text(f"SELECT version_num FROM {VERSION_TABLE}")) == head_revision()
