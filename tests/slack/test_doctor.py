"""``partnerbot doctor`` as an operator runs it: against a real database and the fake Slack, it
says what is fine and what to fix, and exits 1 while anything is wrong."""

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from models import Partner
from tests.cli import doctor
from tests.slack.fake_slack import FakeSlack


def test_doctor_names_each_problem_and_passes_once_fixed(
    engine: Engine, fake_slack: FakeSlack, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with session_factory.begin() as session:
        session.add(
            Partner(
                external_id="P1",
                name="Acme Resellers",
                tier="gold",
                region="EMEA",
                slack_channel_id="C0SHAREDACME",
            )
        )
    url = engine.url.render_as_string(hide_password=False)
    # The example program names a deal desk, a strategic desk, alerts and a digest channel.
    fake_slack.channels = {
        "C0DEALDESK": True,
        "C0STRATEGIC": True,
        "C0PARTNERALERTS": True,
        "C0LEADERSHIP": True,
        "C0SHAREDACME": False,
    }
    sick = doctor(fake_slack, url, tmp_path)
    assert sick.returncode == 1, sick.stderr
    assert "migrations are current" in sick.stdout
    assert "token of partnerbot in team Home" in sick.stdout
    assert "Acme Resellers's shared channel: the bot is not a member" in sick.stdout
    assert "/invite the bot to C0SHAREDACME" in sick.stdout
    assert "1 problem(s)." in sick.stdout

    fake_slack.channels["C0SHAREDACME"] = True
    healthy = doctor(fake_slack, url, tmp_path)
    assert healthy.returncode == 0, healthy.stdout
    assert "Ready to serve." in healthy.stdout


def test_doctor_on_an_unreachable_database(fake_slack: FakeSlack, tmp_path: Path) -> None:
    done = doctor(fake_slack, "postgresql+psycopg://postgres@127.0.0.1:1/none", tmp_path)
    assert done.returncode == 1
    assert "check DATABASE_URL and that the server is up" in done.stdout
