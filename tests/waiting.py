"""Waiting in tests for something to happen: poll a condition until it holds, failing the test
after a deadline. Not for showing that something did *not* happen: wait instead for the
positive sign that it is over (a process stopped, an executor drained) and then look."""

import time
from collections.abc import Callable


def wait_until(
    condition: Callable[[], bool], what: str, *, timeout: float = 60, interval: float = 0.1
) -> float:
    """Seconds until ``condition()`` held (checked every ``interval``); an AssertionError
    naming ``what`` after ``timeout``. A generous timeout costs nothing when all is well and
    keeps a loaded machine from failing the test."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(interval)
    return time.monotonic() - started
