"""Keeps keys and tokens out of logs and responses, whatever text they hide in."""

from __future__ import annotations

import functools
import re
import threading
from typing import Any, List, Optional

MASK = "***"
_SENSITIVE_KEY = re.compile(
    r"(authorization|secret|password|token|access[_-]?key|^ak$|^sk$|x-security-token)", re.IGNORECASE)
_SIGNATURE = re.compile(r"(SDK-HMAC-SHA256\s+)\S.*", re.IGNORECASE)
_lock = threading.Lock()
_secrets: List[str] = []


def register(*values: Optional[str]) -> None:
    """Remember secret values (keys of every credential set seen by this instance)."""
    with _lock:
        for value in values:
            if value and len(value) >= 4 and value not in _secrets:
                _secrets.append(value)
                _secrets.sort(key=len, reverse=True)  # mask a token before a key inside it


def scrub(value: Any) -> Any:
    """A copy of ``value`` with secrets masked in every string, and sensitive keys masked whole."""
    if isinstance(value, str):
        return _scrub_text(value)
    if isinstance(value, dict):
        return {key: MASK if isinstance(key, str) and _sensitive(key) and value[key]
                else scrub(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(item) for item in value]
    return value


@functools.lru_cache(maxsize=1024)
def _sensitive(key: str) -> bool:
    return bool(_SENSITIVE_KEY.search(key))


def _scrub_text(text: str) -> str:
    for secret in list(_secrets):
        if secret in text:
            text = text.replace(secret, MASK)
    if "HMAC" in text or "hmac" in text:
        text = _SIGNATURE.sub(r"\1" + MASK, text)
    return text
