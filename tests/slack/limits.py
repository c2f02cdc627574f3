"""What every message the bot builds must satisfy, and text to test it with."""

from hypothesis import strategies as st

from messages.blocks import Message

names = st.text(min_size=1, max_size=300)
"""Any text: long, blank-ish, with mrkdwn's control characters, newlines and emoji."""


def assert_within_limits(messages: list[Message]) -> None:
    assert messages
    for message in messages:
        blocks = message.as_post()["blocks"]  # slack-sdk validates its own limits here too
        assert isinstance(blocks, list)
        assert 0 < len(blocks) <= 50
        assert len(message.text) <= 40_000
        for block in blocks:
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= 150
            for field in block.get("fields", []):
                assert len(field["text"]) <= 2000
            assert len(block.get("fields", [])) <= 10
            if block["type"] == "section" and "text" in block:
                assert 0 < len(block["text"]["text"]) <= 3000
            if block["type"] == "image":
                assert len(block["alt_text"]) <= 2000
                assert len(block["title"]["text"]) <= 2000
        images = [b for b in blocks if b["type"] == "image"]
        assert len(images) == (message.chart is not None)  # a chart goes with its placeholder
