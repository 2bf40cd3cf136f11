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


class UpstreamFailure(RevokeError):
    """A read the request depends on failed (a listing): nothing was decided on its word."""

    error_code = "FGR.UpstreamFailure"
    status = 502

    def __init__(self, error: Any) -> None:
        super().__init__(f"{error.error_code}: {error.error_msg}")
        self.upstream_error_code = error.error_code
        self.retryable = bool(error.transient)

    def to_dict(self) -> Dict[str, Any]:
        return {**super().to_dict(), "upstream_error_code": self.upstream_error_code, "retryable": self.retryable}


class InternalError(RevokeError):
    """A defect: the function log has the traceback."""

    error_code = "FGR.InternalError"
    status = 500

    def __init__(self, error_type: str) -> None:
        super().__init__(f"internal error ({error_type}); see the function log")
