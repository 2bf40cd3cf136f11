"""Structured logs: one JSON object per line on stdout, which FunctionGraph ships to LTS."""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from typing import Any, Iterator, MutableMapping

from shared import redaction
from shared.deferred_imports import deferred_imports


@contextlib.contextmanager
def _asyncio_task_names_off() -> Iterator[None]:
    """From 3.12 each LogRecord asks a loaded asyncio for the current task, and structlog makes one while it is
    imported: that would load the real asyncio through its stand-in."""
    if sys.version_info < (3, 12):
        yield
        return
    saved, logging.logAsyncioTasks = logging.logAsyncioTasks, False
    try:
        yield
    finally:
        logging.logAsyncioTasks = saved


# asyncio is used only by structlog's async methods, which these functions never call.
with _asyncio_task_names_off(), deferred_imports("asyncio"):
    import structlog

_configured_level: str = ""


_LEADING = ("timestamp", "level", "event")


def _redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    ordered = {key: event_dict[key] for key in _LEADING if key in event_dict}
    ordered.update((key, value) for key, value in event_dict.items() if key not in ordered)
    return redaction.scrub(ordered)


class _Stdout:
    """Writes each rendered line to sys.stdout as it is at that moment (tests and local invoke replace it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # concurrent invocations of one instance must not interleave lines

    def msg(self, message: str) -> None:
        with self._lock:
            print(message, file=sys.stdout, flush=True)

    debug = info = warning = error = critical = exception = msg


_STDOUT = _Stdout()
_logger: Any = None


class _ForwardToJson(logging.Handler):
    """Library log records nobody handles leave as JSON lines like ours.

    The SDK's loggers (``HuaweiCloud-SDK-<Client>``) have no handler and do not propagate, so their
    lines ("ConnectionException occurred. …") would reach stderr as plain text through
    ``logging.lastResort``; that attribute is documented as replaceable.
    """

    def emit(self, record: logging.LogRecord) -> None:
        if _logger is not None:
            _logger.log(record.levelno, "library.log", logger=record.name, message=record.getMessage())


_FORWARD_TO_JSON = _ForwardToJson(logging.WARNING)


_configure_lock = threading.Lock()  # concurrent first invocations configure once, never half-way


def configure(level: str) -> None:
    logging.lastResort = _FORWARD_TO_JSON  # on every invocation (one assignment): nothing can undo it for long
    if level == _configured_level:
        return
    with _configure_lock:
        if level != _configured_level:
            _configure(level)


def _configure(level: str) -> None:
    global _configured_level, _logger
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _redact,
            structlog.processors.JSONRenderer(sort_keys=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=lambda *_: _STDOUT,
        cache_logger_on_first_use=True,  # a warm invocation reuses the bound logger; configure() makes a new one
    )
    _logger = structlog.get_logger("fgrevoke")
    _configured_level = level


def bind_invocation(**fields: Any) -> None:
    """Start a fresh per-invocation context: nothing of the previous warm invocation stays."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(**fields)


def bind(**fields: Any) -> None:
    structlog.contextvars.bind_contextvars(**fields)


def bound(name: str) -> Any:
    """A field bound to this invocation's log lines (e.g. its correlation_id), or None."""
    return structlog.contextvars.get_contextvars().get(name)


def logger() -> Any:
    return _logger
