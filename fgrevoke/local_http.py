"""What the local HTTP servers (``fgrevoke serve``, the emulator) share: reading a request's body by its
``Content-Length``, and a server that takes a client going away in stride.

A length that is not one plain number, is given twice, is too large for a revocation request or is not followed
by that many bytes in time is the client's mistake: a 400 answer naming it, then the connection closes (where the
next request would start is unknown) — never a wait forever, nor a traceback (docs/reference/local-http.md §1)."""

from __future__ import annotations

import re
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_BYTES = 10 * 2**20  # far above any request the functions take (the default; a server may allow more)
READ_SECONDS = 10.0  # for the announced bytes to arrive once the headers have
_DIGITS = re.compile(r"[0-9]{1,20}")


class BadBody(Exception):
    """Why the request's body cannot be read; the server answers 400 with ``message``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def content_length(http: BaseHTTPRequestHandler, max_bytes: int = MAX_BYTES) -> int:
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
    if length > max_bytes:
        raise BadBody(f"Content-Length {length} is over the {max_bytes} bytes a request may have here")
    return length


def read(http: BaseHTTPRequestHandler, seconds: float = READ_SECONDS, max_bytes: int = MAX_BYTES) -> bytes:
    """The request's body: exactly ``Content-Length`` bytes, at most ``max_bytes``, arrived within ``seconds``."""
    length = content_length(http, max_bytes)
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


class Server(ThreadingHTTPServer):
    """A threading HTTP server whose request threads end with the process, and for which a client that resets
    or drops its connection is not an error: socketserver would print a traceback for it."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)
