"""Logging for the long-running processes: one line per event, as text or JSON
(``PARTNERBOT_LOG_FORMAT=json``, for log shippers), each carrying the id of the Slack request
it belongs to, and never a token or the signing secret.

The request id lives in a context variable set when a request arrives; listener threads get it
because the app's executor runs each task in a copy of the submitting thread's context
(:class:`ContextExecutor`).

Redaction covers the whole record, not only its message: an exception's text can carry what a
user typed (SQLAlchemy's ``[parameters: …]``, a driver's error quoting a value), so a pasted
token reached the log through a traceback. Exceptions nothing caught are logged too, so that
their tracebacks are redacted and, in JSON mode, JSON.
"""

import contextvars
import json
import logging
import re
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

_SECRETS = re.compile(r"\b(?:xox[abposr]|xapp)-[A-Za-z0-9-]+")


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks run in the submitter's context (its request id)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)


class RequestContext(logging.Filter):
    """Adds ``request_id`` to every record and blanks out tokens and known secrets."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def redact(self, text: str) -> str:
        text = _SECRETS.sub("[redacted]", text)
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:  # formatters use exc_text when set
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_TRACEBACKS = logging.Formatter()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["error"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure_logging(log_format: str, secrets: tuple[str, ...] = ()) -> None:
    """Log INFO and above to stderr in ``log_format`` ("text" or "json")."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestContext(secrets))
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


def _log_uncaught(kind: type[BaseException], error: BaseException, traceback: Any) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, traceback)
        return
    logging.getLogger("partnerbot").critical("uncaught error", exc_info=(kind, error, traceback))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread else "?"
    exc_info = (args.exc_type, args.exc_value, args.exc_traceback)
    logging.getLogger("partnerbot").error("uncaught error in thread %s", name, exc_info=exc_info)
