"""Each request from Slack takes effect once: a replayed request (the same signed body sent
again within the signature's five minutes) and a Slack retry (the same body, re-signed, with
``X-Slack-Retry-Num``) are acknowledged with an empty 200 and do nothing else.

A request is known by the SHA-256 of its body: Slack puts a fresh ``trigger_id`` (or
``event_id``) in every request it sends, so two bodies alike are one request sent twice. The
memory is the database's ``request_counts`` table, shared by every web process, keyed
``replay:<digest>`` with the request's signed timestamp as its window: an exact replay collides
on that row, a retry (newer timestamp) finds the first row by its key. Rows are pruned with the
rate limits' (``bot.rate_limits.KEEP``), well after the signature window has closed.

So a request runs at most once: one whose first delivery was recorded and then failed is not run
on Slack's retry either (the guard records it before any listener runs, and Slack retries only
what was not acknowledged within 3 seconds, so the first record is committed by then).

Options requests (``block_suggestion``) only read, and Slack sends the same body whenever
someone types the same letters again, so they are never counted. Socket Mode has no signed
bodies; its envelopes are acknowledged by the SDK and are not checked here."""

import hashlib
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime

from slack_bolt import BoltRequest, BoltResponse
from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.rate_limits import KEEP
from models import RequestCount
from models.db import is_unreachable

logger = logging.getLogger(__name__)

PREFIX = "replay:"


def request_key(raw_body: str) -> str:
    """The ``request_counts`` key of a request: its body's digest."""
    return PREFIX + hashlib.sha256(raw_body.encode("utf-8")).hexdigest()


def seen_before(session: Session, key: str, signed_at: datetime) -> bool:
    """Record the request ``key`` signed at ``signed_at``, in one statement; True if it was
    recorded before (under this timestamp: a replay; under another: a retry). The row's hits
    count every sighting: a new timestamp starts at one more than the rows already there. The
    caller commits."""
    postgres = session.get_bind().dialect.name == "postgresql"
    earlier = select(func.count()).where(RequestCount.key == key).scalar_subquery()
    statement = (postgresql.insert if postgres else sqlite.insert)(RequestCount)
    statement = statement.values(key=key, window=signed_at, hits=1 + earlier)
    statement = statement.on_conflict_do_update(
        index_elements=["key", "window"], set_={"hits": RequestCount.hits + 1}
    ).returning(RequestCount.hits)
    hits = session.execute(statement).scalar_one()
    if random.random() < 0.01:
        session.execute(delete(RequestCount).where(RequestCount.window < signed_at - KEEP))
    return hits > 1


def _signed_at(req: BoltRequest) -> datetime | None:
    """The request's signed timestamp (checked by then to be within five minutes of now)."""
    stamp = req.headers.get("x-slack-request-timestamp", [""])[0]
    try:
        return datetime.fromtimestamp(int(stamp), UTC) if stamp.isascii() else None
    except (ValueError, OverflowError, OSError):
        return None


def replay_guard(session_factory: sessionmaker[Session]) -> Callable[..., BoltResponse]:
    """A global Bolt middleware answering a request seen before with an empty 200. It runs
    after Bolt's signature check, on the request's thread, in a unit of work of its own
    committed at once. When the database cannot be reached the request goes on: its work will
    meet the same database."""

    def guard(req: BoltRequest, resp: BoltResponse, next: Callable[[], None]) -> BoltResponse:
        signed_at = _signed_at(req)
        if signed_at is None or req.body.get("type") == "block_suggestion":
            next()
            return resp
        key = request_key(req.raw_body)
        try:
            with session_factory.begin() as session:
                replayed = seen_before(session, key, signed_at)
        except SQLAlchemyError as error:
            if not is_unreachable(error):  # an outage: the listener's answer says so, once
                logger.warning("replay check failed, request let through: %s", error)
            replayed = False
        if replayed:
            retry = req.headers.get("x-slack-retry-num", [""])[0]
            logger.info("request seen before (Slack's retry number: %s): not run", retry or "none")
            return BoltResponse(status=200, body="")
        next()
        return resp

    return guard
