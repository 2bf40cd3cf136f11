"""Keeps keys and tokens out of logs, responses and exception texts, whatever text they hide in.

A secret is masked whole, and so is any piece of it of ``PIECE`` characters or more: a message cut
short (error texts are truncated) must not carry the start of a token either.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
import threading
from typing import Any, Dict, FrozenSet, Iterator, List, Optional, Tuple

MASK = "***"
PIECE = 16
_SENSITIVE_KEY = re.compile(
    r"(authorization|secret|password|token|access[_-]?key|^ak$|^sk$|x-security-token)", re.IGNORECASE)
_SIGNATURE = re.compile(r"(SDK-HMAC-SHA256\s+)\S.*", re.IGNORECASE)
_lock = threading.Lock()
_secrets: List[str] = []
_pieces: FrozenSet[str] = frozenset()  # every PIECE-long window of every secret


def register(*values: Optional[str]) -> None:
    """Remember secret values (keys of every credential set seen by this instance)."""
    global _pieces
    with _lock:
        added = [value for value in values if value and len(value) >= 4 and value not in _secrets]
        if not added:
            return
        _secrets.extend(added)
        _secrets.sort(key=len, reverse=True)  # mask a token before a key inside it
        _pieces = _pieces | {value[start:start + PIECE] for value in added
                             for start in range(len(value) - PIECE + 1)}


# The secrets of one invocation only (member accounts' session keys): forgotten when it ends, so a warm
# instance does not keep every session it ever assumed.
_held: "contextvars.ContextVar[Optional[List[str]]]" = contextvars.ContextVar("fgrevoke_held_secrets", default=None)


@contextlib.contextmanager
def invocation_scoped() -> Iterator[None]:
    """Secrets registered with ``register_for_invocation`` inside the block (its threads included: they run in
    copies of this context) are forgotten when it ends, after the answer has been masked."""
    held: List[str] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        _forget(held)


def register_for_invocation(*values: Optional[str]) -> None:
    """Mask ``values`` until the current invocation ends (kept for good outside ``invocation_scoped``)."""
    held = _held.get()
    with _lock:
        new = [value for value in values if value and len(value) >= 4 and value not in _secrets]
    register(*new)
    if held is not None:
        held.extend(new)


def _forget(values: List[str]) -> None:
    global _pieces
    if not values:
        return
    with _lock:
        for value in values:
            if value in _secrets:
                _secrets.remove(value)
        _pieces = frozenset(value[start:start + PIECE] for value in _secrets
                            for start in range(len(value) - PIECE + 1))


def scrub(value: Any) -> Any:
    """A copy of ``value`` with secrets masked in every string, and sensitive keys masked whole."""
    # A report repeats its keys, names and request ids thousands of times: each distinct text is masked once,
    # each distinct key judged once.
    texts: Dict[str, str] = {}
    keys: Dict[str, Tuple[str, bool]] = {}  # a key -> (itself masked, whether its value is masked whole)

    def text(piece: str) -> str:
        if type(piece) is not str:  # a str subclass (an enum) keeps its own type
            return scrub_text(piece)
        done = texts.get(piece)
        if done is None:
            done = texts[piece] = scrub_text(piece)
        return done

    def copy(value: Any) -> Any:
        if isinstance(value, str):
            return text(value)
        if isinstance(value, dict):  # keys too: an echoed header can be a key
            copied = {}
            for key, item in value.items():
                if isinstance(key, str):
                    judged = keys.get(key) if type(key) is str else None
                    if judged is None:
                        judged = (text(key), _sensitive(key))
                        if type(key) is str:
                            keys[key] = judged
                    key, sensitive = judged
                    if sensitive and item:
                        copied[key] = MASK
                        continue
                if type(item) is str:  # the commonest value: its masked text without a call
                    done = texts.get(item)
                    copied[key] = done if done is not None else text(item)
                else:
                    copied[key] = copy(item)
            return copied
        if isinstance(value, (list, tuple)):
            return [copy(item) for item in value]
        return value

    return copy(value)


@functools.lru_cache(maxsize=1024)
def _sensitive(key: str) -> bool:
    return bool(_SENSITIVE_KEY.search(key))


def scrub_text(text: str) -> str:
    for secret in list(_secrets):
        if secret in text:
            text = text.replace(secret, MASK)
    pieces = _pieces
    if pieces and len(text) >= PIECE:
        text = _mask_pieces(text, pieces)
    if "HMAC" in text or "hmac" in text:
        text = _SIGNATURE.sub(r"\1" + MASK, text)
    return text


def _mask_pieces(text: str, pieces: FrozenSet[str]) -> str:
    """Mask every run of text covered by PIECE-long windows of a secret."""
    spans: List[List[int]] = []
    for start in range(len(text) - PIECE + 1):
        if text[start:start + PIECE] in pieces:
            if spans and start <= spans[-1][1]:
                spans[-1][1] = start + PIECE
            else:
                spans.append([start, start + PIECE])
    for start, end in reversed(spans):
        text = text[:start] + MASK + text[end:]
    return text
