"""The outbox of Slack messages and the record of scheduled job runs: what makes delivery
survive crashes, retries and a second run of the same job."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column
from models.enums import OutboxStatus


class OutboxMessage(Base):
    """One Slack message to deliver exactly once, or an update of one (``update_of`` or
    ``update_ts`` set). ``key`` is the caller's idempotency key
    (``registration:R-000042:reminder:14:channel``): queueing the same key again is a no-op."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index(None, "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    """What it is (``registration_reminder``, ``weekly_digest``…), for reports and doctor."""
    channel: Mapped[str] = mapped_column(String(32))
    """Where it goes: a channel id, or a user id for a direct message."""
    text: Mapped[str] = mapped_column(Text)
    """The notification and screen-reader fallback."""
    blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    update_of: Mapped[str | None] = mapped_column(String(200))
    """For an update (``chat.update``): the key of the outbox message it replaces, sent once
    that one is posted, in the conversation and at the ts it was posted at."""
    update_ts: Mapped[str | None] = mapped_column(String(32))
    """For an update of a message posted otherwise (the clicked card): its ts in ``channel``."""
    chart: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """A chart to draw and upload at delivery (``messages.blocks.Chart``), shown where
    ``blocks`` hold its placeholder."""
    chart_file_id: Mapped[str | None] = mapped_column(String(32))
    """The uploaded chart's Slack file id, kept so a retried post does not upload it again;
    empty when it could not be drawn or Slack refused it for good (posted without it)."""
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "outbox_status"), server_default=OutboxStatus.PENDING.value
    )
    attempts: Mapped[int] = mapped_column(server_default="0")
    not_before: Mapped[datetime] = mapped_column(server_default=func.now())
    """Earliest next attempt: a rate limit's Retry-After or the back-off after an error."""
    lease_until: Mapped[datetime | None]
    """A sender's claim on the message; another sender may take it once this has passed."""
    attempt_started_at: Mapped[datetime | None]
    """Set just before posting and cleared once the outcome is known: when set, an earlier
    post may have reached Slack, so the next sender looks for it before posting again."""
    last_error: Mapped[str | None] = mapped_column(Text)
    posted_channel: Mapped[str | None] = mapped_column(String(32))
    """The conversation actually posted to (the ``D…`` id of a direct message)."""
    ts: Mapped[str | None] = mapped_column(String(32))
    """Slack's timestamp of the delivered message (of the updated one, for an update)."""
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    sent_at: Mapped[datetime | None]


class JobRun(Base):
    """One run of a scheduled job for one period (``daily_registrations`` / ``2026-11-23``):
    a period already finished is not run again, however often the job fires."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(32))
    worker: Mapped[str] = mapped_column(String(128))
    """``host:pid`` of the process that ran it."""
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]
