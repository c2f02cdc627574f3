"""The revenue chart of /scorecard and the digests: a real PNG, the same whether drawn in the
calling thread or in the worker-process pool the app uses, for any title and figures."""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

from messages.blocks import Chart
from messages.charts import FONT_FILE, ChartRenderer, ChartsBusyError, revenue_chart
from tests.images import png_size
from tests.waiting import wait_until

CHART = Chart(
    title="Acme Resellers: revenue and pipeline, last 12 months",
    currency="EUR",
    labels=tuple(f"M{i}" for i in range(12)),
    sourced=tuple(1000.0 * i for i in range(12)),
    influenced=(250.0,) * 12,
    pipeline=tuple(20_000.0 - 500 * i for i in range(12)),
    filename="acme.png",
    alt_text="Acme Resellers: revenue and pipeline",
)


def test_the_chart_is_a_png_of_the_promised_size_in_thread_and_in_pool() -> None:
    in_thread = ChartRenderer(0).revenue_chart(CHART)
    pool = ChartRenderer(1)
    try:
        in_pool = pool.revenue_chart(CHART)
    finally:
        pool.close()
    assert png_size(in_thread) == png_size(in_pool) == (900, 420)
    assert abs(len(in_thread) - len(in_pool)) < len(in_thread) * 0.01


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(max_size=200),  # partners' names, in any script
    figures=st.lists(
        st.tuples(*[st.floats(0, 1e13, allow_nan=False)] * 3), min_size=1, max_size=13
    ),
)
@example(title="Acme $\\undefined{$ Partners", figures=[(1.0, 2.0, 3.0)])
@example(title="", figures=[(0.0, 0.0, 5e-324)])  # a denormal top of scale divided by zero
@example(title="Acme\nPartners\r", figures=[(0.0, 0.0, 0.0)])
@example(title="Ростелеком Партнёр " * 20, figures=[(1e13, 0.0, 1e-300)] * 13)
def test_any_title_and_figures_draw(title: str, figures: list[tuple[float, ...]]) -> None:
    sourced, influenced, pipeline = zip(*figures, strict=True)
    chart = replace(
        CHART,
        title=title,
        labels=tuple(f"W{i}" for i in range(len(figures))),
        sourced=sourced,
        influenced=influenced,
        pipeline=pipeline,
    )
    assert png_size(revenue_chart(chart)) == (900, 420)


@pytest.mark.parametrize("name", ["Müller & Søn Ærø", "Ελληνικά Δίκτυα", "Ростелеком Партнёр"])
def test_latin_greek_and_cyrillic_names_draw_with_the_font_the_package_ships(name: str) -> None:
    """Every letter has a glyph of its own, not the font's box for a missing one."""
    font = ImageFont.truetype(str(FONT_FILE), 24)

    def glyph(char: str) -> bytes:
        image = Image.new("L", (40, 40))
        ImageDraw.Draw(image).text((4, 4), char, font=font, fill=255)
        return image.tobytes()

    missing = glyph("\ue000")  # a private-use code point: DejaVu Sans has no glyph for it
    for char in set(name) - set(" &"):
        assert glyph(char) != missing, char


def test_a_full_chart_pool_refuses_at_once_and_takes_charts_again_when_free() -> None:
    slow = replace(  # fifty thousand bars: most of a second to draw
        CHART,
        labels=tuple(map(str, range(50_000))),
        sourced=(1.0,) * 50_000,
        influenced=(1.0,) * 50_000,
        pipeline=(1.0,) * 50_000,
    )
    pool = ChartRenderer(1, backlog=1)
    try:
        pool.revenue_chart(CHART)  # the pool started
        with ThreadPoolExecutor(1) as thread:
            drawing = thread.submit(pool.revenue_chart, slow)
            wait_until(lambda: pool._in_flight > 0, "the slow chart drawing", interval=0.001)
            started = time.monotonic()
            with pytest.raises(ChartsBusyError):
                pool.revenue_chart(CHART)
            assert time.monotonic() - started < 0.5  # refused, not queued
            assert not drawing.done()
            assert png_size(drawing.result()) == (900, 420)
        assert png_size(pool.revenue_chart(CHART)) == (900, 420)
    finally:
        pool.close()
