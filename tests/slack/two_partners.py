"""Two partners for the isolation tests: Acme (partner A, whose contact asks) and a rival,
partner B, every one of whose strings is distinctive, so a leak of any of them into what A
receives can be searched for."""

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from models import Partner, Person, PersonRole
from tests.slack.fake_slack import HOME_TEAM, FakeSlack

MANAGER = "U0NAMGR"
A_TEAM, B_TEAM = "T0ACME", "T0ZORBLAX"
A_CONTACT, B_CONTACT = "U0ACMEANN", "U0ZORBLAXQ"
A_CHANNEL, B_CHANNEL = "C0SHAREDACME", "C0SHAREDZORBLAX"
B_NAME = "Zorblax Quantumworks"
B_CONTACT_NAME = "Quintessa Vorhees"
DESK = "C0DEALDESK"


@dataclass(frozen=True)
class TwoPartners:
    a: int
    b: int


def add_two_partners(session_factory: sessionmaker[Session], fake: FakeSlack) -> TwoPartners:
    """Acme (A) and Zorblax (B), both NA (routed to the deal desk) and managed by ``MANAGER``,
    each with a contact in its own Slack team and a shared channel."""
    with session_factory.begin() as session:
        a = Partner(
            external_id="P-ACME",
            name="Acme Resellers",
            tier="gold",
            region="NA",
            slack_team_id=A_TEAM,
            slack_channel_id=A_CHANNEL,
            manager_slack_id=MANAGER,
        )
        b = Partner(
            external_id="P-ZORBLAX-77",
            name=B_NAME,
            tier="platinum",
            region="NA",
            slack_team_id=B_TEAM,
            slack_channel_id=B_CHANNEL,
            manager_slack_id=MANAGER,
        )
        session.add_all([a, b])
        session.flush()
        session.add_all(
            [
                Person(slack_user_id=MANAGER, role=PersonRole.MANAGER, region="NA"),
                Person(slack_user_id=A_CONTACT, role=PersonRole.PARTNER, partner_id=a.id),
                Person(
                    slack_user_id=B_CONTACT,
                    role=PersonRole.PARTNER,
                    partner_id=b.id,
                    name=B_CONTACT_NAME,
                ),
            ]
        )
        ids = TwoPartners(a.id, b.id)
    fake.add_user(MANAGER, HOME_TEAM)
    fake.add_user(A_CONTACT, A_TEAM)
    fake.add_user(B_CONTACT, B_TEAM, real_name=B_CONTACT_NAME)
    return ids
