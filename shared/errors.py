"""Errors that end an invocation with a structured answer instead of a traceback."""

from __future__ import annotations

from typing import Any, Dict, Optional


class RevokeError(Exception):
    """Base: carries an ``error_code``, the APIG status and a message a person can act on."""

    error_code = "FGR.Error"
    status = 500

    def __init__(self, message: str, *, field: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> Dict[str, Any]:
        body: Dict[str, Any] = {"error_code": self.error_code, "error_msg": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body

    def __str__(self) -> str:
        return f"{self.error_code}: {self.message}"


class InvalidRequest(RevokeError):
    """The event or request is malformed; nothing was sent upstream."""

    error_code = "FGR.InvalidRequest"
    status = 400


class MethodNotAllowed(InvalidRequest):
    error_code = "FGR.MethodNotAllowed"
    status = 405


class PayloadTooLarge(InvalidRequest):
    error_code = "FGR.PayloadTooLarge"
    status = 413


class ConfigurationError(RevokeError):
    """A setting of the function is missing or malformed."""

    error_code = "FGR.ConfigurationError"
    status = 500


class Refused(RevokeError):
    """A guard refused the request before any upstream call."""

    error_code = "FGR.Refused"
    status = 403


class TransientUpstreamFailure(RevokeError):
    """Raised on asynchronous triggers so FunctionGraph's retry policy runs the event again."""

    error_code = "FGR.UpstreamTransientFailure"
    status = 502
