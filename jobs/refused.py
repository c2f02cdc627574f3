"""Messages Slack refused for good: what to do about each (``partnerbot doctor`` lists them)
and queueing them again once their cause is fixed (``partnerbot outbox retry``). Kept apart
from delivery so that those commands need no Slack client."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import OutboxMessage, OutboxStatus

FIXES = {
    "not_in_channel": "invite the bot: /invite @partnerbot in {channel}",
    "channel_not_found": "{channel} does not exist or the bot cannot see it: correct the id in "
    "program.toml or the partners file",
    "is_archived": "{channel} is archived: unarchive it or name another channel",
    "invalid_auth": "check SLACK_BOT_TOKEN",
    "not_authed": "check SLACK_BOT_TOKEN",
    "token_revoked": "the app was uninstalled: reinstall it and set the new SLACK_BOT_TOKEN",
    "account_inactive": "the token's user or app is deactivated: reinstall the app and set the "
    "new SLACK_BOT_TOKEN",
    "missing_scope": "reinstall the app with the scopes of manifest.yml",
}


@dataclass(frozen=True)
class Undelivered:
    """A message Slack refused for good, with what to do about it."""

    key: str
    kind: str
    channel: str
    error: str
    created_at: datetime

    @property
    def fix(self) -> str:
        advice = FIXES.get(self.error, "see Slack's documentation of this error")
        return advice.format(channel=self.channel)


def undelivered(session: Session, limit: int = 20) -> tuple[list[Undelivered], int]:
    """Up to ``limit`` failed messages, newest first, and how many there are in all."""
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.FAILED)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    ).all()
    total = session.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.FAILED))
    found = [
        Undelivered(row.key, row.kind, row.channel, row.last_error or "unknown", row.created_at)
        for row in rows
    ]
    return found, total or 0


def retry_failed(session: Session, key: str | None = None) -> int:
    """Queue failed messages (or the one with ``key``) again, once their cause is fixed; the
    caller commits. Returns how many."""
    where = [OutboxMessage.status == OutboxStatus.FAILED]
    if key is not None:
        where.append(OutboxMessage.key == key)
    result = session.execute(
        update(OutboxMessage)
        .where(*where)
        .values(status=OutboxStatus.PENDING, not_before=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount  # type: ignore[attr-defined,no-any-return]
