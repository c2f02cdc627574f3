"""Charts as PNG images for Slack: revenue and pipeline over time, for a partner's
``/scorecard`` and quarterly review and for the program's weekly digest.

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
import warnings
from concurrent.futures import Executor, ProcessPoolExecutor

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from bot.render.blocks import Chart

# A partner's name in a script the bundled font lacks is drawn with boxes, not logged each time.
warnings.filterwarnings(
    "ignore", message=r"(?s)Glyph \d+ .* missing from font", category=UserWarning
)

SOURCED = "#2E7D32"
INFLUENCED = "#A5D6A7"
PIPELINE = "#1565C0"


def _short_money(value: float, _position: object = None) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.0f}"


def revenue_chart(chart: Chart) -> bytes:
    """Stacked bars of sourced and influenced revenue per period, the open pipeline at each
    period's end as a line; PNG bytes about 900×420 pixels."""
    if not len(chart.labels) == len(chart.sourced) == len(chart.influenced) == len(chart.pipeline):
        raise ValueError(f"chart {chart.filename!r}: series of different lengths")
    figure = Figure(figsize=(9, 4.2), dpi=100)
    figure.subplots_adjust(left=0.08, right=0.92, top=0.9, bottom=0.1)  # tight_layout: slow
    axes = figure.add_subplot()
    positions = range(len(chart.labels))
    axes.bar(positions, chart.sourced, color=SOURCED, label="Sourced revenue")
    axes.bar(
        positions,
        chart.influenced,
        bottom=chart.sourced,
        color=INFLUENCED,
        label="Influenced revenue",
    )
    # the pipeline (a stock) dwarfs a period's revenue (a flow): it gets its own scale
    stock = axes.twinx()
    stock.plot(
        positions,
        chart.pipeline,
        color=PIPELINE,
        marker="o",
        linewidth=2,
        label="Open pipeline (right scale)",
    )
    stock.set_ylim(bottom=0)
    axes.set_xticks(list(positions), list(chart.labels), rotation=0, fontsize=8)
    for scale in (axes, stock):
        scale.yaxis.set_major_formatter(FuncFormatter(_short_money))
        scale.spines["top"].set_visible(False)
    axes.set_ylabel(f"revenue, {chart.currency}")
    stock.set_ylabel(f"pipeline, {chart.currency}", color=PIPELINE)
    stock.tick_params(axis="y", colors=PIPELINE)
    axes.set_title(chart.title, loc="left", fontsize=11, parse_math=False)  # "$" in names
    axes.grid(axis="y", alpha=0.3)
    handles = [*axes.get_legend_handles_labels()[0], *stock.get_legend_handles_labels()[0]]
    axes.legend(handles=handles, loc="upper left", fontsize=8, frameon=False)
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

    def revenue_chart(self, chart: Chart) -> bytes:
        if self.processes <= 0:
            return revenue_chart(chart)
        return self._executor().submit(revenue_chart, chart).result(timeout=30)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
