"""The ``fgrevoke`` command's own errors: raised anywhere in the tooling, turned into one line and an
exit code in one place (``fgrevoke.cli.main``), never a traceback."""

from __future__ import annotations

import socket

USAGE = 2  # the command line or a file the user named is wrong
FAILURE = 1  # the command was right, what it did failed


class ToolError(Exception):
    """A mistake or failure the user can act on: ``message`` says what is wrong and what to do."""

    exit_code = FAILURE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(ToolError):
    """A wrong command line, or a named file that is missing or malformed."""

    exit_code = USAGE


def listen_problem(host: str, port: int, error: OSError) -> str:
    """Why a local server (serve, the emulator) cannot listen, and what to change."""
    fix = ("give this machine's address as --host (default 127.0.0.1)" if isinstance(error, socket.gaierror)
           else "pick another --port (0 picks a free one)")
    return f"cannot listen on {host}:{port}: {error.strerror or error}; {fix}"
