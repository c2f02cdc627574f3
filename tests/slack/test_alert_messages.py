"""Alerts, their overflow summary and tier reviews within Slack's limits whatever the names,
reasons and counts, each alert carrying its three answers for its own alert id."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from insights.alert_rules import AT_RISK, Finding, findings, headline
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


def shown(message_blocks: list) -> str:
    return " ".join(str(block) for block in message_blocks)


def test_the_rule_based_fallback_states_no_probability_and_labels_agree() -> None:
    scores = pd.DataFrame(
        {
            "risk": [0.99, 0.65, 0.57],
            "risk_band": ["high", "high", "medium"],
            "method": ["heuristic", "model", "model"],
            "top_factors": [["no won deal in 90 days, usually every 20"], ["a reason"], []],
            "drift_flags": [
                [],
                [],
                [
                    {
                        "metric": "revenue",
                        "magnitude": -0.8,
                        "since": "2026-08-01",
                        "expected": 100.0,
                        "observed": 20.0,
                    }
                ],
            ],
        },
        index=pd.Index([1, 2, 3], name="partner_id"),
    )
    found = {(f.partner_id, f.condition): f for f in findings(scores, 0.6)}
    assert set(found) == {(1, AT_RISK), (2, AT_RISK), (3, "drift:revenue")}

    rule_based = found[1, AT_RISK]
    line = headline(rule_based, "Acme", "USD")
    post = alert_message(1, rule_based, "Acme", line, 30).as_post()
    assert line == "Acme is at risk: 1 warning sign"
    assert "%" not in line + shown(post["blocks"])  # type: ignore[arg-type]
    assert "rule-based" in shown(post["blocks"])  # type: ignore[arg-type]

    modelled = alert_message(2, found[2, AT_RISK], "Beta", "h", 30).as_post()
    assert "at-risk probability 65% (high)" in shown(modelled["blocks"])  # type: ignore[arg-type]
    # a high drift alert on a partner whose at-risk band is medium names each for what it is
    drift = alert_message(3, found[3, "drift:revenue"], "Gamma", "h", 30).as_post()
    context = [b for b in drift["blocks"] if b["type"] == "context"]  # type: ignore[union-attr]
    assert "at-risk probability 57% (medium)" in str(context)
    assert "high" not in str(context)


def test_a_risk_nothing_in_the_record_explains_raises_no_alert() -> None:
    scores = pd.DataFrame(
        {
            "risk": [0.9],
            "risk_band": ["high"],
            "method": ["model"],
            "top_factors": [[]],
            "drift_flags": [[]],
        },
        index=pd.Index([7], name="partner_id"),
    )
    assert findings(scores, 0.6) == []


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
