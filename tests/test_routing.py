"""Approval routing: which rule of ``program.toml`` a registration follows, and who may decide."""

import pytest

from config.program import Program, Route, parse_program
from deals.routing import RoutingSubject, may_decide, route_for, target
from models import PersonRole

RULES = """
[routing.default]
channel = "C0DEALDESK"

[[routing.rules]]
region = "emea"
product = "Platform"
approver = "UEMEAPLAT"

[[routing.rules]]
region = "EMEA"
approver = "UEMEA"

[[routing.rules]]
specialty = "security"
channel = "C0SECURITY"

[[routing.rules]]
tier = "platinum"
region = "NA"
channel = "C0STRATEGIC"
"""


@pytest.fixture(scope="module")
def program() -> Program:
    return parse_program(RULES, "test-program.toml")


def routed(program: Program, **subject: object) -> str:
    values: dict[str, object] = {"region": "APAC", "tier": "silver"}
    values.update(subject)
    return target(route_for(program, RoutingSubject(**values)))  # type: ignore[arg-type]


def test_the_first_matching_rule_wins(program: Program) -> None:
    # EMEA + Platform matches the first two rules (and the security one): the first decides.
    subject = {"region": "EMEA", "product": "Platform", "specialties": ["Security"]}
    assert routed(program, **subject) == "UEMEAPLAT"
    # without the product only the second and third match
    assert routed(program, region="EMEA", specialties=["Security"]) == "UEMEA"
    # outside EMEA the security rule is the first that matches
    assert routed(program, region="NA", tier="platinum", specialties=["Security"]) == "C0SECURITY"


def test_criteria_ignore_case(program: Program) -> None:
    assert routed(program, region="Emea", product="PLATFORM") == "UEMEAPLAT"
    assert routed(program, region="emea") == "UEMEA"
    assert routed(program, region="na", tier="Platinum") == "C0STRATEGIC"
    assert routed(program, specialties=["Cloud", "SECURITY"]) == "C0SECURITY"


def test_every_criterion_of_a_rule_must_match(program: Program) -> None:
    assert routed(program, region="NA", tier="gold") == "C0DEALDESK"
    assert routed(program, region="APAC", tier="platinum") == "C0DEALDESK"


def test_specialty_matches_one_of_the_partners_specialties(program: Program) -> None:
    assert routed(program, specialties=["cloud", "security", "data"]) == "C0SECURITY"
    assert routed(program, specialties=["cloud security"]) == "C0DEALDESK"  # whole words only
    assert routed(program, specialties=[]) == "C0DEALDESK"


def test_product_matches_the_deals_product(program: Program) -> None:
    assert routed(program, region="EMEA", product="Platform") == "UEMEAPLAT"
    assert routed(program, region="EMEA", product="Analytics") == "UEMEA"
    assert routed(program, region="EMEA", product=None) == "UEMEA"  # no product: rule skipped


def test_no_matching_rule_routes_to_the_default(program: Program) -> None:
    route = route_for(program, RoutingSubject(region="LATAM", tier="registered"))
    assert route == program.routing.default
    assert (route.channel, route.approver) == ("C0DEALDESK", None)


def test_without_rules_everything_goes_to_the_default() -> None:
    bare = parse_program('[routing.default]\napprover = "UHEAD"\n', "bare.toml")
    subject = RoutingSubject(region="EMEA", tier="gold", specialties=["x"], product="y")
    assert route_for(bare, subject) == Route(approver="UHEAD")
    assert target(route_for(Program(), subject)) == "C0DEALDESK"  # the built-in default


def test_target_is_the_approver_or_the_channel() -> None:
    assert target(Route(approver="UONE")) == "UONE"
    assert target(Route(channel="C0DESK")) == "C0DESK"


BY_APPROVER = Route(approver="UAPPROVER")
BY_CHANNEL = Route(channel="C0DESK")


@pytest.mark.parametrize(
    ("route", "user_id", "role", "allowed"),
    [
        # leadership always decides
        (BY_APPROVER, "UBOSS", PersonRole.LEADERSHIP, True),
        (BY_CHANNEL, "UBOSS", PersonRole.LEADERSHIP, True),
        # a manager: any channel-routed registration, only their own approver-routed ones
        (BY_CHANNEL, "UMGR", PersonRole.MANAGER, True),
        (BY_APPROVER, "UAPPROVER", PersonRole.MANAGER, True),
        (BY_APPROVER, "UMGR", PersonRole.MANAGER, False),
        # partner contacts and unknown people never decide, even when named as approver
        (BY_CHANNEL, "UPARTNER", PersonRole.PARTNER, False),
        (BY_APPROVER, "UAPPROVER", PersonRole.PARTNER, False),
        (BY_CHANNEL, "USTRANGER", None, False),
        (BY_APPROVER, "UAPPROVER", None, False),
    ],
)
def test_may_decide(route: Route, user_id: str, role: PersonRole | None, allowed: bool) -> None:
    assert may_decide(route, user_id=user_id, role=role) is allowed
