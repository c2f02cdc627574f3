"""The monthly tier review, end to end: proposals from the stored scorecards reach each
manager once, and Approve / Decline through the app's HTTP door change (or keep) the tier,
audited, and mark the proposal decided."""

from datetime import UTC, datetime

from slack_sdk import WebClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from config.program import Program
from insights.scorecard_store import compute_and_store
from jobs.tier_review import tier_review
from messages.delivery import Pacer, deliver_pending
from messages.tier_messages import APPROVE, DECLINE, parse_value
from models import AuditEntry, Partner
from tests.slack.fake_slack import HOME_TEAM, FakeSlack
from tests.slack.payloads import click
from tests.slack.running_app import running_app

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def test_tier_review_proposes_once_and_decisions_stick(
    engine: Engine,
    program_db: Program,
    session_factory: sessionmaker[Session],
    fake_slack: FakeSlack,
    client: WebClient,
) -> None:
    with session_factory.begin() as session:
        # three platinum sellers on record a tier below: the review proposes moving them up
        platinum = select(Partner).where(Partner.tier == "platinum").order_by(Partner.id)
        for partner in session.scalars(platinum.limit(3)):
            partner.tier = "gold"
        compute_and_store(session, program_db, NOW.date())
    report = tier_review(session_factory, program_db, NOW)
    assert report.month == "October 2026"
    assert report.proposals > 2
    assert report.messages >= 1
    assert tier_review(session_factory, program_db, NOW).messages == 0  # once a month
    deliver_pending(session_factory, client, pacer=Pacer(0.0))
    reviews = [m for m in fake_slack.all_messages() if "Tier review" in m["text"]]
    assert len(reviews) == report.messages
    buttons = [
        (message, block, element)
        for message in reviews
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert len(buttons) == 2 * report.proposals
    approve = next(b for b in buttons if b[2]["action_id"] == APPROVE)
    decline = next(
        b
        for b in buttons
        if b[2]["action_id"] == DECLINE and b[1]["block_id"] != approve[1]["block_id"]
    )

    fake_slack.add_user("ULEAD01", HOME_TEAM)
    url = engine.url.render_as_string(hide_password=False)
    with running_app(fake_slack, url, session_factory) as app:
        for done, (message, block, element) in enumerate((approve, decline, approve)):
            # Slack sends the message as it is now: with the decisions already made on it.
            updated = [u for u in fake_slack.calls("chat.update") if u.body["ts"] == message["ts"]]
            current = {**message, "blocks": updated[-1].body["blocks"]} if updated else message
            answer = app.interact(
                click(
                    current,
                    block,
                    element,
                    user_id="ULEAD01",
                    team_id=HOME_TEAM,
                    response_url=fake_slack.response_url(),
                )
            )
            assert answer.status == 200
            if done < 2:
                fake_slack.wait_for(lambda r: r.name == "chat.update", count=done + 1)
        again = fake_slack.wait_for(lambda r: "Already decided" in str(r.body.get("text", "")))
        updates = fake_slack.calls("chat.update")
    assert len(again) == 1
    assert len(updates) == 2
    for update, (_, block, _) in zip(updates, (approve, decline), strict=True):
        (decided,) = [b for b in update.body["blocks"] if b.get("block_id") == block["block_id"]]
        assert decided["type"] == "context"
    approved_id, approved_from, approved_to = parse_value(approve[2]["value"])
    declined_id, declined_from, _ = parse_value(decline[2]["value"])
    with session_factory() as session:
        assert session.get(Partner, approved_id).tier == approved_to
        assert session.get(Partner, declined_id).tier == declined_from
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "partner").order_by(AuditEntry.id)
        ).all()
    assert approved_from != approved_to
    assert actions == ["tier_approved", "tier_declined"]
