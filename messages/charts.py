"""Charts as PNG images for Slack: revenue and pipeline over time, for a partner's
``/scorecard`` and quarterly review and for the program's weekly digest.

Drawn with Pillow on a canvas twice the final size and halved, which smooths lines and text.
A chart costs a few milliseconds; matplotlib, used before, took 75–150 ms, and drawing 5 charts
a second with it — the morning after the nightly scoring, when every scorecard's chart is new —
slowed every acknowledgement of a 2-core server to over a second, even at idle priority. The
app still draws in a small pool of worker processes (:class:`ChartRenderer`), so no request
waits on Python's global lock behind a chart.
"""

import io
import math
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from messages.blocks import Chart

SOURCED = "#2E7D32"
INFLUENCED = "#A5D6A7"
PIPELINE = "#1565C0"
INK = "#222222"
AXIS = "#555555"
GRID = "#E6E6E6"

WIDTH, HEIGHT = 900, 420
SCALE = 2
"""Drawn at this multiple of the final size, then reduced: anti-aliasing for lines."""
LEFT, RIGHT, TOP, BOTTOM = 78, 84, 58, 34
"""The plot area's margins, in final pixels: title and legend above, scales at the sides."""

FONT_FILE = Path(__file__).parent / "fonts" / "DejaVuSans.ttf"
"""DejaVu Sans (its licence, LICENSE_DEJAVU, lies beside it), shipped with the package so no
system font is needed: Latin, Greek and Cyrillic names draw as typed."""


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILE), size * SCALE)


def _short_money(value: float) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.0f}"


def _scale(highest: float) -> tuple[float, list[float]]:
    """A round top of scale at or above ``highest`` and its ticks, four to six of them."""
    if not math.isfinite(highest) or highest < 0.01:  # money: less than a cent draws as none
        return 1.0, [0.0, 1.0]
    magnitude = 10 ** math.floor(math.log10(highest))
    for step in (0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0):
        if highest / (step * magnitude) <= 5:
            break
    step *= magnitude
    top = math.ceil(highest / step) * step
    return top, [i * step for i in range(round(top / step) + 1)]


@dataclass(frozen=True)
class _Plot:
    """The plot area on the (scaled) canvas, and the mapping of values into it."""

    left: int
    top: int
    right: int
    bottom: int

    def y(self, value: float, top: float) -> float:
        return self.bottom - (self.bottom - self.top) * min(max(value, 0.0), top) / top


def _clip(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[: max(len(text) - max(len(text) // 8, 1), 0)]
    return text + "…"


def _vertical(canvas: Image.Image, text: str, at_x: int, middle_y: int, color: str) -> None:
    """``text`` turned a quarter left, centred on ``middle_y`` with its left edge at ``at_x``."""
    font = _font(10)
    box = font.getbbox(text)
    label = Image.new("RGBA", (box[2] + 2, box[3] + 2), (255, 255, 255, 0))
    ImageDraw.Draw(label).text((0, 0), text, font=font, fill=color)
    turned = label.rotate(90, expand=True)
    canvas.paste(turned, (at_x, middle_y - turned.height // 2), turned)


def _legend(draw: ImageDraw.ImageDraw, x: int, y: int) -> None:
    font, s = _font(10), SCALE
    for color, text, line in (
        (SOURCED, "Sourced revenue", False),
        (INFLUENCED, "Influenced revenue", False),
        (PIPELINE, "Open pipeline (right scale)", True),
    ):
        if line:
            draw.line((x, y + 6 * s, x + 18 * s, y + 6 * s), fill=color, width=2 * s)
            draw.ellipse((x + 6 * s, y + 3 * s, x + 12 * s, y + 9 * s), fill=color)
        else:
            draw.rectangle((x, y + 1 * s, x + 18 * s, y + 11 * s), fill=color)
        x += 24 * s
        draw.text((x, y), text, font=font, fill=INK)
        x += int(draw.textlength(text, font=font)) + 16 * s


def _labels(draw: ImageDraw.ImageDraw, plot: _Plot, labels: Sequence[str]) -> None:
    """Period names under the bars, every k-th one when they would overlap."""
    font, count = _font(9), len(labels)
    slot = (plot.right - plot.left) / count
    widest = max(draw.textlength(label, font=font) for label in labels)
    every = max(1, math.ceil((widest + 6 * SCALE) / slot))
    for i in range(0, count, every):
        centre = plot.left + slot * (i + 0.5)
        draw.text((centre, plot.bottom + 5 * SCALE), labels[i], font=font, fill=AXIS, anchor="ma")


def revenue_chart(chart: Chart) -> bytes:
    """Stacked bars of sourced and influenced revenue per period, the open pipeline at each
    period's end as a line on its own scale (a stock dwarfs a period's flow); PNG bytes of
    900×420 pixels."""
    count = len(chart.labels)
    if not count == len(chart.sourced) == len(chart.influenced) == len(chart.pipeline):
        raise ValueError(f"chart {chart.filename!r}: series of different lengths")
    s = SCALE
    canvas = Image.new("RGB", (WIDTH * s, HEIGHT * s), "white")
    draw = ImageDraw.Draw(canvas)
    plot = _Plot(LEFT * s, TOP * s, (WIDTH - RIGHT) * s, (HEIGHT - BOTTOM) * s)
    one_line = " ".join(chart.title.split())  # a name may hold line breaks
    title = _clip(draw, one_line, _font(13), (WIDTH - 20) * s)
    draw.text((10 * s, 8 * s), title, font=_font(13), fill=INK)
    _legend(draw, plot.left, 32 * s)

    stacked = [a + b for a, b in zip(chart.sourced, chart.influenced, strict=True)]
    revenue_top, revenue_ticks = _scale(max(stacked, default=0.0))
    pipeline_top, pipeline_ticks = _scale(max(chart.pipeline, default=0.0))
    ticks = _font(9)
    for value in revenue_ticks:
        y = plot.y(value, revenue_top)
        draw.line((plot.left, y, plot.right, y), fill=GRID, width=s)
        draw.text((plot.left - 6 * s, y), _short_money(value), font=ticks, fill=AXIS, anchor="rm")
    for value in pipeline_ticks:
        y = plot.y(value, pipeline_top)
        draw.line((plot.right, y, plot.right + 4 * s, y), fill=PIPELINE, width=s)
        label = _short_money(value)
        draw.text((plot.right + 7 * s, y), label, font=ticks, fill=PIPELINE, anchor="lm")
    draw.line((plot.left, plot.top, plot.left, plot.bottom), fill=AXIS, width=s)
    draw.line((plot.right, plot.top, plot.right, plot.bottom), fill=PIPELINE, width=s)
    draw.line((plot.left, plot.bottom, plot.right, plot.bottom), fill=AXIS, width=s)
    middle = (plot.top + plot.bottom) // 2
    _vertical(canvas, f"revenue, {chart.currency}", 8 * s, middle, AXIS)
    _vertical(canvas, f"pipeline, {chart.currency}", (WIDTH - 22) * s, middle, PIPELINE)
    if not count:
        return _png(canvas)

    slot = (plot.right - plot.left) / count
    half_bar = slot * 0.35
    points = []
    for i in range(count):
        centre = plot.left + slot * (i + 0.5)
        low, high = plot.y(chart.sourced[i], revenue_top), plot.y(stacked[i], revenue_top)
        if chart.sourced[i] > 0:
            draw.rectangle((centre - half_bar, low, centre + half_bar, plot.bottom), fill=SOURCED)
        if chart.influenced[i] > 0:
            draw.rectangle((centre - half_bar, high, centre + half_bar, low), fill=INFLUENCED)
        points.append((centre, plot.y(chart.pipeline[i], pipeline_top)))
    draw.line(points, fill=PIPELINE, width=2 * s, joint="curve")
    radius = min(4 * s, max(slot / 4, s))
    for x, y in points:
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=PIPELINE)
    _labels(draw, plot, chart.labels)
    return _png(canvas)


def _png(canvas: Image.Image) -> bytes:
    out = io.BytesIO()
    canvas.reduce(SCALE).save(out, format="PNG", compress_level=6)
    return out.getvalue()


def _warm_up() -> None:
    """Draw once: Pillow's code and the fonts are loaded before the first real chart."""
    revenue_chart(Chart("", "", ("",), (1.0,), (1.0,), (1.0,), "warm.png", ""))


def _lowest_priority() -> None:
    """A chart process runs only when no request wants the CPU: SCHED_IDLE where the system
    has it (Linux), else the lowest nice level. (A nice level alone still gives a drawing
    process a fair slice of a busy machine, which showed as slower acknowledgements.)"""
    if hasattr(os, "SCHED_IDLE"):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    else:
        os.nice(19)


class ChartsBusyError(RuntimeError):
    """Every chart process has a chart drawing and one waiting: this one is not drawn now."""


class ChartRenderer:
    """Draws charts in ``processes`` worker processes (0: in the calling thread). The pool is
    started on first use, from a fork server, so no worker inherits the app's threads; its
    workers run at a lower priority, so drawing never delays acknowledging Slack.

    At most ``backlog`` charts per process are drawn or waiting at a time; beyond that
    :meth:`revenue_chart` refuses at once (:class:`ChartsBusyError`), so a burst of first-time
    scorecards (the morning after the nightly scoring, every chart is new) costs a bounded
    share of the machine and answers without the chart rather than queueing behind it."""

    def __init__(self, processes: int, backlog: int = 2) -> None:
        self.processes = processes
        self.limit = processes * backlog
        self._in_flight = 0
        self._pool: Executor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> Executor:
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("forkserver")
                # Forked from a server that imported this module (Pillow with it): no process
                # imports it at idle priority while a first scorecard waits for its chart.
                context.set_forkserver_preload([__name__])
                self._pool = ProcessPoolExecutor(
                    self.processes, mp_context=context, initializer=_lowest_priority
                )
            return self._pool

    def warm(self) -> None:
        """Start the chart processes now, in the background, rather than for the first chart
        asked for: started cold at idle priority, a first ``/scorecard`` waited 2–8 s."""
        if self.processes > 0:
            for _ in range(self.processes):
                self._executor().submit(_warm_up)

    def has_room(self) -> bool:
        """Whether a chart asked for now would be drawn rather than refused; a hint, as another
        request may take the room first."""
        with self._lock:
            return self.processes <= 0 or self._in_flight < self.limit

    def revenue_chart(self, chart: Chart) -> bytes:
        if self.processes <= 0:
            return revenue_chart(chart)
        executor = self._executor()
        with self._lock:
            if self._in_flight >= self.limit:
                raise ChartsBusyError(f"{self._in_flight} charts drawing or waiting")
            self._in_flight += 1
        try:
            future = executor.submit(revenue_chart, chart)
        except BaseException:
            self._done(None)
            raise
        future.add_done_callback(self._done)
        return future.result(timeout=30)

    def _done(self, _future: object) -> None:
        with self._lock:
            self._in_flight -= 1

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
