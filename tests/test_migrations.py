"""The migrations build the schema the models describe, from an empty database, on both
backends; upgrading twice is harmless; and every downgrade undoes its upgrade exactly, so a
release can be rolled back."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, make_url, text

from models import Base
from models.db import make_engine
from models.migrate import alembic_config, head_revision, is_current, upgrade
from tests.databases import scratch_database

Schema = dict[str, dict[str, list[str]]]


@pytest.fixture
def empty_engine(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A brand-new empty database on the same backend as ``database_url``."""
    if make_url(database_url).get_backend_name() == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    else:
        engine = make_engine(scratch_database(database_url, "empty"))
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    yield engine
    engine.dispose()


def assert_matches_the_models(engine: Engine) -> None:
    assert is_current(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_upgrade_from_empty_matches_the_models(empty_engine: Engine) -> None:
    assert inspect(empty_engine).get_table_names() == []
    upgrade(empty_engine)
    upgrade(empty_engine)
    assert_matches_the_models(empty_engine)


def test_an_unmigrated_database_is_not_current(empty_engine: Engine) -> None:
    assert not is_current(empty_engine)
    upgrade(empty_engine, "0006")
    assert not is_current(empty_engine)


def test_the_head_read_from_the_files_is_alembics() -> None:
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert head_revision() == scripts.get_current_head()


def schema(engine: Engine) -> Schema:
    """Each table's columns (name, type, nullability) and indexes (name, columns, uniqueness),
    as text, leaving out Alembic's own version table."""
    inspector = inspect(engine)
    return {
        table: {
            "columns": [
                f"{c['name']} {c['type']} {'NULL' if c['nullable'] else 'NOT NULL'}"
                for c in inspector.get_columns(table)
            ],
            "indexes": sorted(
                f"{i['name']} {i['column_names']} {'UNIQUE' if i['unique'] else ''}"
                for i in inspector.get_indexes(table)
            ),
        }
        for table in sorted(inspector.get_table_names())
        if table != "alembic_version"
    }


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema at ``engine`` down to ``revision``, as ``models.migrate.upgrade`` does
    up."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_each_downgrade_restores_the_schema_before_its_upgrade(empty_engine: Engine) -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    before: dict[str, Schema] = {}  # revision -> the schema its upgrade started from
    for revision in revisions:
        before[revision] = schema(empty_engine)
        upgrade(empty_engine, revision)
        assert schema(empty_engine) != before[revision], f"{revision} changed nothing"

    for revision in reversed(revisions):
        downgrade(empty_engine, "-1")
        assert schema(empty_engine) == before[revision], f"downgrade of {revision}"
    assert schema(empty_engine) == {}

    upgrade(empty_engine)
    assert_matches_the_models(empty_engine)


def test_registrations_made_before_0008_show_their_accounts_name(empty_engine: Engine) -> None:
    """What a registration typed was not kept before 0008: its account's name is filled in."""
    upgrade(empty_engine, "0007")
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO partners (id, external_id, name, tier, region, status) "
                "VALUES (1, 'P-1', 'Acme', 'gold', 'NA', 'active')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO accounts (id, account_key, name, normalized_name) "
                "VALUES (1, 'wayne.com', 'Wayne Enterprises', 'wayne enterprises')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO deal_registrations (id, external_id, partner_id, account_id, "
                "amount, currency, registered_at, status, source) VALUES (1, 'R-000001', 1, 1, "
                "5000, 'USD', CURRENT_TIMESTAMP, 'pending', 'sourced')"
            )
        )
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        typed = connection.scalar(text("SELECT account_name_as_registered FROM deal_registrations"))
    assert typed == "Wayne Enterprises"
