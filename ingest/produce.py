"""The reading half of an import, run in its own process: parse and check the file, and hand
batches of table rows to the writing half through a bounded queue. Parsing and checking are
pure Python and the database work is not, so on two cores the halves overlap."""

import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

from ingest.loaders import Batch, Loader, Shaped
from ingest.reader import CsvImportError, CsvRows, Problems

BATCH_ROWS = 5000


@dataclass(frozen=True)
class Columns:
    names: set[str]


@dataclass(frozen=True)
class Progress:
    bytes_read: int


@dataclass(frozen=True)
class Finished:
    rows: int
    problems: Problems


@dataclass(frozen=True)
class Rejected:
    lines: list[str]


@dataclass(frozen=True)
class Crashed:
    trace: str


Message = Columns | Batch | Progress | Finished | Rejected | Crashed


def checked_batches(
    loader: Loader,
    path: Path,
    problems: Problems,
    on_columns: Callable[[set[str]], None],
    on_progress: Callable[[int], None],
) -> Iterator[Batch]:
    """Batches of good rows, in file order, deduplicated by key (a later row wins). After the
    first bad row nothing more is yielded, but the rest of the file is still checked."""
    batch: dict[tuple[Any, ...], Shaped] = {}
    with CsvRows(loader.fmt, path, problems, on_progress) as parsed:
        loader.start(parsed.columns)
        on_columns(parsed.columns)
        for row in parsed:
            shaped = loader.check(row, problems)
            if shaped is None or problems:
                continue
            batch[loader.key_of(shaped)] = shaped
            if len(batch) >= BATCH_ROWS:
                yield loader.encode(list(batch.values()))
                batch = {}
    if batch and not problems:
        yield loader.encode(list(batch.values()))


def produce(loader: Loader, path: Path, queue: "Queue[Message]") -> None:
    """Child-process entry: every outcome, even a crash, ends with one final message."""
    problems = Problems()
    try:
        rows = 0
        batches = checked_batches(
            loader,
            path,
            problems,
            lambda c: queue.put(Columns(c)),
            lambda n: queue.put(Progress(n)),
        )
        for batch in batches:
            rows += len(batch.values)
            queue.put(batch)
        queue.put(Finished(rows, problems))
    except CsvImportError as error:
        queue.put(Rejected(error.lines))
    except BaseException:  # reported to the parent, which raises it
        queue.put(Crashed(traceback.format_exc()))
