"""One money format for Slack, the terminal and the domain's own sentences."""

from decimal import Decimal

from insights.metric_display import format_metric, money


def test_totals_are_in_whole_units_and_an_entered_amount_keeps_its_cents() -> None:
    assert money(48_000.4, "USD") == "USD 48,000"
    assert format_metric(1234.6, "money", "USD") == "USD 1,235"
    assert money(Decimal("1250.75"), "EUR") == "EUR 1,251"
    assert money(Decimal("1250.75"), "EUR", cents=True) == "EUR 1,250.75"
    assert money(Decimal("1250.00"), "EUR", cents=True) == "EUR 1,250"


def test_a_missing_amount_is_a_dash_and_a_table_may_leave_out_the_currency() -> None:
    assert money(None, "USD") == "—"
    assert money(float("nan"), "USD") == "—"
    assert money(Decimal("5947.89"), "") == "5,948"
