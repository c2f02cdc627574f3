"""Program rules: the shipped example is valid, and every mistake is reported by its key."""

import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

from config.program import (
    CardMetric,
    PartnerView,
    ProgramError,
    example_text,
    load_program,
    parse_program,
)
from insights.metric_display import KEY_METRICS


def test_shipped_example_is_valid_and_complete() -> None:
    program = parse_program(example_text(), "program.example.toml")
    assert program.tier_names == ["registered", "silver", "gold", "platinum"]
    assert program.registration.expiry_days == 90
    assert program.routing.rules[0].approver == "UMGREMEA01"
    assert program.currencies["EUR"] == 1.08


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("[registration]\nexpiry_dayz = 30", "program.toml: registration.expiry_dayz: unknown key"),
        (
            "[registration]\nexpiry_days = -3",
            "program.toml: registration.expiry_days: Input should be greater than or equal to 1 "
            "(got -3)",
        ),
        (
            "[registration]\nexpiry_days = 'ninety'",
            "program.toml: registration.expiry_days: Input should be a valid integer, unable to "
            "parse string as an integer (got 'ninety')",
        ),
        (
            "[scorecard.weights]\nrevenue = 0.9",
            "program.toml: scorecard.weights: weights must add up to 1.0, they add up to 1.65",
        ),
        (
            "[channels]\nalerts = '#partner-alerts'",
            "program.toml: channels.alerts: use the channel ID (C…), not its name "
            "(got '#partner-alerts')",
        ),
        (
            "[schedules]\nweekly_digest = '0 9 * * funday'",
            'program.toml: schedules.weekly_digest: Invalid weekday name "funday" '
            "(got '0 9 * * funday')",
        ),
        (
            "[[routing.rules]]\nregion = 'NA'",
            "program.toml: routing.rules[0]: give exactly one of approver (a user ID) or channel "
            "(a channel ID)",
        ),
        (
            "[[tiers]]\nname = 'a'\nmin_score = 5\n[[tiers]]\nname = 'b'\nmin_score = 1",
            "program.toml: tiers: tiers go from entry level upwards: 'b' needs a higher min_score "
            "than 'a'",
        ),
        (
            "[program]\ntimezone = 'Mars/Olympus'",
            "program.toml: program.timezone: unknown time zone (use an IANA name like "
            "Europe/Berlin) (got 'Mars/Olympus')",
        ),
    ],
)
def test_malformed_rules_name_the_key(snippet: str, message: str) -> None:
    with pytest.raises(ProgramError) as error:
        parse_program(snippet, "program.toml")
    assert str(error.value) == message


def test_toml_syntax_error_names_the_file() -> None:
    with pytest.raises(ProgramError, match=r"^program.toml: not valid TOML: .*at line 3"):
        parse_program("[program]\nname = 'x'\ncurrency = \n", "program.toml")


def test_missing_file_falls_back_to_the_example_unless_insisted_on(tmp_path: Path) -> None:
    assert load_program(tmp_path / "program.toml").tier_names[0] == "registered"
    with pytest.raises(ProgramError, match="no such file"):
        load_program(tmp_path / "program.toml", must_exist=True)


def test_cli_reports_a_bad_program_without_a_traceback(tmp_path: Path) -> None:
    rules = tmp_path / "program.toml"
    rules.write_text("[alerts]\nrisk_threshold = 2\n")
    done = subprocess.run(
        [sys.executable, "-m", "partnerbot", "program", "check", str(rules)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"{rules}: alerts.risk_threshold: Input should be less than or equal to 1 (got 2)"
    )
    assert "Traceback" not in done.stderr


def test_partner_view_names_the_cards_metrics_and_by_default_keeps_program_figures_back() -> None:
    assert set(get_args(CardMetric)) == {shown.key for shown in KEY_METRICS}
    shipped = parse_program(example_text(), "program.example.toml").partner_view
    assert shipped == PartnerView()
    assert not {"revenue_share", "roi"} & shipped.card_metrics
    assert shipped.tier_advice == "gaps"
    with pytest.raises(ProgramError, match=r"partner_view\.card_metrics\[0\]"):
        parse_program("[partner_view]\ncard_metrics = ['mdf']", "program.toml")
