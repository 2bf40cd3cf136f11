"""Errors that end an invocation with a structured answer instead of a traceback, and the catalogue of
every ``FGR.*`` error code the functions answer with (docs/errors.md is generated from it)."""

from __future__ import annotations

from enum import Enum
from typing import Any, Dict, Optional


class ErrorCode(str, Enum):
    """Every ``FGR.*`` code. Upstream services' own codes (e.g. ``ModelArts.0001``) pass through as they are.

    ``where``: "response" ends the invocation (the error body's ``error_code``); "item" is one target's
    ``failed`` or ``not_attempted`` outcome (or the ``upstream_error_code`` of ``FGR.UpstreamFailure``).
    Values are the strings in the JSON, so the output is unchanged.
    """

    where: str
    meaning: str

    def __new__(cls, code: str, where: str, meaning: str) -> "ErrorCode":
        member = str.__new__(cls, code)
        member._value_ = code
        member.where = where
        member.meaning = meaning
        return member

    def __str__(self) -> str:
        return str(self.value)

    ERROR = ("FGR.Error", "response", "a failure with no more specific code")
    INVALID_REQUEST = ("FGR.InvalidRequest", "response",
                       "the event or request is malformed (HTTP 400); nothing was sent upstream")
    METHOD_NOT_ALLOWED = ("FGR.MethodNotAllowed", "response", "an APIG method other than POST or DELETE (HTTP 405)")
    PAYLOAD_TOO_LARGE = ("FGR.PayloadTooLarge", "response", "the request is larger than one invocation takes (HTTP "
                                                            "413): a body over APIG's 4 MB, or too many targets")
    CONFIGURATION_ERROR = ("FGR.ConfigurationError", "response", "a setting of the function is missing or malformed "
                                                                 "(HTTP 500); the field names it")
    REFUSED = ("FGR.Refused", "response", "a guard refused the request before any upstream call (HTTP 403), e.g. "
                                          'user_id "all" without ALLOW_ALL_USERS, or another project')
    UPSTREAM_TRANSIENT_FAILURE = ("FGR.UpstreamTransientFailure", "response",
                                  "asynchronous triggers only: targets failed with retryable errors, raised so "
                                  "FunctionGraph's retry policy runs the event again")
    UPSTREAM_FAILURE = ("FGR.UpstreamFailure", "response", "a listing the request depends on failed (HTTP 502): "
                                                          "nothing was decided on its word; upstream_error_code and "
                                                          "retryable say more")
    PERMISSION_DENIED = ("FGR.PermissionDenied", "response",
                         "asynchronous triggers: some targets answered 401/403 (the verdict denied names the action "
                         "the agency lacks); raised so the failure destination tells a person, a retry cannot fix it")
    INTERNAL_ERROR = ("FGR.InternalError", "response", "a defect in the function (HTTP 500); the function log has "
                                                       "the traceback")
    CONNECTION_ERROR = ("FGR.ConnectionError", "item", "the service could not be reached (retryable)")
    TIMEOUT = ("FGR.Timeout", "item", "the service did not answer in HTTP_READ_TIMEOUT (retryable)")
    UPSTREAM_ERROR = ("FGR.UpstreamError", "item", "the SDK failed in an unexpected way (not retried)")
    UNEXPECTED_STATUS = ("FGR.UnexpectedStatus", "item", "the service answered a status that is neither success "
                                                         "nor error (e.g. a 3xx)")
    UNREADABLE_ANSWER = ("FGR.UnreadableAnswer", "item", "an answer that cannot be read: a body that is not "
                                                         "JSON, a number past float's range (retryable)")
    INCOMPLETE_LISTING = ("FGR.IncompleteListing", "item", "a listing could not be read whole, so absence cannot be "
                                                           "told: nothing is reported gone on its word")
    NOT_ATTEMPTED = ("FGR.NotAttempted", "item", "no time was left in the invocation to start the call (outcome "
                                                 "not_attempted, retryable)")
    NOT_OFFERED = ("FGR.NotOffered", "item", "TARGETS: the SDK's region table has no endpoint for a service a target "
                                             "needs (STS, to reach a member account): the message names the "
                                             "endpoint variable to set")
    STILL_AUTHORIZED = ("FGR.StillAuthorized", "item", "the listing after the removal still holds it (ModelArts "
                                                       "verify, and every offboarding: Workspace App lists the "
                                                       "person again after its 200)")
    SWEEP_BREAKER_TRIPPED = ("FGR.SweepBreakerTripped", "item",
                             "sweep: the target's sweep would revoke more than SWEEP_MAX_FRACTION of its grants or "
                             "more than SWEEP_MAX_COUNT, so it revoked nothing there; the item is one it would have "
                             "revoked (retryable: an asynchronous run raises so the failure destination tells a "
                             "person)")
    NAMESAKE_IN_ANOTHER_DOMAIN = ("FGR.NamesakeInAnotherDomain", "item",
                                  "Workspace App: the application group also holds a user of that name in another "
                                  "domain, and whether a removal tells domains apart is not documented, so none was "
                                  "sent for that pair (it could take the other person too); not retryable: remove "
                                  "it in the console, where each entry is shown")
    AUTHORIZED_THROUGH_ALL_USERS = ("FGR.AuthorizedThroughAllUsers", "item",
                                    "ModelArts verify: the user's own authorization is gone, but the all-users "
                                    "authorization still covers them: revoke all-users to take the access away")


class RevokeError(Exception):
    """Base: carries an ``error_code``, the APIG status and a message a person can act on."""

    error_code: ErrorCode = ErrorCode.ERROR
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

    error_code = ErrorCode.INVALID_REQUEST
    status = 400


class MethodNotAllowed(InvalidRequest):
    error_code = ErrorCode.METHOD_NOT_ALLOWED
    status = 405


class PayloadTooLarge(InvalidRequest):
    error_code = ErrorCode.PAYLOAD_TOO_LARGE
    status = 413


class ConfigurationError(RevokeError):
    """A setting of the function is missing or malformed."""

    error_code = ErrorCode.CONFIGURATION_ERROR
    status = 500


class Refused(RevokeError):
    """A guard refused the request before any upstream call."""

    error_code = ErrorCode.REFUSED
    status = 403


class ServiceNotOffered(ConfigurationError):
    """The SDK's region table has no endpoint for the service in the region."""


class PermissionDenied(RevokeError):
    """Raised on asynchronous triggers when targets were denied, so the failure destination names them."""

    error_code = ErrorCode.PERMISSION_DENIED
    status = 403


class TransientUpstreamFailure(RevokeError):
    """Raised on asynchronous triggers so FunctionGraph's retry policy runs the event again."""

    error_code = ErrorCode.UPSTREAM_TRANSIENT_FAILURE
    status = 502


class UpstreamFailure(RevokeError):
    """A read the request depends on failed (a listing): nothing was decided on its word."""

    error_code = ErrorCode.UPSTREAM_FAILURE
    status = 502

    def __init__(self, error: Any) -> None:
        super().__init__(f"{error.error_code}: {error.error_msg}")
        self.upstream_error_code = error.error_code
        self.retryable = bool(error.transient)

    def to_dict(self) -> Dict[str, Any]:
        return {**super().to_dict(), "upstream_error_code": self.upstream_error_code, "retryable": self.retryable}


class InternalError(RevokeError):
    """A defect: the function log has the traceback."""

    error_code = ErrorCode.INTERNAL_ERROR
    status = 500

    def __init__(self, error_type: str) -> None:
        super().__init__(f"internal error ({error_type}); see the function log")
