"""The registry of partner-visible message kinds: every renderer whose output a partner's
contact can receive — ``/deal`` and ``/scorecard`` answers, their buttons' answers and modals,
the notices in a partner's shared channel, registration reminders, the QBR.

A renderer joins by its decorator, :func:`partner_visible`, and its output is reported to whoever
watches (:func:`watching`): ``tests/slack/test_partner_leaks.py`` drives partner A's contact
through every door and checks that each message A received came from a registered kind, and
that none holds another partner's strings. A new kind of message for partners that is not
registered fails that test."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

Watcher = Callable[[str, object], None]
"""Told each rendering: the kind, and what was rendered (a message, messages or a modal)."""

KINDS: dict[str, Callable[..., Any]] = {}
"""Every partner-visible kind, by name (``module.renderer``), with its renderer."""
_watchers: list[Watcher] = []


def partner_visible(render: Callable[P, R]) -> Callable[P, R]:
    """Register ``render`` as making messages a partner contact can receive."""
    kind = f"{render.__module__.rsplit('.', 1)[-1]}.{render.__name__}"

    @wraps(render)
    def rendered(*args: P.args, **kwargs: P.kwargs) -> R:
        output = render(*args, **kwargs)
        for watcher in list(_watchers):
            watcher(kind, output)
        return output

    KINDS[kind] = rendered
    return rendered


@contextmanager
def watching(watcher: Watcher) -> Iterator[None]:
    """Tell ``watcher`` of every partner-visible rendering until the block ends."""
    _watchers.append(watcher)
    try:
        yield
    finally:
        _watchers.remove(watcher)
