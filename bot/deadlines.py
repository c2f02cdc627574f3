"""Callbacks run after a delay, for acknowledging a slash command whose answer is not ready in
time (``bot.commands._listeners.answer_command``)."""

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Deadlines:
    """Calls each callback once its delay has passed, all on one daemon thread (started on
    first use, so after a fork): a ``threading.Timer`` per command would start a thread each."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._changed = threading.Condition()
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def call_later(self, seconds: float, callback: Callable[[], None]) -> None:
        entry = (time.monotonic() + seconds, next(self._order), callback)
        with self._changed:
            heapq.heappush(self._due, entry)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="deadlines", daemon=True)
                self._thread.start()
            if self._due[0] is entry:  # due before everything else: the thread must wake sooner
                self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._changed.wait(self._due[0][0] - time.monotonic() if self._due else None)
                callback = heapq.heappop(self._due)[2]
            try:
                callback()
            except Exception:
                logger.exception("deadline callback failed")
