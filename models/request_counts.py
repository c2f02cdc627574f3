"""Request counts per user and minute, shared by every web process through the database, for
rate limits on expensive commands."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class RequestCount(Base):
    __tablename__ = "request_counts"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    """What is limited and for whom: ``"/scorecard:U0123"``."""
    window: Mapped[datetime] = mapped_column(primary_key=True)
    """The start of the minute counted."""
    hits: Mapped[int]
