"""Structured logs: one JSON object per line on stdout, which FunctionGraph ships to LTS."""

from __future__ import annotations

import logging
import sys
from typing import Any, MutableMapping

import structlog

from shared import redaction

_configured_level: str = ""


_LEADING = ("timestamp", "level", "event")


def _redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    ordered = {key: event_dict[key] for key in _LEADING if key in event_dict}
    ordered.update((key, value) for key, value in event_dict.items() if key not in ordered)
    return redaction.scrub(ordered)


def _stdout_logger(*_args: Any) -> structlog.PrintLogger:
    # Looked up per logger so a replaced sys.stdout (tests, local invoke) is honoured.
    return structlog.PrintLogger(sys.stdout)


def configure(level: str) -> None:
    global _configured_level
    if level == _configured_level:
        return
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
        logger_factory=_stdout_logger,
        cache_logger_on_first_use=False,
    )
    _configured_level = level


def bind_invocation(**fields: Any) -> None:
    """Start a fresh per-invocation context: nothing of the previous warm invocation stays."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(**fields)


def bind(**fields: Any) -> None:
    structlog.contextvars.bind_contextvars(**fields)


def logger() -> Any:
    return structlog.get_logger("fgrevoke")
