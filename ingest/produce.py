"""The reading half of an import, run in its own process: parse and check the file, and hand
batches of table rows to the writing half through a bounded queue. Parsing and checking are
pure Python and the database work is not, so on two cores the halves overlap."""

import traceback
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

import numpy as np

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
    """Rows written: each key once."""
    repeated: int
    """Lines that repeated an earlier line exactly."""
    problems: Problems


@dataclass(frozen=True)
class Rejected:
    lines: list[str]


@dataclass(frozen=True)
class Crashed:
    trace: str


Message = Columns | Batch | Progress | Finished | Rejected | Crashed


class KeyLines:
    """Which line gave which key, to find a key given twice with different values. Kept as
    three arrays of 64-bit hashes and line numbers (24 bytes a row) and compared once the file
    is read, so memory stays small for a million rows."""

    def __init__(self) -> None:
        self._keys, self._lines, self._values = array("q"), array("q"), array("q")

    def __len__(self) -> int:
        return len(self._lines)

    def add(self, key: tuple[Any, ...], line: int, values: tuple[Any, ...]) -> None:
        self._keys.append(hash(key))
        self._lines.append(line)
        self._values.append(hash(repr(values)))

    def report(self, problems: Problems, key_names: tuple[str, ...]) -> int:
        """Report each line repeating an earlier line's key with other values; returns how
        many lines repeat an earlier one exactly (they change nothing)."""
        keys = np.frombuffer(self._keys, dtype=np.int64)
        if not len(keys):
            return 0
        order = np.lexsort((np.frombuffer(self._lines, dtype=np.int64), keys))
        keys, lines = keys[order], np.frombuffer(self._lines, dtype=np.int64)[order]
        values = np.frombuffer(self._values, dtype=np.int64)[order]
        starts = np.r_[0, np.flatnonzero(np.diff(keys)) + 1]
        first = np.repeat(starts, np.diff(np.r_[starts, len(keys)]))
        again = np.arange(len(keys)) != first
        differs = again & (values != values[first])
        named = " and ".join(key_names)
        for at in sorted(np.flatnonzero(differs), key=lambda i: lines[i]):
            problems.add(
                int(lines[at]),
                "(row)",
                f"same {named} as line {lines[first[at]]}, with other values (give each once)",
            )
        return int((again & ~differs).sum())


def checked_batches(
    loader: Loader,
    path: Path,
    problems: Problems,
    on_columns: Callable[[set[str]], None],
    on_progress: Callable[[int], None],
    seen: KeyLines,
) -> Iterator[Batch]:
    """Batches of good rows, in file order, each key once. After the first bad row nothing
    more is yielded, but the rest of the file is still checked (the caller then reports the
    keys ``seen`` twice with different values)."""
    batch: dict[tuple[Any, ...], Shaped] = {}
    with CsvRows(loader.fmt, path, problems, on_progress, loader.conventions) as parsed:
        loader.start(parsed.columns)
        on_columns(parsed.columns)
        for row in parsed:
            shaped = loader.check(row, problems)
            if shaped is None:
                continue
            key = loader.key_of(shaped)
            seen.add(key, row.line, shaped[0])
            if problems:
                continue
            batch[key] = shaped
            if len(batch) >= BATCH_ROWS:
                yield loader.encode(list(batch.values()))
                batch = {}
    if batch and not problems:
        yield loader.encode(list(batch.values()))


def produce(loader: Loader, path: Path, queue: "Queue[Message]") -> None:
    """Child-process entry: every outcome, even a crash, ends with one final message."""
    problems = Problems()
    try:
        seen = KeyLines()
        batches = checked_batches(
            loader,
            path,
            problems,
            lambda c: queue.put(Columns(c)),
            lambda n: queue.put(Progress(n)),
            seen,
        )
        for batch in batches:
            queue.put(batch)
        repeated = seen.report(problems, loader.fmt.key)
        queue.put(Finished(len(seen) - repeated, repeated, problems))
    except CsvImportError as error:
        queue.put(Rejected(error.lines))
    except BaseException:  # reported to the parent, which raises it
        queue.put(Crashed(traceback.format_exc()))
