"""Mention and link injection (issue 17): nothing a partner contact, a manager or a CSV export
typed reaches Slack as markup. Whatever the names hold (``<!here>``, ``<!channel>``, mentions,
links, entities), the bot's messages, modals, options and file titles show them escaped once,
and the only markup left is the bot's own mentions of its users and channels.

Every renderer is checked with hostile names in every field with :func:`messages.blocks.defang`
(the backstop in ``fit``) switched off, so a renderer that forgets to escape fails here even
though the backstop would save it in production; then the app is driven over signed HTTP as a
partner contact and a manager would, with partners and people imported from CSV under such
names, and everything the fake Slack received is searched."""

import csv
import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import example, given, settings
from slack_sdk import WebClient
from slack_sdk.models.views import View
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from ingest import import_file
from jobs.digests import qbr_digest_job, weekly_digest_job
from jobs.registrations import daily_registrations
from jobs.tier_review import tier_review
from messages import deal_modals
from messages.blocks import Message, esc, fit, section, when
from messages.delivery import Pacer, deliver_pending
from models import DealStatus, Partner
from tests.hostile_markup import ISSUE_NAMES, markup_names, strings, unescaped_markup
from tests.programs import EXAMPLE_PROGRAM as PROGRAM
from tests.seeding import add_deal
from tests.slack import deal_steps
from tests.slack.fake_slack import HOME_TEAM, FakeSlack
from tests.slack.payloads import block_suggestion, text_value
from tests.slack.renderings import CONTACT, DESK, MANAGER, renderings
from tests.slack.running_app import RunningApp

OWN_MENTIONS = (f"<@{MANAGER}>", f"<@{CONTACT}>", f"<#{DESK}>")
AMPERSAND = "Tom & Jerry <Ltd>"
ONCE = "Tom &amp; Jerry &lt;Ltd&gt;"


def shown(output: object) -> Iterator[str]:
    """The strings Slack is given of a rendering: each part ``fit`` makes of a message (text
    and blocks), a modal, options."""
    if isinstance(output, Message):
        for part in fit(output):
            yield part.text
            yield from strings([block.to_dict() for block in part.blocks])
    elif isinstance(output, list):
        for item in output:
            yield from shown(item)
    elif isinstance(output, View):
        yield from strings(output.to_dict())
    else:
        yield from strings(output)


def markup_in(name: str) -> dict[str, list[str]]:
    """What each renderer shows of ``name`` as markup, the backstop in ``fit`` switched off."""
    found: dict[str, list[str]] = {}
    with mock.patch("messages.blocks.defang", lambda text: text, create=True):
        for kind, output in renderings(name):
            for text in shown(output):
                if bad := unescaped_markup(text, OWN_MENTIONS):
                    found.setdefault(kind, []).extend(bad)
    return found


@settings(max_examples=50, deadline=None)
@given(name=markup_names)
@example(name=ISSUE_NAMES[0])
@example(name=ISSUE_NAMES[1])
def test_every_renderer_escapes_what_people_typed(name: str) -> None:
    assert markup_in(name) == {}


def test_a_name_with_an_ampersand_is_escaped_exactly_once() -> None:
    texts = [text for _, output in renderings(AMPERSAND) for text in shown(output)]
    assert sum(ONCE in text for text in texts) > 40
    assert not [t for t in texts if "&amp;amp;" in t or "&amp;lt;" in t or AMPERSAND in t]


def test_fit_defangs_markup_a_renderer_forgot_to_escape() -> None:
    """The backstop: a renderer that writes a name raw still cannot broadcast or link. It
    cannot tell a mention typed raw from the bot's own: that one only :func:`esc` stops."""
    raw = "<!channel> <https://evil.example|login> &amp; <@U9EVIL> <#C0DEALDESK>"
    defanged = "&lt;!channel> &lt;https://evil.example|login> &amp; <@U9EVIL> <#C0DEALDESK>"
    (part,) = fit(Message(raw, [section(raw)]))
    assert [part.text, part.blocks[0].to_dict()["text"]["text"]] == [defanged, defanged]


def test_a_typed_moment_stays_escaped_and_the_bots_own_shows() -> None:
    """Issue 19: ``fit`` leaves the bot's own moments (:func:`when`) for Slack to show in each
    reader's time zone; one typed in the same shape is escaped by ``esc`` before it gets there,
    and one written raw with a link in it is defanged."""
    own = when(datetime(2026, 6, 30, 9, 41))
    typed = "<!date^1700000000^{date_short_pretty} {time}|today>"
    linked = "<!date^1700000000^{date_short_pretty} {time}^https://evil.example|today>"
    (part,) = fit(Message("", [section(f"{own} {esc(typed)} {linked}")]))
    assert part.blocks[0].to_dict()["text"]["text"] == (
        "<!date^1782812460^{date_short_pretty} {time}|2026-06-30 09:41 UTC> "
        "&lt;!date^1700000000^{date_short_pretty} {time}|today&gt; "
        "&lt;!date^1700000000^{date_short_pretty} {time}^https://evil.example|today>"
    )


# --- through Slack's doors ------------------------------------------------------------------

RIVAL = "U0RIVALBOB"
A_TEAM, B_TEAM = "T0EVIL", "T0RIVAL"
A_CHANNEL, B_CHANNEL = "C0SHAREDEVIL", "C0SHAREDRIVAL"
A_NAME, B_NAME = "<!channel>", "AT&T <!here> <https://evil.example/login|Acme SSO login>"
HTTP_MENTIONS = (*OWN_MENTIONS, f"<@{RIVAL}>")
SHOWN = ("text", "blocks", "view", "files", "options", "errors")
"""What a request or an acknowledgement may show someone."""


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def import_hostile_program(engine: Engine, fake: FakeSlack, folder: Path) -> None:
    """Two NA partners (routed to the deal desk) and their people, imported from CSV under
    names that are markup, as a CRM export might hold them."""
    partners = [
        {
            "partner_id": "P-EVIL",
            "name": A_NAME,
            "tier": "gold",
            "region": "NA",
            "manager_slack_id": MANAGER,
            "slack_channel_id": A_CHANNEL,
            "slack_team_id": A_TEAM,
        },
        {
            "partner_id": "P-RIVAL",
            "name": B_NAME,
            "tier": "silver",
            "region": "NA",
            "manager_slack_id": MANAGER,
            "slack_channel_id": B_CHANNEL,
            "slack_team_id": B_TEAM,
        },
    ]
    people = [
        {
            "slack_user_id": MANAGER,
            "role": "manager",
            "partner_id": "",
            "name": "<!here> Boss",
            "region": "NA",
            "slack_team_id": "",
        },
        {
            "slack_user_id": CONTACT,
            "role": "partner",
            "partner_id": "P-EVIL",
            "name": "<@U9EVIL> Ann",
            "region": "",
            "slack_team_id": A_TEAM,
        },
        {
            "slack_user_id": RIVAL,
            "role": "partner",
            "partner_id": "P-RIVAL",
            "name": "Bob <#C9EVIL>",
            "region": "",
            "slack_team_id": B_TEAM,
        },
    ]
    import_file("partners", write_csv(folder / "partners.csv", partners), engine, PROGRAM)
    import_file("people", write_csv(folder / "people.csv", people), engine, PROGRAM)
    fake.add_user(MANAGER, HOME_TEAM)
    fake.add_user(CONTACT, A_TEAM)
    fake.add_user(RIVAL, B_TEAM)


def seed_history(session_factory: sessionmaker[Session]) -> None:
    """Won deals of hostile accounts for both partners, so both are scored and have wins to
    review, and one approved registration ending in three days: the reminders' day."""
    now = datetime.now(UTC)
    with session_factory.begin() as session:
        ids = dict(session.execute(select(Partner.external_id, Partner.id)).all())
        for key, partner in (("A", ids["P-EVIL"]), ("B", ids["P-RIVAL"])):
            for month in range(1, 7):
                registered = now - timedelta(days=30 * month + 20)
                closed = (registered + timedelta(days=15)).date().isoformat()
                add_deal(
                    session,
                    partner,
                    f"{key}-WON-{month}",
                    10_000 * month,
                    DealStatus.WON,
                    registered,
                    closed,
                    account=f"{B_NAME} {month}",
                    product=A_NAME,
                )
        expires = (PROGRAM.today() + timedelta(days=3)).isoformat()
        add_deal(
            session,
            ids["P-EVIL"],
            "A-ENDING",
            5_000,
            DealStatus.APPROVED,
            now - timedelta(days=80),
            expires=expires,
            account=B_NAME,
        )


class Doors:
    """The app's doors as partner contacts and the manager use them; keeps the answers given
    in acknowledgements, which the fake Slack does not see."""

    def __init__(self, app: RunningApp) -> None:
        self.app = app
        self.acks: list[dict[str, Any]] = []

    def slash(self, command: str, text: str, user: str, team: str = HOME_TEAM) -> str:
        http, url = self.app.slash(command, text, user_id=user, team_id=team)
        answer = self.app.answer(http, url, timeout=20)
        if http.body:
            self.acks.append(answer.body)
        return deal_steps.shown(answer)

    def submit(self, user: str, team: str, account: str, domain: str, notes: str) -> None:
        fields = deal_steps.registration_fields(
            account,
            domain,
            "5k",
            **{deal_modals.NOTES: text_value(notes), deal_modals.PRODUCT: text_value(notes[:60])},
        )
        http = deal_steps.submit_registration(self.app, user, team, fields)
        assert http.status == 200
        if http.body:
            self.acks.append(http.json())

    def options(self, typed: str) -> None:
        http = self.app.interact(
            block_suggestion(
                user_id=MANAGER, team_id=HOME_TEAM, action_id=deal_modals.PARTNER, value=typed
            )
        )
        self.acks.append(http.json())


def test_nothing_anyone_typed_or_imported_reaches_slack_as_markup(
    slack_app: RunningApp,
    fake_slack: FakeSlack,
    engine: Engine,
    session_factory: sessionmaker[Session],
    client: WebClient,
    tmp_path: Path,
) -> None:
    import_hostile_program(engine, fake_slack, tmp_path)
    seed_history(session_factory)
    doors = Doors(slack_app)
    slack_app.slash("/deal", "register", user_id=CONTACT, team_id=A_TEAM)  # names the partner
    fake_slack.wait_for(lambda r: r.name == "views.open")
    doors.slash("/scorecard", A_NAME, MANAGER)  # a card with its chart's file title
    doors.options("AT&T")
    examples = itertools.count()

    @settings(max_examples=6, deadline=None, database=None)
    @given(name=markup_names)
    @example(name=ISSUE_NAMES[0])
    @example(name=ISSUE_NAMES[1])
    def registrations_and_commands(name: str) -> None:
        n = next(examples)
        doors.submit(CONTACT, A_TEAM, name, f"x{n}.example", name)  # approval card
        doors.submit(RIVAL, B_TEAM, name, f"x{n}.example", name)  # conflict card
        inline = doors.slash("/deal", f"register {name} y{n}.example 3k", CONTACT, A_TEAM)
        doors.slash("/deal", f"status {name}", CONTACT, A_TEAM)
        doors.slash("/deal", name, CONTACT, A_TEAM)
        doors.slash("/deal", f"list {name}", MANAGER)
        doors.slash("/scorecard", name, MANAGER)
        doors.slash("/scorecard", f"top 10 {name}", MANAGER)
        if found := re.search(r"R-\d{6}", inline):
            doors.slash("/deal", f"reject {found.group()} {name}", MANAGER)

    registrations_and_commands()
    now = datetime.now(UTC)
    for job in (daily_registrations, qbr_digest_job, weekly_digest_job, tier_review):
        job(session_factory, PROGRAM, now)
    deliver_pending(session_factory, client, pacer=Pacer(0.0))
    slack_app.stop()  # every listener done: nothing more reaches the fake

    sent = [request.body for request in fake_slack.requests] + doors.acks
    checked = [body for body in sent if any(k in body for k in SHOWN)]
    unescaped = {
        token
        for body in sent
        for text in strings(body)
        for token in unescaped_markup(text, HTTP_MENTIONS)
    }
    names = {r.name for r in fake_slack.requests}
    doors_used = {"chat.postMessage", "chat.postEphemeral", "chat.update", "response_url"}
    assert doors_used | {"views.open", "files.completeUploadExternal"} <= names
    scheduled = {"C0LEADERSHIP", "D0NAMGR", A_CHANNEL, B_CHANNEL}  # digests, reviews, reminders
    assert scheduled <= {r.body.get("channel") for r in fake_slack.calls("chat.postMessage")}
    assert unescaped == set()
    texts = [text for body in sent for text in strings(body)]
    desk = {r.body.get("text") for r in fake_slack.calls("chat.postMessage")}
    assert "Channel conflict over &lt;!channel&gt; Holdings" in desk  # the issue's texts
    assert any(
        t
        and t.endswith(" &lt;!here&gt; &lt;https://evil.example/login|Acme SSO login&gt;")
        and t.startswith("Registration to approve: R-")
        for t in desk
    )
    assert any("AT&amp;T &lt;!here&gt;" in t for t in texts)  # escaped once, never twice
    assert not any("AT&amp;amp;T" in t for t in texts)
    print(f"{len(checked)} messages checked, {len(unescaped)} unescaped")
