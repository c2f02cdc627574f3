"""Import one CSV file in a single transaction: every row is checked, and the file is written
whole or not at all. A child process reads and checks (``ingest.produce``) while this one
writes, with at most a few batches between them, so memory stays flat."""

import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select

from config.program import Program
from ingest import produce
from ingest.cells import Conventions
from ingest.loaders import LOADERS, Batch, Loader
from ingest.reader import MAX_REPORTED, CsvImportError, Problems
from models import AuditEntry, Partner

QUEUED_BATCHES = 3


@dataclass(frozen=True)
class ImportResult:
    kind: str
    rows: int
    """Rows of the file, each key counted once."""
    inserted: int
    updated: int
    repeated: int = 0
    """Lines that repeated an earlier line exactly (and changed nothing)."""

    @property
    def unchanged(self) -> int:
        return self.rows - self.inserted - self.updated


def import_file(
    kind: str,
    path: Path,
    engine: Engine,
    program: Program,
    on_progress: Callable[[int], None] | None = None,
    actor: str = "cli:import",
    conventions: Conventions | None = None,
) -> ImportResult:
    """Import ``path`` as ``kind``; raise ``CsvImportError`` with a report if any row is bad.
    ``conventions`` say how the file writes numbers and dates (default: ISO dates and the
    decimal mark its delimiter implies); whatever they say, nothing dated after this moment
    is stored."""
    if kind not in LOADERS:
        raise CsvImportError([f"unknown file kind {kind!r}: use one of {', '.join(LOADERS)}"])
    if not path.is_file():
        raise CsvImportError([f"{path}: no such file"])
    with engine.begin() as connection:
        partner_ids = dict(connection.execute(select(Partner.external_id, Partner.id)).all())
        loader: Loader = LOADERS[kind](
            program=program,
            partner_ids=partner_ids,
            dialect=connection.dialect,
            conventions=replace(conventions or Conventions(), now=datetime.now(UTC)),
        )
        loader.load_existing(connection)
        before = _count(connection, loader)
        rows, repeated, changed = _write_checked(
            loader, path, connection, on_progress or (lambda _: None)
        )
        after = _count(connection, loader)
        result = ImportResult(
            kind,
            rows,
            inserted=after - before,
            updated=changed - after + before,
            repeated=repeated,
        )
        connection.execute(
            AuditEntry.__table__.insert(),
            {
                "actor": actor,
                "action": "import",
                "entity": kind,
                "entity_id": path.name[:64],
                "detail": {"rows": rows, "inserted": result.inserted, "updated": result.updated},
            },
        )
    return result


def _count(connection: Connection, loader: Loader) -> int:
    return connection.scalar(select(func.count()).select_from(loader.table)) or 0


def _write_checked(
    loader: Loader, path: Path, connection: Connection, on_progress: Callable[[int], None]
) -> tuple[int, int, int]:
    """Run the reader process and write what it sends; returns (rows, exact repeats, rows
    changed)."""
    context = multiprocessing.get_context("fork")
    queue: produce.Queue[produce.Message] = context.Queue(QUEUED_BATCHES)
    reader = context.Process(target=produce.produce, args=(loader, path, queue), daemon=True)
    reader.start()
    changed = 0
    try:
        while True:
            message = queue.get()
            match message:
                case produce.Columns(names):
                    loader.start(names)
                case Batch():
                    changed += loader.write(connection, message)
                case produce.Progress(done):
                    on_progress(done)
                case produce.Finished(rows, repeated, problems):
                    if problems:
                        raise CsvImportError(_report(path, problems))
                    return rows, repeated, changed
                case produce.Rejected(lines):
                    raise CsvImportError(lines)
                case produce.Crashed(trace):
                    raise RuntimeError(f"reading {path} failed:\n{trace}")
    finally:
        reader.kill()
        reader.join()


def _report(path: Path, problems: Problems) -> list[str]:
    lines = [f"{path.name}: {problems.bad_lines} bad row(s); nothing was imported."]
    lines += [str(error) for error in problems.errors]
    if problems.bad_lines > len({e.line for e in problems.errors}):
        lines.append(f"(only the first {MAX_REPORTED} problems are listed)")
    return lines
