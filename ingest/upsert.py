"""Idempotent bulk upsert on PostgreSQL and SQLite: insert new rows, update rows whose values
changed, leave identical rows untouched (so re-importing a file changes nothing).

Rows arrive as tuples already converted for the driver (``driver_values``), so the writing
process does no per-value Python work. SQLite takes one driver-level ``executemany`` of the
compiled upsert; PostgreSQL gets each batch by ``COPY`` into a temporary staging table and one
``INSERT … SELECT … ON CONFLICT`` from it. Both report exact counts."""

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    Dialect,
    MetaData,
    Table,
    any_,
    bindparam,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY

Values = Sequence[tuple[Any, ...]]
Converter = Callable[[Any], Any] | None


def driver_values(dialect: Dialect, table: Table, columns: Sequence[str]) -> list[Converter]:
    """Per-column converters from Python values to what the driver takes: SQLAlchemy's own
    bind processors for SQLite; for PostgreSQL's COPY, enum values and JSON wrappers."""
    if dialect.name == "postgresql":
        return [_copy_converter(table.c[c]) for c in columns]
    return [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]


def _copy_converter(column: Column[Any]) -> Converter:
    if isinstance(column.type, JSON):
        return Jsonb
    if getattr(column.type, "enum_class", None) is not None:
        return lambda value: value.value if isinstance(value, Enum) else value
    return None


def _stage(connection: Connection, table: Table, columns: Sequence[str], values: Values) -> Table:
    """COPY ``values`` into a fresh temporary table shaped like ``columns`` of ``table``."""
    name = f"_stage_{table.name}"
    listed = ", ".join(columns)
    connection.execute(
        text(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ON COMMIT DROP AS "
            f"SELECT {listed} FROM {table.name} WITH NO DATA"
        )
    )
    connection.execute(text(f"TRUNCATE {name}"))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {name} ({listed}) FROM STDIN") as copy:
        for row in values:
            copy.write_row(row)
    return Table(name, MetaData(), *(Column(c, table.c[c].type) for c in columns))


def upsert(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    values: Values,
    key: Sequence[str],
    update: Sequence[str],
) -> int:
    """Upsert ``values`` (tuples in ``columns`` order); returns rows inserted or changed."""
    if not values:
        return 0
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        stage = _stage(connection, table, columns, values)
        statement = postgresql.insert(table).from_select(list(columns), select(stage))
    else:
        statement = sqlite.insert(table).values({c: bindparam(c) for c in columns})
    excluded = statement.excluded
    if update:
        changes = {name: excluded[name] for name in update}
        if "updated_at" in table.c:
            changes["updated_at"] = func.now()
        statement = statement.on_conflict_do_update(
            index_elements=list(key),
            set_=changes,
            where=or_(*(table.c[name].is_distinct_from(excluded[name]) for name in update)),
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(key))
    if postgres:
        statement = statement.execution_options(preserve_rowcount=True)
        return connection.execute(statement).rowcount
    compiled = statement.compile(dialect=connection.dialect)
    if list(compiled.positiontup or ()) != list(columns):
        raise ValueError(f"columns must follow the table's order: {compiled.positiontup}")
    # sqlite3 sums the rows an executemany inserted or updated; rows the upsert skipped don't count
    return connection.exec_driver_sql(str(compiled), list(values)).rowcount


def one_of(connection: Connection, column: ColumnElement[Any], values: list[Any]) -> Any:
    """``column IN values``; on PostgreSQL as ``= ANY(array)``, one parameter however many
    values (thousands of placeholders cost the driver more than the query)."""
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam("values", values, type_=ARRAY(column.type)))
    return column.in_(values)


def insert_missing(
    connection: Connection, table: Table, columns: Sequence[str], values: Values, key: str
) -> dict[Any, int]:
    """Insert rows whose ``key`` is new and return ``{key: id}`` for every row given."""
    if not values:
        return {}
    if connection.dialect.name == "postgresql":
        stage = _stage(connection, table, columns, values)
        connection.execute(
            postgresql.insert(table)
            .from_select(list(columns), select(stage))
            .on_conflict_do_nothing(index_elements=[key])
        )
        found = select(table.c[key], table.c.id).join(stage, stage.c[key] == table.c[key])
    else:
        upsert(connection, table, columns, values, [key], [])
        at = list(columns).index(key)
        wanted = [row[at] for row in values]
        found = select(table.c[key], table.c.id).where(one_of(connection, table.c[key], wanted))
    return dict(connection.execute(found).all())
