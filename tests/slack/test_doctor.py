"""``partnerbot doctor`` as an operator runs it: against a real database and the fake Slack, it
says what is fine and what to fix, and exits 1 while anything is wrong."""

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from models import Partner
from models.db import make_engine, make_session_factory
from models.migrate import upgrade
from partnerbot.doctor import CHANNEL_CHECKS_AT_ONCE
from tests.cli import doctor
from tests.slack.fake_slack import FakeSlack

PROGRAM_CHANNELS = ("C0DEALDESK", "C0STRATEGIC", "C0PARTNERALERTS", "C0LEADERSHIP")
"""The channels the example program names: a deal desk, a strategic desk, alerts, a digest."""


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
    fake_slack.channels = dict.fromkeys(PROGRAM_CHANNELS, True) | {"C0SHAREDACME": False}
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


def test_doctor_lists_problems_first_counts_the_channels_that_pass_and_waits_out_a_429(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'doctor.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine).begin() as session:
        session.add_all(
            Partner(
                external_id=f"P{n}",
                name=f"Partner {n:02d}",
                tier="gold",
                region="EMEA",
                slack_channel_id=f"C0SHARED{n:02d}",
            )
            for n in range(30)
        )
    engine.dispose()
    fake_slack.channels = dict.fromkeys(PROGRAM_CHANNELS, True)
    fake_slack.channels |= {f"C0SHARED{n:02d}": n != 17 for n in range(30)}
    fake_slack.fail("conversations.info", status=429, retry_after=1)

    done = doctor(fake_slack, url, tmp_path)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    problem = next(i for i, line in enumerate(lines) if "Partner 17's shared channel" in line)
    counted = next(i for i, line in enumerate(lines) if "is a member of 33 channel(s)" in line)
    current = next(i for i, line in enumerate(lines) if "migrations are current" in line)
    assert problem < current < counted
    assert "Partner 03" not in done.stdout  # passing channels are counted, not listed
    assert "1 problem(s)." in done.stdout
    assert "checking 34 channel(s) with Slack" in done.stderr
    assert "checked 34 of 34 channel(s)" in done.stderr

    calls = fake_slack.calls("conversations.info")
    assert len(calls) == 35  # the channel answered 429 was asked again
    limited = next(c for c in calls if c.status == 429)
    soon = [c for c in calls if 0 < c.received_at - limited.received_at < 0.9]
    assert len(soon) < CHANNEL_CHECKS_AT_ONCE  # only calls already under way: all waited
