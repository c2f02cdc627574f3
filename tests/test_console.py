"""What ``partnerbot summary`` (and so ``partnerbot demo``) prints about the program."""

from datetime import date

from rich.console import Console

from insights.overview import Overview
from partnerbot.console import overview_panel
from tests.programs import EXAMPLE_PROGRAM


def test_tiers_are_listed_in_the_programs_order_not_alphabetically() -> None:
    """Issue 19: the demo listed gold, platinum, registered, silver."""
    counts = {("gold", "EMEA"): 3, ("platinum", "EMEA"): 1, ("registered", "EMEA"): 9,
              ("silver", "EMEA"): 5, ("legacy", "EMEA"): 2}  # fmt: skip
    overview = Overview("USD", date(2026, 6, 30), 20, counts, [], [], [], 0)
    console = Console(width=120, record=True)
    console.print(overview_panel(overview, "Acme", EXAMPLE_PROGRAM.tier_names))
    lines = console.export_text().splitlines()
    shown = [name for line in lines for name in [line.strip("│ ").split(" ")[0]] if name in
             {"registered", "silver", "gold", "platinum", "legacy"}]  # fmt: skip
    assert shown == ["registered", "silver", "gold", "platinum", "legacy"]
