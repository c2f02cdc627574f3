"""``/scorecard`` through signed requests: the card answered ephemerally, the chart uploaded
privately and shown by file id, the leaderboard for staff, and partner isolation — a partner
contact asking about another partner gets a refusal and Slack sees nothing about that partner."""

import csv
import json
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from insights.digests import last_complete
from insights.scorecard_store import compute_and_store, write_scorecards_csv
from messages import scorecard_messages
from models import (
    Account,
    ActivityKind,
    DealRegistration,
    DealSource,
    DealStatus,
    Partner,
    PartnerActivity,
    PartnerScorecard,
    Person,
    PersonRole,
)
from tests.programs import EXAMPLE_PROGRAM
from tests.slack.fake_slack import HOME_TEAM, FakeSlack, Recorded
from tests.slack.payloads import block_actions
from tests.slack.running_app import RunningApp, running_app

MANAGER = "U0MANAGER"
ACME_TEAM = "T0ACME"
ACME_CONTACT = "U0ACMEANN"
NAMES = ["Acme Resellers", "Globex Systems", "Initech Partners", "Umbrella IT", "Hooli Cloud"]


def month_start(back: int) -> date:
    """The first day of the month ``back`` months before the current one."""
    today = datetime.now(UTC).date().replace(day=1)
    year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
    return date(year, month + 1, 1)


@pytest.fixture
def program(session_factory: sessionmaker[Session], fake_slack: FakeSlack) -> dict[str, int]:
    """Five gold EMEA partners with a year of won and lost deals (Acme the strongest, Globex
    the weakest) and a certification each; a manager, and a contact at Acme."""
    ids: dict[str, int] = {}
    with session_factory.begin() as session:
        for rank, name in enumerate(NAMES):
            partner = Partner(
                external_id=f"P-{rank}",
                name=name,
                tier="gold",
                region="EMEA",
                slack_team_id=ACME_TEAM if rank == 0 else f"T0P{rank}",
                quarterly_target=Decimal(100_000),
                signed_at=date(2023, 1, 1),
            )
            session.add(partner)
            session.flush()
            ids[name] = partner.id
            account = Account(
                account_key=f"n:customer {rank}",
                name=f"Customer {rank}",
                normalized_name=f"customer {rank}",
            )
            session.add(account)
            session.flush()
            for back in range(1, 13):
                closed = month_start(back) + timedelta(days=10)
                for n, status in enumerate([DealStatus.WON, DealStatus.LOST]):
                    session.add(
                        DealRegistration(
                            external_id=f"D-{rank}-{back}-{n}",
                            partner_id=partner.id,
                            account_id=account.id,
                            amount=Decimal(10_000 * (len(NAMES) - rank)),
                            currency="USD",
                            status=status,
                            source=DealSource.SOURCED,
                            registered_at=datetime.combine(
                                closed - timedelta(days=30 + 5 * rank), datetime.min.time(), UTC
                            ),
                            closed_at=closed,
                        )
                    )
            session.add(
                PartnerActivity(
                    partner_id=partner.id,
                    occurred_on=month_start(6),
                    kind=ActivityKind.CERTIFICATION,
                    value=Decimal(1),
                    detail=f"engineer {rank}",
                )
            )
        session.add_all(
            [
                Person(slack_user_id=MANAGER, role=PersonRole.MANAGER),
                Person(
                    slack_user_id=ACME_CONTACT, role=PersonRole.PARTNER, partner_id=ids[NAMES[0]]
                ),
            ]
        )
    fake_slack.add_user(MANAGER, HOME_TEAM)
    fake_slack.add_user(ACME_CONTACT, ACME_TEAM)
    return ids


def everything_sent(fake: FakeSlack) -> str:
    return "\n".join(r.raw.decode("utf-8", "replace") for r in fake.requests)


def ask(app: RunningApp, text: str, user: str = MANAGER, team: str = HOME_TEAM) -> Recorded:
    http, url = app.slash("/scorecard", text, user_id=user, team_id=team)
    assert http.status == 200
    return app.answer(http, url, timeout=20)


def blocks_of(answer: Recorded) -> list[dict[str, Any]]:
    blocks = answer.body["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def images_of(answer: Recorded) -> list[dict[str, Any]]:
    return [b for b in blocks_of(answer) if b["type"] == "image"]


def chart_update(fake: FakeSlack, response_url: str, *, timeout: float = 5.0) -> Recorded:
    """The card replaced through ``response_url`` once its chart is uploaded."""
    path = urlsplit(response_url).path
    found = fake.wait_for(
        lambda r: r.path == path and r.body.get("replace_original") is True, timeout=timeout
    )
    return found[0]


@pytest.mark.usefixtures("program")
def test_staff_get_the_card_with_an_uploaded_chart(
    slack_app: RunningApp, fake_slack: FakeSlack
) -> None:
    http, response_url = slack_app.slash("/scorecard", "acme", user_id=MANAGER)
    first = slack_app.answer(http, response_url)
    assert images_of(first) == []  # the card at once, its chart to follow
    assert "Drawing the 12-month chart" in json.dumps(blocks_of(first))
    answer = chart_update(fake_slack, response_url)
    assert answer.body["response_type"] == "ephemeral"
    text = json.dumps(ensure_ascii=False, obj=blocks_of(answer))
    assert "*Acme Resellers* · gold · EMEA" in text
    assert "Score *" in text
    assert "Sourced revenue" in text
    assert "Win rate (3 mo)" in text
    assert "50%" in text  # one won and one lost deal a month
    assert "compared with gold · EMEA (5 partners)" in text
    assert "Computed <!date^" in text  # in the reader's time zone (issue 19)

    names = [r.name for r in fake_slack.requests]
    assert names.index("files.getUploadURLExternal") < names.index("upload")
    assert names.index("upload") < names.index("files.completeUploadExternal")
    assert names.index("files.completeUploadExternal") < names.index("response_url")
    upload = fake_slack.calls("upload")[0]
    assert upload.raw.startswith(b"\x89PNG")
    completed = fake_slack.calls("files.completeUploadExternal")[0].body
    assert "channel_id" not in completed  # uploaded privately, shown only in the ephemeral card
    files = completed["files"]
    file_id = (json.loads(files) if isinstance(files, str) else files)[0]["id"]
    images = [b for b in blocks_of(answer) if b["type"] == "image"]
    assert images == [
        {
            "type": "image",
            "slack_file": {"id": file_id},
            "alt_text": images[0]["alt_text"],
            "title": images[0]["title"],
        }
    ]
    buttons = [e.get("action_id") for b in blocks_of(answer) for e in b.get("elements", [])]
    assert scorecard_messages.DEALS in buttons
    assert scorecard_messages.QBR in buttons

    fake_slack.clear()  # the chart is drawn and uploaded once per scorecard, then reused
    again = ask(slack_app, "Acme Resellers")
    assert [b for b in blocks_of(again) if b["type"] == "image"] == images
    # no upload, and the asker's team is remembered: at most the answer reaches Slack
    assert {r.name for r in fake_slack.requests} <= {"response_url"}


@pytest.mark.usefixtures("program")
def test_a_partner_contact_sees_only_their_own_scorecard(
    slack_app: RunningApp, fake_slack: FakeSlack
) -> None:
    _, response_url = slack_app.slash("/scorecard", "", user_id=ACME_CONTACT, team_id=ACME_TEAM)
    own = chart_update(fake_slack, response_url)
    assert "*Acme Resellers*" in json.dumps(ensure_ascii=False, obj=blocks_of(own))
    fake_slack.clear()

    refusals = []
    for text in ("Globex Systems", "P-1", "globex", "top", "top 3 EMEA"):
        refusals.append(ask(slack_app, text, user=ACME_CONTACT, team=ACME_TEAM))
        assert "your own partner's scorecard" in refusals[-1].body["text"]
    sent = "\n".join([everything_sent(fake_slack), *(r.raw.decode() for r in refusals)])
    for other in NAMES[1:]:
        assert other not in sent
    assert fake_slack.calls("upload") == []


@pytest.mark.usefixtures("program")
def test_leaderboard_and_forgiving_names(slack_app: RunningApp, fake_slack: FakeSlack) -> None:
    top = json.dumps(ensure_ascii=False, obj=blocks_of(ask(slack_app, "top 3 emea")))
    assert "1. *Acme Resellers*" in top  # the most revenue, the fastest wins
    assert top.count(" · gold · EMEA — ") == 3

    card = ask(slack_app, "UMBRELLA")
    assert "*Umbrella IT* · gold · EMEA" in json.dumps(ensure_ascii=False, obj=blocks_of(card))
    misspelt = ask(slack_app, "Umbrela")
    assert (
        "Which partner do you mean by `Umbrela`? Closest: *Umbrella IT*"
        in misspelt.body["blocks"][0]["text"]["text"]
    )
    unknown = ask(slack_app, "Zzyzx Unheard")
    assert "I know no partner called `Zzyzx Unheard`" in unknown.body["text"]


def press(app: RunningApp, fake: FakeSlack, action_id: str, partner_id: int | str) -> Recorded:
    """Acme's contact presses a card's button for ``partner_id``; the answer."""
    url = fake.response_url()
    app.interact(
        block_actions(
            user_id=ACME_CONTACT,
            team_id=ACME_TEAM,
            action_id=action_id,
            value=str(partner_id),
            channel_id="C0SHARED",
            message_ts="1.2",
            response_url=url,
        )
    )
    return fake.wait_for_response(url, timeout=20)


def test_card_buttons_show_deals_and_the_business_review(
    slack_app: RunningApp, fake_slack: FakeSlack, program: dict[str, int]
) -> None:
    acme = str(program[NAMES[0]])
    quarter = last_complete("quarter", datetime.now(UTC).date()).label
    for action, expected in (
        (scorecard_messages.DEALS, "Active registrations: none."),
        (scorecard_messages.QBR, f"Acme Resellers · {quarter} business review"),
    ):
        answer = press(slack_app, fake_slack, action, acme).body["text"]
        assert answer.split("\n")[0] == expected
    other = press(slack_app, fake_slack, scorecard_messages.QBR, program[NAMES[1]])
    assert "your own partner's scorecard" in other.body["text"]


@pytest.mark.usefixtures("program")
def test_scorecards_are_rate_limited_per_person(
    slack_app: RunningApp, fake_slack: FakeSlack
) -> None:
    answers = []
    while len(answers) < 41:  # 20 a minute (the default); a minute may turn meanwhile
        answers.append(ask(slack_app, "top 1").body["text"])
        if answers[-1].startswith("That is a lot of scorecards in a minute"):
            break
    assert 21 <= len(answers) <= 41
    assert all(text.startswith("Top 1") for text in answers[:-1])
    other = ask(slack_app, "", user=ACME_CONTACT, team=ACME_TEAM)
    assert "*Acme Resellers*" in json.dumps(ensure_ascii=False, obj=blocks_of(other))


@pytest.mark.usefixtures("program")
def test_a_card_comes_at_once_without_its_chart_when_the_chart_processes_are_full(
    engine: Engine, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with session_factory.begin() as session:  # scored already: only the card is timed
        compute_and_store(session, EXAMPLE_PROGRAM, EXAMPLE_PROGRAM.today())
    with running_app(
        fake_slack,
        url,
        session_factory,
        PARTNERBOT_CHART_PROCESSES=1,
        PARTNERBOT_CHART_BACKLOG=0,  # every chart process always full
    ) as app:
        answer = ask(app, "acme")
    assert answer.name == "ack"  # in the acknowledgement itself: nothing waited on a chart
    blocks = blocks_of(answer)
    assert "*Acme Resellers*" in json.dumps(ensure_ascii=False, obj=blocks)
    assert all(b["type"] != "image" for b in blocks)
    assert "ask again in a minute for this one" in blocks[-1]["elements"][0]["text"]
    assert not {"files.getUploadURLExternal", "upload"} & {r.name for r in fake_slack.requests}


@pytest.mark.usefixtures("program")
def test_the_first_card_after_a_start_comes_at_once_and_its_chart_once_soon_after(
    engine: Engine, fake_slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    """Issue 19: on a freshly started server (chart processes warmed at start), the card is
    shown within 3 s and its chart added within 5 s — drawn and uploaded once, though the
    asker, seeing no chart yet, asks again."""
    url = engine.url.render_as_string(hide_password=False)
    with session_factory.begin() as session:  # scored already: only the card is timed
        compute_and_store(session, EXAMPLE_PROGRAM, EXAMPLE_PROGRAM.today())
    with running_app(fake_slack, url, session_factory, PARTNERBOT_CHART_PROCESSES=1) as app:
        uploading = fake_slack.hold("files.completeUploadExternal")
        started = time.monotonic()
        http, response_url = app.slash("/scorecard", "acme", user_id=MANAGER)
        first = app.answer(http, response_url, timeout=3)
        assert time.monotonic() - started < 3
        assert "*Acme Resellers*" in json.dumps(blocks_of(first))
        assert images_of(first) == []
        http, again_url = app.slash("/scorecard", "acme", user_id=MANAGER)  # still uploading
        assert images_of(app.answer(http, again_url, timeout=3)) == []
        uploading.set()
        updated = chart_update(fake_slack, response_url, timeout=5)
        assert time.monotonic() - started < 5
        again = chart_update(fake_slack, again_url, timeout=5)
    assert images_of(updated) == images_of(again) != []
    assert len(fake_slack.calls("upload")) == 1


INTERNAL = ("Share of program revenue", "43%", "Return on investment", "4.2×", "silver", "⬇️")
"""On a card given internal figures: the share of program revenue, the return on the vendor's
investment, and a recommended downgrade (to silver) no manager has decided."""


def give_internal_figures(session_factory: sessionmaker[Session], partner_id: int) -> None:
    """Score the program for this month and for the last complete quarter, then give every card
    of the partner the figures only staff may read (``INTERNAL``)."""
    quarter = last_complete("quarter", EXAMPLE_PROGRAM.today())
    with session_factory.begin() as session:
        for as_of in (quarter.end + timedelta(days=1), EXAMPLE_PROGRAM.today()):
            compute_and_store(session, EXAMPLE_PROGRAM, as_of)
        for row in session.scalars(
            select(PartnerScorecard).where(PartnerScorecard.partner_id == partner_id)
        ):
            card = dict(row.card)
            card["metrics"] = {**card["metrics"], "revenue_share": 0.4321, "roi": 4.2}  # type: ignore[dict-item]
            card["highlights"] = [
                {
                    "text": "Share of program revenue up 9 points",
                    "metric": "revenue_share",
                    "direction": 1,
                }
            ]
            card["advice"] = {
                "current": "gold",
                "recommended": "silver",
                "change": "down",
                "needs_approval": True,
                "next_tier": "platinum",
                "gaps": ["20 more score points"],
                "keep_gaps": ["2 more certifications"],
            }
            row.card = card


def test_a_partner_contact_sees_the_partner_view_of_its_card_and_qbr(
    slack_app: RunningApp,
    fake_slack: FakeSlack,
    session_factory: sessionmaker[Session],
    program: dict[str, int],
) -> None:
    """The defaults of ``[partner_view]``: no program share, no ROI, no tier move nobody
    decided — but what the next tier needs; staff see everything."""
    acme = program[NAMES[0]]
    give_internal_figures(session_factory, acme)
    staff = json.dumps(blocks_of(ask(slack_app, "acme")), ensure_ascii=False)
    for figure in INTERNAL:
        assert figure in staff
    assert "To keep *gold*" in staff

    card = json.dumps(blocks_of(ask(slack_app, "", ACME_CONTACT, ACME_TEAM)), ensure_ascii=False)
    qbr = json.dumps(
        press(slack_app, fake_slack, scorecard_messages.QBR, acme).body, ensure_ascii=False
    )
    assert "*Tier:* gold" in card
    assert "To reach *platinum*: 20 more score points" in card
    assert "To reach platinum:* 20 more score points" in qbr
    for seen in (card, qbr):
        assert "Sourced revenue" in seen
        for figure in (*INTERNAL, "keep gold", "keep *gold*"):
            assert figure not in seen


def test_staff_see_the_rising_partners_and_partners_do_not(
    slack_app: RunningApp,
    program: dict[str, int],
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:  # Globex: eight more wins a month, half a year
        account_id = session.scalars(select(Account.id).order_by(Account.id)).first()
        for back in range(1, 7):
            for n in range(8):
                registered = month_start(back) + timedelta(days=2 + n)
                session.add(
                    DealRegistration(
                        external_id=f"R-{back}-{n}",
                        partner_id=program[NAMES[1]],
                        account_id=account_id,
                        amount=Decimal(20_000),
                        currency="USD",
                        status=DealStatus.WON,
                        source=DealSource.SOURCED,
                        registered_at=datetime.combine(registered, datetime.min.time(), UTC),
                        closed_at=registered + timedelta(days=10),
                    )
                )
    rising = json.dumps(ensure_ascii=False, obj=blocks_of(ask(slack_app, "rising")))
    assert f"*Rising partners · {month_start(1):%B %Y}*" in rising
    assert "*Globex Systems* · gold · EMEA" in rising
    assert "deal registrations a month in" in rising
    for name in NAMES[2:]:  # steady: not rising
        assert name not in rising

    refused = ask(slack_app, "rising", user=ACME_CONTACT, team=ACME_TEAM)
    assert "your own partner's scorecard" in refused.body["text"]
    assert "Globex" not in json.dumps(refused.body)


def test_a_small_partners_share_and_the_csv_figures_read_as_people_write_them(
    slack_app: RunningApp,
    fake_slack: FakeSlack,
    session_factory: sessionmaker[Session],
    program: dict[str, int],
    tmp_path: Path,
) -> None:
    """Issue 19: a share under half a percent shows as "<1%", not "0%"; ``score --out``'s
    scorecard CSV holds money to the cent and ratios to four places, not float noise."""
    acme = program[NAMES[0]]
    with session_factory.begin() as session:
        run = compute_and_store(session, EXAMPLE_PROGRAM, EXAMPLE_PROGRAM.today())
        row = session.scalars(
            select(PartnerScorecard).where(
                PartnerScorecard.partner_id == acme, PartnerScorecard.month == run.month
            )
        ).one()
        metrics = {"revenue_share": 0.0012, "sourced_revenue": 1798482.2899999998}
        row.card = {**row.card, "metrics": {**row.card["metrics"], **metrics}}  # type: ignore[dict-item]
        row.score = 61.123456789
    card = json.dumps(blocks_of(ask(slack_app, "acme")), ensure_ascii=False)
    assert "*Share of program revenue*\\n&lt;1%" in card

    out = tmp_path / "scorecards.csv"
    with session_factory() as session:
        write_scorecards_csv(session, run.month, out)
    with out.open(newline="", encoding="utf-8") as handle:
        (written,) = [r for r in csv.DictReader(handle) if r["name"] == NAMES[0]]
    assert written["sourced_revenue"] == "1798482.29"
    assert written["revenue_share"] == "0.0012"
    assert written["score"] == "61.12"
    assert all(len(v.partition(".")[2]) <= 4 for v in written.values() if v[:1].isdigit())
