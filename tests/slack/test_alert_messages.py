"""Alerts, their overflow summary and tier reviews within Slack's limits whatever the names,
reasons and counts, each alert carrying its three answers for its own alert id."""

from hypothesis import given, settings
from hypothesis import strategies as st

from insights.alert_rules import AT_RISK, Finding
from insights.tier_review import TierChange
from messages.alert_messages import ACKNOWLEDGE, DISMISS, SNOOZE, alert_message, alerts_summary
from messages.blocks import esc
from messages.tier_messages import (
    APPROVE,
    DECLINE,
    PER_MESSAGE,
    parse_value,
    tier_review_messages,
)
from tests.slack.limits import assert_within_limits, names

flags = st.fixed_dictionaries(
    {
        "metric": st.sampled_from(["revenue", "registrations", "win_rate"]),
        "magnitude": st.one_of(st.none(), st.floats(min_value=-1, max_value=5)),
        "since": st.just("2026-08-01"),
        "expected": st.floats(min_value=0, max_value=1e9),
        "observed": st.floats(min_value=0, max_value=1e9),
    }
)


@settings(max_examples=40, deadline=None)
@given(
    name=names,
    headline=names,
    factors=st.lists(names, max_size=3),
    flag_list=st.lists(flags, max_size=8),
    alert_id=st.integers(min_value=1, max_value=2**31),
    risk=st.floats(min_value=0, max_value=1),
)
def test_an_alert_fits_and_answers_for_itself(
    name: str, headline: str, factors: list[str], flag_list: list, alert_id: int, risk: float
) -> None:
    detail = {"risk_band": "high", "factors": factors, "flags": flag_list}
    message = alert_message(alert_id, Finding(1, AT_RISK, "high", risk, detail), name, headline, 30)
    assert_within_limits([message])
    blocks = message.as_post()["blocks"]
    assert isinstance(blocks, list)
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    assert {e["action_id"]: e["value"] for e in actions["elements"]} == {
        ACKNOWLEDGE: str(alert_id),
        SNOOZE: str(alert_id),
        DISMISS: str(alert_id),
    }
    assert len(actions["elements"][2]["confirm"]["text"]["text"]) <= 300
    assert message.text == esc(headline, 300)


@settings(max_examples=20, deadline=None)
@given(headlines=st.lists(names, min_size=1, max_size=200))
def test_the_overflow_summary_is_one_message(headlines: list[str]) -> None:
    message = alerts_summary(headlines, 5)
    assert_within_limits([message])
    assert message.text.startswith(f"{len(headlines)} more alert(s)")


@settings(max_examples=20, deadline=None)
@given(
    partners=st.lists(
        st.tuples(names, st.sampled_from(["silver", "gold"]), st.sampled_from(["up", "down"])),
        min_size=1,
        max_size=70,
    )
)
def test_a_tier_review_splits_and_keeps_each_proposal_with_its_buttons(partners: list) -> None:
    changes = [
        TierChange(pid, name, tier, "platinum", direction, direction == "down")
        for pid, (name, tier, direction) in enumerate(partners, start=1)
    ]
    messages = tier_review_messages(changes, "October 2026")
    assert_within_limits(messages)
    assert len(messages) == -(-len(changes) // PER_MESSAGE)
    seen = []
    for message in messages:
        blocks = message.as_post()["blocks"]
        assert isinstance(blocks, list)
        for block in blocks:
            if block["type"] == "actions":
                values = {e["action_id"]: parse_value(e["value"]) for e in block["elements"]}
                assert set(values) == {APPROVE, DECLINE}
                assert block["block_id"] == f"tier:{values[APPROVE][0]}"
                seen.append(values[APPROVE][0])
    assert seen == [c.partner_id for c in changes]
