"""The chart drawn for /scorecard: a real PNG, the same whether drawn in the calling thread or
in the worker-process pool the app uses."""

import struct

from bot.render.charts import ChartRenderer

CHART = {
    "title": "Acme Resellers: revenue and pipeline, last 12 months",
    "currency": "EUR",
    "months": [f"M{i}" for i in range(12)],
    "sourced": [1000.0 * i for i in range(12)],
    "influenced": [250.0] * 12,
    "pipeline": [20_000.0 - 500 * i for i in range(12)],
}


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_the_chart_is_a_png_of_the_promised_size_in_thread_and_in_pool() -> None:
    in_thread = ChartRenderer(0).revenue_chart(**CHART)
    pool = ChartRenderer(1)
    try:
        in_pool = pool.revenue_chart(**CHART)
    finally:
        pool.close()
    assert png_size(in_thread) == png_size(in_pool) == (900, 420)
    assert abs(len(in_thread) - len(in_pool)) < len(in_thread) * 0.01
