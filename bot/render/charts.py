"""Charts as PNG images for Slack: a partner's 12-month revenue and pipeline.

matplotlib's Agg backend draws without a display; a figure is built, saved and closed within
one call (pyplot's global state is not used), so charts can be drawn from any thread. Drawing
one costs about 150 ms of CPU under Python's global lock, which would hold up every other
request of the process — acknowledgements included — so the app draws them in a small pool of
worker processes (:class:`ChartRenderer`).
"""

import io
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

SOURCED = "#2E7D32"
INFLUENCED = "#A5D6A7"
PIPELINE = "#1565C0"


def _short_money(value: float, _position: object = None) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.0f}"


def revenue_chart(
    *,
    title: str,
    currency: str,
    months: Sequence[str],
    sourced: Sequence[float],
    influenced: Sequence[float],
    pipeline: Sequence[float],
) -> bytes:
    """Stacked bars of sourced and influenced revenue per month, the open pipeline at each
    month's end as a line; PNG bytes about 900×420 pixels."""
    figure = Figure(figsize=(9, 4.2), dpi=100)
    figure.subplots_adjust(left=0.08, right=0.98, top=0.9, bottom=0.1)  # tight_layout: slow
    axes = figure.add_subplot()
    positions = range(len(months))
    axes.bar(positions, sourced, color=SOURCED, label="Sourced revenue")
    axes.bar(positions, influenced, bottom=sourced, color=INFLUENCED, label="Influenced revenue")
    axes.plot(positions, pipeline, color=PIPELINE, marker="o", linewidth=2, label="Open pipeline")
    axes.set_xticks(list(positions), list(months), rotation=0, fontsize=8)
    axes.yaxis.set_major_formatter(FuncFormatter(_short_money))
    axes.set_ylabel(currency)
    axes.set_title(title, loc="left", fontsize=11)
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(loc="upper left", fontsize=8, frameon=False)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


class ChartRenderer:
    """Draws charts in ``processes`` worker processes (0: in the calling thread). The pool is
    started on first use, from a fork server, so no worker inherits the app's threads; its
    workers run at a lower priority, so drawing never delays acknowledging Slack."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._pool: Executor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> Executor:
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("forkserver")
                self._pool = ProcessPoolExecutor(
                    self.processes, mp_context=context, initializer=os.nice, initargs=(10,)
                )
            return self._pool

    def revenue_chart(self, **chart: Any) -> bytes:
        if self.processes <= 0:
            return revenue_chart(**chart)
        return self._executor().submit(_draw, chart).result(timeout=30)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None


def _draw(chart: dict[str, Any]) -> bytes:
    """Top-level, so a worker process can unpickle it."""
    return revenue_chart(**chart)
