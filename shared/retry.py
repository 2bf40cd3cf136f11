"""One retry layer for every upstream call, bounded by attempts and the invocation's time.

Written here rather than with ``SyncInvoker.with_retry`` because that loop catches only
``SdkException`` (a POST read timeout escapes as a raw ``requests`` exception), has no notion of
the function's remaining time and sleeps only milliseconds (docs/reference/sdk.md §3-§4).
"""

from __future__ import annotations

import random
import time
from typing import Callable, Final, Optional, TypeVar

from shared.deferred_imports import deferred_imports

# The first import of requests on a cold start. urllib3 reads h2's version only when HTTP/2 is switched on, and
# requests opens a zip only for a CA bundle packed inside one; neither happens here (docs/reference/sdk.md §5).
with deferred_imports("importlib.metadata:version", "zipfile"):
    import requests
from huaweicloudsdkcore.exceptions import exceptions as sdk_errors  # noqa: E402

from shared import call_deadline  # noqa: E402
from shared.errors import ErrorCode  # noqa: E402

T = TypeVar("T")
MAX_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
# The API gateway's own 404: no such API at this endpoint (wrong region or endpoint override).
GATEWAY_NOT_FOUND = frozenset({"APIG.0101", "APIGW.0101"})
NOT_ATTEMPTED = ErrorCode.NOT_ATTEMPTED


# Not a dataclass: cheaper to create on a cold start (docs/performance.md); Final: read-only, checked by mypy.
class UpstreamError:
    __slots__ = ("error_code", "error_msg", "request_id", "status_code", "transient", "retry_after")
    error_code: Final[str]
    error_msg: Final[str]
    request_id: Final[Optional[str]]
    status_code: Final[Optional[int]]
    transient: Final[bool]
    retry_after: Final[Optional[float]]

    def __init__(self, error_code: str, error_msg: str, request_id: Optional[str], status_code: Optional[int],
                 transient: bool, retry_after: Optional[float] = None) -> None:
        self.error_code = error_code
        self.error_msg = error_msg
        self.request_id = request_id
        self.status_code = status_code
        self.transient = transient
        self.retry_after = retry_after


class UpstreamCallFailed(Exception):
    def __init__(self, error: UpstreamError, attempts: int) -> None:
        super().__init__(f"{error.error_code}: {error.error_msg}")
        self.error = error
        self.attempts = attempts


class Deadline:
    """The invocation's end, less a reserve for reporting; ``call_needs`` is the longest one call may take."""

    def __init__(self, remaining_seconds: Optional[float], reserve: float = 1.0, call_needs: float = 0.0) -> None:
        self._end = None if remaining_seconds is None else time.monotonic() + remaining_seconds - reserve
        self.call_needs = call_needs

    def remaining(self) -> float:
        return float("inf") if self._end is None else self._end - time.monotonic()

    def allows_a_call(self) -> bool:
        return self.remaining() >= self.call_needs

    def call_limit(self) -> Optional[float]:
        """The most one call may take from now, its wait for bytes included: its share of what is left."""
        limit = min(self.call_needs or float("inf"), self.remaining())
        return None if limit == float("inf") else max(limit, 0.0)


def describe(error: BaseException) -> UpstreamError:
    """What went wrong, and whether trying again may help."""
    if isinstance(error, sdk_errors.ServiceResponseException):
        status = int(error.status_code)
        if status == 404 and str(error.error_code) in GATEWAY_NOT_FOUND:
            return UpstreamError(
                error_code=str(error.error_code), error_msg="the API gateway has no such API at this endpoint: "
                "check the REGION setting and any HUAWEICLOUD_SDK_REGION_<SERVICE>_<REGION> endpoint override",
                request_id=error.request_id or None, status_code=status, transient=True)
        return UpstreamError(
            error_code=str(error.error_code or status), error_msg=str(error.error_msg or "")[:500],
            request_id=error.request_id or None, status_code=status,
            transient=status == 429 or status >= 500,
            retry_after=getattr(error, "retry_after", None))
    if isinstance(error, (sdk_errors.ConnectionException, requests.exceptions.ConnectionError)):
        return UpstreamError(ErrorCode.CONNECTION_ERROR, _first_line(error), None, None, True)
    if isinstance(error, (sdk_errors.RequestTimeoutException, requests.exceptions.Timeout)):
        return UpstreamError(ErrorCode.TIMEOUT, _first_line(error), None, None, True)
    if isinstance(error, requests.exceptions.RequestException):
        return UpstreamError(ErrorCode.CONNECTION_ERROR, _first_line(error), None, None, True)
    if isinstance(error, (ValueError, ArithmeticError)):
        return UpstreamError(ErrorCode.UNREADABLE_ANSWER, f"the answer could not be read ({type(error).__name__}: "
                             f"{_first_line(error)})", None, None, True)
    return UpstreamError(ErrorCode.UPSTREAM_ERROR, f"{type(error).__name__}: {_first_line(error)}",
                         None, None, False)


def call(fn: Callable[[], T], *, attempts: int, deadline: Deadline, base_delay: float = 0.25,
         on_attempt: Callable[[], None] = lambda: None) -> T:
    """Run ``fn``; retry transient failures with jittered exponential backoff."""
    attempt = 0
    failure: Optional[UpstreamError] = None
    while True:
        if not deadline.allows_a_call():  # started now, it could outlive the invocation
            raise UpstreamCallFailed(failure or UpstreamError(
                NOT_ATTEMPTED, f"not attempted: {max(deadline.remaining(), 0.0):.1f} s of the invocation "
                f"were left and one call may take {deadline.call_needs:.1f} s", None, None, True), attempt)
        attempt += 1
        on_attempt()
        try:
            with call_deadline.limited(deadline.call_limit()):
                return fn()
        # ValueError/ArithmeticError: an answer the SDK cannot turn into its model (a 5,000-digit number
        # passes Python's int-string limit, 1e400 or a 400-digit number overflows float): upstream's fault.
        except (sdk_errors.SdkException, requests.exceptions.RequestException, ValueError, ArithmeticError,
                RecursionError) as error:
            failure = describe(error)
        if not failure.transient or attempt >= attempts or failure.error_code in GATEWAY_NOT_FOUND:
            raise UpstreamCallFailed(failure, attempt)
        delay = random.uniform(0.5, 1.0) * min(MAX_DELAY, base_delay * 2 ** (attempt - 1))
        if failure.retry_after is not None:  # honoured up to a minute; longer waits are FunctionGraph's retry's
            delay = max(delay, min(failure.retry_after, MAX_RETRY_AFTER))
        if delay + deadline.call_needs > deadline.remaining():
            raise UpstreamCallFailed(failure, attempt)
        time.sleep(delay)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:500]
