"""Who is asking: staff, a partner contact, a member of our workspace we have no record of, or a
stranger.

A Slack user's team is established by ``users.info`` (the user's own ``team_id``), never by the
channel or workspace a request came through: in a Slack Connect channel, people from the
partner's organisation and from ours share one channel. Nothing is cached between requests, so
every process sees a change to the people table or to Slack at once.
"""

import logging
from dataclasses import dataclass
from enum import StrEnum

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Partner, Person, PersonRole

logger = logging.getLogger(__name__)

STAFF_ROLES = frozenset({PersonRole.MANAGER, PersonRole.LEADERSHIP})


class Kind(StrEnum):
    STAFF = "staff"
    """A Person with role manager or leadership, who belongs to our workspace."""
    PARTNER = "partner"
    """A partner contact whose Slack team is their partner's (or their own recorded) team."""
    MEMBER = "member"
    """Someone from our own workspace we have no record of."""
    STRANGER = "stranger"
    """Anyone else: another team and unmapped, or a team that contradicts our records, or a
    user Slack could not tell us about. Refused everything but a polite answer."""


@dataclass(frozen=True)
class Identity:
    user_id: str
    kind: Kind
    role: PersonRole | None = None
    partner_id: int | None = None
    partner_name: str | None = None
    user_team_id: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.kind is Kind.STAFF

    @property
    def is_stranger(self) -> bool:
        return self.kind is Kind.STRANGER


def user_team_id(client: WebClient, user_id: str) -> str | None:
    """The user's own team according to Slack, or None when Slack cannot say (unknown or
    deactivated user, API error): callers treat None as unverified."""
    try:
        response = client.users_info(user=user_id)
    except (SlackApiError, SlackClientError, OSError) as error:
        logger.warning("users.info for %s failed: %s", user_id, error)
        return None
    user = response.get("user") or {}
    if user.get("deleted"):
        return None
    team_id = user.get("team_id")
    return team_id if isinstance(team_id, str) and team_id else None


def identify(session: Session, client: WebClient, *, user_id: str, home_team_id: str) -> Identity:
    """Decide who ``user_id`` is. ``home_team_id`` is the team the bot is installed in (from
    ``auth.test``). Every decision checks the user's team through ``users.info`` once: a staff
    row only counts for a user of our own team, a partner contact only for a user of the
    partner's team, so a wrong Slack id in an import cannot hand out access."""
    person = session.scalar(select(Person).where(Person.slack_user_id == user_id))
    team_id = user_team_id(client, user_id)
    if team_id is None:
        return Identity(user_id, Kind.STRANGER)
    if person is None:
        kind = Kind.MEMBER if team_id == home_team_id else Kind.STRANGER
        return Identity(user_id, kind, user_team_id=team_id)
    if person.role in STAFF_ROLES:
        if team_id != home_team_id:
            logger.warning("staff row for %s but Slack says team %s", user_id, team_id)
            return Identity(user_id, Kind.STRANGER, user_team_id=team_id)
        return Identity(user_id, Kind.STAFF, role=person.role, user_team_id=team_id)
    partner = session.get(Partner, person.partner_id)
    if partner is None:  # the check constraint makes this unreachable; stay closed anyway
        return Identity(user_id, Kind.STRANGER, user_team_id=team_id)
    allowed = {t for t in (partner.slack_team_id, person.slack_team_id) if t} or {home_team_id}
    if team_id not in allowed:
        logger.warning(
            "partner contact %s of %s is in team %s, expected %s",
            user_id,
            partner.external_id,
            team_id,
            sorted(allowed),
        )
        return Identity(user_id, Kind.STRANGER, user_team_id=team_id)
    return Identity(
        user_id,
        Kind.PARTNER,
        role=person.role,
        partner_id=partner.id,
        partner_name=partner.name,
        user_team_id=team_id,
    )


def identify_asker(
    session: Session, client: WebClient, context: BoltContext, user_id: str
) -> Identity:
    """:func:`identify` for a Bolt request: the home team is the one the bot's token belongs
    to, as ``auth.test`` told Bolt at start."""
    result = context.authorize_result
    home_team = (result.team_id if result else None) or ""
    return identify(session, client, user_id=user_id, home_team_id=home_team)
