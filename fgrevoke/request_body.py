"""The body of a request to one of the local HTTP servers (``fgrevoke serve``, the emulator), read by its
``Content-Length``. A length that is not one plain number, is given twice, is too large for a revocation request
or is not followed by that many bytes in time is the client's mistake: a 400 answer naming it, then the
connection closes (where the next request would start is unknown) — never a wait forever, nor a traceback."""

from __future__ import annotations

import re
import socket
from http.server import BaseHTTPRequestHandler

MAX_BYTES = 10 * 1024 * 1024  # far above any request the functions take (APIG itself caps bodies lower)
READ_SECONDS = 10.0  # for the announced bytes to arrive once the headers have
_DIGITS = re.compile(r"[0-9]{1,20}")


class BadBody(Exception):
    """Why the request's body cannot be read; the server answers 400 with ``message``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def content_length(http: BaseHTTPRequestHandler) -> int:
    """The request's ``Content-Length`` (0 without one)."""
    values = http.headers.get_all("Content-Length") or []
    if http.headers.get("Transfer-Encoding"):
        raise BadBody("Transfer-Encoding is not supported here: send the body with a Content-Length")
    if not values:
        return 0
    if len(values) > 1:
        raise BadBody("Content-Length is given more than once: give it once")
    value = values[0].strip()
    if not _DIGITS.fullmatch(value):
        raise BadBody("Content-Length must be a whole number of bytes (digits only)")
    length = int(value)
    if length > MAX_BYTES:
        raise BadBody(f"Content-Length {length} is over the {MAX_BYTES} bytes a request may have here")
    return length


def read(http: BaseHTTPRequestHandler, seconds: float = READ_SECONDS) -> bytes:
    """The request's body: exactly ``Content-Length`` bytes, arrived within ``seconds``."""
    length = content_length(http)
    if not length:
        return b""
    previous = http.connection.gettimeout()
    http.connection.settimeout(seconds)
    try:
        body = http.rfile.read(length)
    except (socket.timeout, OSError):
        body = b""
    finally:
        http.connection.settimeout(previous)
    if len(body) != length:
        raise BadBody(f"Content-Length announced {length} bytes; they did not all arrive within {seconds:g} s")
    return body
