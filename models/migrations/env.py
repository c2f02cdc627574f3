"""Alembic environment: runs on the connection handed in by ``models.migrate`` or on the
configured URL (for the ``alembic`` command line during development)."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from models import Base

config = context.config


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """APScheduler's job store creates and owns ``apscheduler_jobs``: not ours to migrate."""
    return not (type_ == "table" and name == "apscheduler_jobs")


def run_on(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_name=include_name,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    section = config.get_section(config.config_ini_section, {})
    engine = engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as conn:
        run_on(conn)
