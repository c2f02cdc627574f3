"""Running database work from several threads at the same instant, for the PostgreSQL tests of
first-come-first-served registration and of simultaneous decisions."""

import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session

from models.db import make_session_factory

T = TypeVar("T")


def run_together(
    engine: Engine,
    calls: list[Callable[[Session], T]],
    *,
    meet: str | None = None,
) -> list[T | BaseException]:
    """Run each call from its own thread and session, released at the same instant. With
    ``meet`` ("before" or "after"), every thread also waits for the others around its first
    UPDATE of a registration: "before" means all have read and checked, "after" means all hold
    the row they changed first. A thread that never gets there (blocked on a lock the fixed
    code takes earlier) only delays the others by a few seconds."""
    pool = create_engine(engine.url, pool_size=len(calls), max_overflow=0)
    factory = make_session_factory(pool)
    start = threading.Barrier(len(calls))
    rendezvous = threading.Barrier(len(calls))
    waited: set[int] = set()
    outcomes: list[T | BaseException] = [RuntimeError("not run")] * len(calls)

    def pause(statement: str) -> None:
        if not statement.lstrip().upper().startswith("UPDATE DEAL_REGISTRATIONS"):
            return
        if threading.get_ident() in waited:
            return
        waited.add(threading.get_ident())
        with contextlib.suppress(threading.BrokenBarrierError):
            rendezvous.wait(timeout=3)

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if meet == "before":
            pause(statement)

    def after(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if meet == "after":
            pause(statement)

    event.listen(pool, "before_cursor_execute", before)
    event.listen(pool, "after_cursor_execute", after)

    def work(index: int) -> None:
        try:
            with factory.begin() as session:  # the caller's unit of work, as in the app
                session.connection()  # connected before the start line
                start.wait(timeout=30)
                outcomes[index] = calls[index](session)
        except BaseException as error:
            outcomes[index] = error

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    pool.dispose()
    return outcomes
