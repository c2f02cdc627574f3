"""Who decides a registration: the first ``[[routing.rules]]`` entry of ``program.toml`` whose
criteria all match the partner and the deal, else ``[routing.default]``.

A rule names one approver (a manager's Slack id) or one channel (a deal desk). An approver rule
means only that manager decides; a channel rule means any partner manager watching the desk
may. Leadership may always decide: someone has to when the approver is away.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from config.program import Program, Route
from models import PersonRole


@dataclass(frozen=True)
class RoutingSubject:
    """What routing rules look at: the registering partner and the registration's product."""

    region: str
    tier: str
    specialties: Sequence[str] = ()
    product: str | None = None


def _same(rule_value: str | None, value: str | None) -> bool:
    return rule_value is None or (value is not None and rule_value.casefold() == value.casefold())


def _matches(rule: Route, subject: RoutingSubject) -> bool:
    specialties = {s.casefold() for s in subject.specialties}
    return (
        _same(rule.region, subject.region)
        and _same(rule.tier, subject.tier)
        and _same(rule.product, subject.product)
        and (rule.specialty is None or rule.specialty.casefold() in specialties)
    )


def route_for(program: Program, subject: RoutingSubject) -> Route:
    """The route of the first matching rule, or the default route."""
    for rule in program.routing.rules:
        if _matches(rule, subject):
            return rule
    return program.routing.default


def target(route: Route) -> str:
    """The Slack id the approval card is posted to: the approver's (a DM) or the channel."""
    destination = route.approver or route.channel
    assert destination is not None  # Route's validator requires exactly one
    return destination


def may_decide(route: Route, *, user_id: str, role: PersonRole | None) -> bool:
    """Leadership always; a manager when the route names them or names a channel; nobody else
    (partner contacts never decide, not even on another partner's registration)."""
    if role is PersonRole.LEADERSHIP:
        return True
    if role is not PersonRole.MANAGER:
        return False
    return route.approver is None or route.approver == user_id
