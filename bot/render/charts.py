"""Charts as PNG images for Slack: a partner's 12-month revenue and pipeline.

matplotlib's Agg backend draws without a display; a figure is built, saved and closed within
one call, so charts can be drawn from several listener threads (pyplot's global state is not
used)."""

import io
from collections.abc import Sequence

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
