"""``fit``, the one place messages meet Slack's limits: long sections split at line ends,
fields ten to a section, headers cut, long messages split with their chart kept with its
placeholder — and fitting a fitted message changes nothing."""

from hypothesis import given, settings
from hypothesis import strategies as st

from messages.blocks import (
    Chart,
    Message,
    chart_image,
    context,
    esc,
    fields,
    fit,
    header,
    section,
)
from tests.slack.limits import assert_within_limits, names

CHART = Chart("Revenue", "USD", ("W1",), (1.0,), (2.0,), (3.0,), "chart.png", "Revenue per week")


def test_a_long_section_is_split_at_line_ends() -> None:
    lines = [f"line {i:04d} " + "x" * 90 for i in range(100)]
    (message,) = fit(Message("", [section("\n".join(lines))]))
    texts = [block.text.text for block in message.blocks]
    assert len(texts) > 1
    assert all(len(text) <= 3000 for text in texts)
    assert "\n".join(texts) == "\n".join(lines)  # nothing lost, no line cut in two
    assert message.text == "\n".join(lines)


def test_fields_go_ten_to_a_section_and_a_header_is_cut() -> None:
    (message,) = fit(Message("", [header("h" * 200), fields([f"f{i}" for i in range(23)])]))
    head, *sections = message.as_post()["blocks"]  # type: ignore[misc]
    assert len(head["text"]["text"]) == 150
    assert [len(s["fields"]) for s in sections] == [10, 10, 3]


def test_a_long_message_is_split_and_its_chart_goes_with_its_placeholder() -> None:
    blocks = [section(f"part {i}") for i in range(70)]
    blocks.insert(60, chart_image(CHART))
    first, second = fit(Message("", blocks, CHART))
    assert len(first.blocks) == 50
    assert (first.chart, second.chart) == (None, CHART)
    assert first.text.startswith("part 0\n")
    assert second.text.startswith("part 50\n")


def test_user_input_is_escaped_and_cut() -> None:
    assert esc("<b>Tom & Jerry</b>") == "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"
    assert esc("x" * 100, 10) == "x" * 9 + "…"


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.text(max_size=4000), max_size=60), heading=names)
def test_fit_is_within_limits_and_changes_nothing_fitted(texts: list[str], heading: str) -> None:
    blocks = [header(heading), *(section(t) for t in texts), context(heading * 20)]
    parts = fit(Message("", blocks))
    assert_within_limits(parts)
    for part in parts:
        assert [b.to_dict() for b in fit(part)[0].blocks] == [b.to_dict() for b in part.blocks]
