"""Validation of request fields and setting lists: errors name the field (and index) at fault.

One parser per kind of identifier, used by every trigger path and by the settings lists. Each
accepts a whole string only: ``re.fullmatch`` (``$`` would also match before a final newline),
no control characters, no surrounding spaces.
"""

from __future__ import annotations

import re
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Sequence

from shared.errors import InvalidRequest, PayloadTooLarge

# Ids go into URLs and bodies: no separators, spaces, control or URL characters.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
MAX_ITEMS = 10_000
MAX_NAME = 256


def reject_unknown(payload: Dict[str, Any], allowed: Iterable[str], where: str = "") -> None:
    allowed_set = set(allowed)
    unknown = sorted(str(key) for key in payload if key not in allowed_set)
    if unknown:
        prefix = f"{where}." if where else ""
        raise InvalidRequest(f"{where or 'the request'} has unknown field(s) {shown(unknown)}; accepted: "
                             f"{', '.join(sorted(allowed_set))}", field=prefix + shown(unknown[:1]))


def shown(names: Sequence[str], most: int = 5, width: int = 40) -> str:
    """User-supplied names for an error message: a few, each cut short, control characters escaped."""
    cut = [name if len(name) <= width else name[:width] + "…" for name in names[:most]]
    text = ", ".join(cut) + (f" and {len(names) - most} more" if len(names) > most else "")
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text


def identifier(value: Any, field: str) -> str:
    """An id (user, policy, group): ASCII letters, digits, ``-``, ``_`` and ``.``; the whole string."""
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"{field} must be a non-empty string", field=field)
    if not ID_PATTERN.fullmatch(value):
        raise InvalidRequest(f"{field} is not a valid id: use letters, digits, '-', '_' and '.' "
                             f"(at most 128, no spaces or control characters)", field=field)
    return value


def name(value: Any, field: str) -> str:
    """A name (Workspace account, user group, domain): printable text without surrounding spaces."""
    if not isinstance(value, str) or not value or value != value.strip() or len(value) > MAX_NAME or \
            not value.isprintable():
        raise InvalidRequest(f"{field} must be non-empty text (at most {MAX_NAME} characters) without control "
                             "characters or surrounding spaces", field=field)
    return value


def folded(values: Iterable[str]) -> FrozenSet[str]:
    """The one normalisation for case-insensitive lists: Unicode case folding (``ß`` = ``ss``), not lower()."""
    return frozenset(value.casefold() for value in values)


def string_list(payload: Dict[str, Any], key: str, allow_empty: bool = False) -> Optional[List[Any]]:
    """The list under ``key`` (None when absent); bounded so a huge list fails fast."""
    if key not in payload:
        return None
    value = payload[key]
    if not isinstance(value, list):
        raise InvalidRequest(f"{key} must be a list", field=key)
    if not value and not allow_empty:
        raise InvalidRequest(f"{key} must not be empty", field=key)
    if len(value) > MAX_ITEMS:
        raise PayloadTooLarge(f"{key} holds {len(value)} items; at most {MAX_ITEMS} per request",
                              field=key)
    return value


def identifiers(payload: Dict[str, Any], key: str) -> Optional[List[str]]:
    """Unique ids in first-seen order."""
    values = string_list(payload, key)
    if values is None:
        return None
    return list(dict.fromkeys(identifier(value, f"{key}[{index}]") for index, value in enumerate(values)))


def optional_bool(payload: Dict[str, Any], key: str) -> Optional[bool]:
    value = payload.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise InvalidRequest(f"{key} must be true or false", field=key)
