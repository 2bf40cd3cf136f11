"""Files the user names on the command line (events, seeds, templates, configs, env files), read so that any
problem is a one-line usage error naming the file — never a traceback, and never the file's content, which may
hold a key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, TypeVar

from fgrevoke.errors import UsageError

Parsed = TypeVar("Parsed")


def read_text(path: Path, option: str) -> str:
    """The file as UTF-8 text; ``option`` (e.g. ``--event``) names where the user gave it."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{option} {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise not_utf8(f"{option} {path}", error) from None


def not_utf8(what: str, error: UnicodeDecodeError) -> UsageError:
    return UsageError(f"{what} is not UTF-8 text (byte {error.start + 1} cannot be decoded); save it as UTF-8")


def parse(text: str, parser: Callable[[str], Parsed], what: str, kind: str, hint: str = "") -> Parsed:
    """``parser(text)``; a text it refuses or that nests too deep to read is a usage error about ``what``."""
    try:
        return parser(text)
    except RecursionError:
        raise UsageError(f"{what} nests {kind} too deep to read{hint}") from None
    except ValueError as error:  # json, tomllib and yaml's errors name a line and column, not the content
        raise UsageError(f"{what} is not {kind} ({_first_line(error)}){hint}") from None


def read_json(path: Path, option: str, hint: str = "") -> Any:
    return parse(read_text(path, option), json.loads, f"{option} {path}", "JSON", hint)


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
