"""The nightly scoring job's alerts, end to end: a generated program scored, alerts queued and
delivered to the fake Slack, answered with the buttons through signed HTTP requests to the
running app — and what was answered is not raised again."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from config.program import Program
from jobs.digests import qbr_digest_job, weekly_digest_job
from jobs.registrations import daily_registrations
from jobs.scoring import nightly_scoring
from jobs.tier_review import tier_review
from messages.alert_messages import ACKNOWLEDGE, DISMISS, SNOOZE
from messages.delivery import Pacer, deliver_pending
from models import AlertState, OutboxStatus, PartnerAlert
from tests.jobs.deliveries import FAST, deliver_all, outbox, posted_keys
from tests.slack.fake_slack import HOME_TEAM, FakeSlack
from tests.slack.payloads import click
from tests.slack.running_app import running_app

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # the night after the generated history ends
MANAGER = "UMGREMEA01"
NEWCOMER = "U0NEWHIRE"
"""A member of our workspace the people file does not know."""


def alerts_in_slack(fake: FakeSlack) -> list[dict]:
    return [m for m in fake.all_messages() if m["metadata"]["event_payload"]["key"][:6] == "alert:"]


@pytest.mark.slow
def test_alerts_reach_managers_once_with_buttons_and_answers_stick(
    engine: Engine,
    program_db: Program,
    session_factory: sessionmaker[Session],
    fake_slack: FakeSlack,
    client: WebClient,
) -> None:
    report = nightly_scoring(session_factory, program_db, NOW)
    assert report.as_of == NOW.date() - timedelta(days=1)
    assert report.alerts > 0
    cap = program_db.alerts.max_per_manager_per_day
    deliver_pending(session_factory, client, pacer=Pacer(0.0))
    posted = alerts_in_slack(fake_slack)
    assert len(posted) == report.alerts

    with session_factory() as session:
        alerts = {a.id: a for a in session.scalars(select(PartnerAlert))}
    assert len(alerts) == report.alerts + report.summarised
    per_channel: dict[str, int] = {}
    for message in posted:
        per_channel[message["channel"]] = per_channel.get(message["channel"], 0) + 1
        (actions,) = [b for b in message["blocks"] if b["type"] == "actions"]
        buttons = {e["action_id"]: int(e["value"]) for e in actions["elements"]}
        assert set(buttons) == {ACKNOWLEDGE, SNOOZE, DISMISS}
        alert = alerts[buttons[ACKNOWLEDGE]]
        assert len(set(buttons.values())) == 1
        assert message["text"] == alert.headline
        assert alert.headline in message["blocks"][0]["text"]["text"]
        if alert.condition == "at_risk":
            assert "*Why*" in message["blocks"][1]["text"]["text"]
        else:
            assert " since " in alert.headline
            assert "expected" in alert.headline
    assert max(per_channel.values()) <= cap
    if report.summarised:
        summaries = [
            m
            for m in fake_slack.all_messages()
            if m["metadata"]["event_payload"]["key"][:7] == "alert_s"
        ]
        assert summaries
        assert all("beyond your" in m["text"] for m in summaries)

    # A second run the same night raises nothing new.
    again = nightly_scoring(session_factory, program_db, NOW + timedelta(hours=1))
    assert (again.alerts, again.summarised) == (0, 0)

    # Answer three alerts with the buttons, as a manager, through the app's HTTP door.
    fake_slack.add_user(MANAGER, HOME_TEAM)
    answered = list(zip((DISMISS, SNOOZE, ACKNOWLEDGE), posted[:3], strict=False))
    url = engine.url.render_as_string(hide_password=False)
    with running_app(fake_slack, url, session_factory) as app:
        # Someone who is not staff (a forwarded message) is refused, and nothing is recorded:
        # the manager's answer to the same alert below still changes it.
        fake_slack.add_user(NEWCOMER, HOME_TEAM)
        (actions,) = [b for b in posted[0]["blocks"] if b["type"] == "actions"]
        (button,) = [e for e in actions["elements"] if e["action_id"] == ACKNOWLEDGE]
        refused = fake_slack.response_url()
        by_newcomer = {"user_id": NEWCOMER, "team_id": HOME_TEAM, "response_url": refused}
        app.interact(click(posted[0], actions, button, **by_newcomer))
        refusal = fake_slack.wait_for_response(refused).body["text"]
        assert refusal == "Only partner managers and leadership can answer alerts."
        assert fake_slack.calls("chat.update") == []
        for action_id, message in answered:
            (actions,) = [b for b in message["blocks"] if b["type"] == "actions"]
            (button,) = [e for e in actions["elements"] if e["action_id"] == action_id]
            http = app.interact(
                click(
                    message,
                    actions,
                    button,
                    user_id=MANAGER,
                    team_id=HOME_TEAM,
                    response_url=fake_slack.response_url(),
                )
            )
            assert http.status == 200
            (update,) = fake_slack.wait_for(
                lambda r, ts=message["ts"]: r.name == "chat.update" and r.body.get("ts") == ts
            )
            blocks = update.body["blocks"]
            assert all(b["type"] != "actions" for b in blocks)
            assert f"<@{MANAGER}>" in blocks[-1]["elements"][0]["text"]

    expected = {
        DISMISS: AlertState.DISMISSED,
        SNOOZE: AlertState.SNOOZED,
        ACKNOWLEDGE: AlertState.ACKNOWLEDGED,
    }
    with session_factory() as session:
        for action_id, message in answered:
            (actions,) = [b for b in message["blocks"] if b["type"] == "actions"]
            alert = session.get(PartnerAlert, int(actions["elements"][0]["value"]))
            assert alert is not None
            assert alert.state == expected[action_id]
            assert alert.state_by == MANAGER
            if alert.state == AlertState.SNOOZED:
                clicked_on = datetime.now(UTC).date()  # the app answers on the real clock
                assert alert.snoozed_until == clicked_on + timedelta(days=30)
        dismissed = [
            session.get(PartnerAlert, int(next(b for b in m["blocks"] if b["type"] == "actions")[
                "elements"][0]["value"]))
            for a, m in answered if a == DISMISS
        ]  # fmt: skip

    # After the cool-down, the dismissed condition stays silent for that partner.
    later = NOW + timedelta(days=program_db.alerts.cooldown_days + 1)
    nightly_scoring(session_factory, program_db, later)
    with session_factory() as session:
        for alert in dismissed:
            assert alert is not None
            raised = session.scalar(
                select(func.count()).where(
                    PartnerAlert.partner_id == alert.partner_id,
                    PartnerAlert.condition == alert.condition,
                )
            )
            assert raised == 1


@pytest.mark.slow
def test_every_alert_and_digest_reaches_slack_exactly_once_through_a_flaky_slack(
    program_db: Program,
    session_factory: sessionmaker[Session],
    fake_slack: FakeSlack,
    client: WebClient,
) -> None:
    """What a night and a quarter's first morning queue — alerts with their summary, the
    registration reminders, the leadership digest, every partner's QBR with its chart, the
    tier review — delivered while Slack answers 30 % of calls with 429 or 500."""
    nightly_scoring(session_factory, program_db, NOW)
    morning = datetime(2026, 11, 2, 9, tzinfo=UTC)
    daily_registrations(session_factory, program_db, morning)
    weekly_digest_job(session_factory, program_db, morning)
    qbr_digest_job(session_factory, program_db, morning)
    tier_review(session_factory, program_db, morning)
    queued = outbox(session_factory)
    kinds = Counter(m.kind for m in queued.values())
    assert {"alert", "weekly_digest", "qbr_digest"} <= set(kinds), kinds
    assert kinds["qbr_digest"] > 20

    fake_slack.flaky(0.3, seed=11)
    report = deliver_all(session_factory, client, timeout=120, **FAST)

    assert sorted(posted_keys(fake_slack)) == sorted(queued)  # each exactly once
    assert report.failed == 0
    statuses = Counter(r.status for r in fake_slack.requests)
    assert statuses[429] > 5, statuses
    assert statuses[500] > 5, statuses
    assert all(m.status is OutboxStatus.SENT for m in outbox(session_factory).values())
    for message in fake_slack.all_messages():
        images = [b["slack_file"]["id"] for b in message["blocks"] if b["type"] == "image"]
        assert set(images) <= set(fake_slack.uploaded_files())  # no placeholder left
