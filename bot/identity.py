"""Who is asking: staff, a partner contact, a member of our workspace we have no record of, or a
stranger.

A Slack user's team is established by ``users.info`` (the user's own ``team_id``), never by the
channel or workspace a request came through: in a Slack Connect channel, people from the
partner's organisation and from ours share one channel. The people table is read on every
request, so a change to it applies at once. Slack's answer is remembered for a short while
(:class:`SlackTeams`, ``PARTNERBOT_IDENTITY_CACHE_S``): a user's own team does not change, so
nobody can gain another partner's access that way; a deactivated user is refused once the
remembered answer runs out.
"""

import logging
import time
from dataclasses import dataclass
from enum import StrEnum

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import bindparam, select
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


_PERSON = (
    select(
        Person.role,
        Person.slack_team_id,
        Partner.id,
        Partner.external_id,
        Partner.name,
        Partner.slack_team_id,
    )
    .outerjoin(Partner, Partner.id == Person.partner_id)
    .where(Person.slack_user_id == bindparam("user_id"))
)
"""A person and their partner, if any, as plain columns (built once, and run on the session's
connection: building a statement, and the ORM's execution path, cost more than the query)."""


class SlackTeams:
    """Each user's own team as ``users.info`` told this process, remembered for ``ttl_s``
    seconds (0: always ask), so a busy user costs one Slack call a while rather than one per
    request. Only an answer naming a team is remembered: "unknown", "deactivated" and errors
    are asked again next time."""

    MAX_USERS = 100_000
    """Past this many remembered users, forget them all (a bound on memory, seldom reached)."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._known: dict[str, tuple[str, float]] = {}

    def team_of(self, client: WebClient, user_id: str) -> str | None:
        now = time.monotonic()
        known = self._known.get(user_id)  # a dict read and write are atomic: no lock needed
        if known is not None and known[1] > now:
            return known[0]
        team_id = user_team_id(client, user_id)
        if team_id is not None and self.ttl_s > 0:
            if len(self._known) >= self.MAX_USERS:
                self._known.clear()
            self._known[user_id] = (team_id, now + self.ttl_s)
        return team_id


def identify(session: Session, team_id: str | None, *, user_id: str, home_team_id: str) -> Identity:
    """Decide who ``user_id`` is, given their own Slack team (``team_id``, None when Slack
    could not say). ``home_team_id`` is the team the bot is installed in (from ``auth.test``).
    A staff row only counts for a user of our own team, a partner contact only for a user of
    the partner's team, so a wrong Slack id in an import cannot hand out access."""
    if team_id is None:
        return Identity(user_id, Kind.STRANGER)
    person = session.connection().execute(_PERSON, {"user_id": user_id}).first()
    if person is None:
        kind = Kind.MEMBER if team_id == home_team_id else Kind.STRANGER
        return Identity(user_id, kind, user_team_id=team_id)
    role, person_team, partner_id, partner_external_id, partner_name, partner_team = person
    if role in STAFF_ROLES:
        if team_id != home_team_id:
            logger.warning("staff row for %s but Slack says team %s", user_id, team_id)
            return Identity(user_id, Kind.STRANGER, user_team_id=team_id)
        return Identity(user_id, Kind.STAFF, role=role, user_team_id=team_id)
    if partner_id is None:  # the check constraint makes this unreachable; stay closed anyway
        return Identity(user_id, Kind.STRANGER, user_team_id=team_id)
    allowed = {t for t in (partner_team, person_team) if t} or {home_team_id}
    if team_id not in allowed:
        logger.warning(
            "partner contact %s of %s is in team %s, expected %s",
            user_id,
            partner_external_id,
            team_id,
            sorted(allowed),
        )
        return Identity(user_id, Kind.STRANGER, user_team_id=team_id)
    return Identity(
        user_id,
        Kind.PARTNER,
        role=role,
        partner_id=partner_id,
        partner_name=partner_name,
        user_team_id=team_id,
    )


def identify_asker(
    session: Session, client: WebClient, teams: SlackTeams, context: BoltContext, user_id: str
) -> Identity:
    """:func:`identify` for a Bolt request: the user's team from ``users.info`` (through
    ``teams``), the home team the one the bot's token belongs to, as ``auth.test`` told Bolt
    at start."""
    result = context.authorize_result
    home_team = (result.team_id if result else None) or ""
    team_id = teams.team_of(client, user_id)
    return identify(session, team_id, user_id=user_id, home_team_id=home_team)
