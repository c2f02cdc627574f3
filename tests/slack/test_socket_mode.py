"""Socket Mode end to end: the app opens the connection with its app-level token (as
``partnerbot serve`` does when ``SLACK_APP_TOKEN`` is set), receives a slash command over the
WebSocket, acknowledges it there, and answers through ``response_url`` like in HTTP mode."""

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.app import SlackConfigError
from bot.socket_mode import socket_mode_handler
from config.settings import Settings
from models import Person, PersonRole
from tests.programs import EXAMPLE_PROGRAM
from tests.slack.fake_slack import APP_TOKEN, BOT_TOKEN, HOME_TEAM, FakeSlack
from tests.slack.fake_socket_mode import FakeSocketMode, slash_command_envelope

MANAGER = "U0MANAGER"


def test_a_slash_command_over_socket_mode(
    engine: Engine, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as session:
        session.add(Person(slack_user_id=MANAGER, role=PersonRole.MANAGER))
    fake_slack.add_user(MANAGER, HOME_TEAM)
    settings = Settings(
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,  # no signing secret: Socket Mode requests are not signed
        SLACK_API_URL=fake_slack.api_url,
        PARTNERBOT_CHART_PROCESSES=0,
        PARTNERBOT_REGISTRATION_INDEX=False,
    )
    with FakeSocketMode() as socket_mode:
        fake_slack.socket_url = socket_mode.url
        handler = socket_mode_handler(settings, EXAMPLE_PROGRAM, session_factory)
        handler.connect()
        try:
            socket_mode.wait_connected()
            opened = fake_slack.calls("apps.connections.open")
            assert opened[0].headers["authorization"] == f"Bearer {APP_TOKEN}"
            response_url = fake_slack.response_url()
            socket_mode.send(
                slash_command_envelope(
                    "env-1",
                    command="/deal",
                    text="help",
                    user_id=MANAGER,
                    team_id=HOME_TEAM,
                    channel_id="C0GENERAL",
                    response_url=response_url,
                    trigger_id="1.2.3",
                    api_app_id="A0PARTNERBOT",
                )
            )
            ack = socket_mode.wait_for_ack("env-1")
            assert ack["envelope_id"] == "env-1"
            # the answer comes in the acknowledgement, or when it took longer through response_url
            answer = ack.get("payload") or fake_slack.wait_for_response(response_url).body
            assert answer["text"] == "/deal usage"
            assert answer["response_type"] == "ephemeral"
        finally:
            handler.close()


def test_socket_mode_needs_an_app_level_token(fake_slack: FakeSlack) -> None:
    settings = Settings(
        SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN="xoxb-wrong", SLACK_API_URL=fake_slack.api_url
    )
    with pytest.raises(SlackConfigError, match="xapp-"):
        socket_mode_handler(settings, EXAMPLE_PROGRAM)
