"""Per-target outcomes and the report an invocation returns.

``TargetState`` and ``Status`` are the catalogue of what a response can say (docs/errors.md is generated
from them); their values are the strings in the JSON, so the output reads as before.
"""

from __future__ import annotations

from collections import Counter
from enum import Enum
from typing import Any, Dict, List, Optional


class _Documented(str, Enum):
    """A string enum whose members carry a meaning, printed as their value on every Python."""

    meaning: str

    def __new__(cls, value: str, meaning: str) -> "_Documented":
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member

    def __str__(self) -> str:
        return str(self.value)


class TargetState(_Documented):
    """What happened to one target (an item's ``outcome``)."""

    DELETED = ("deleted", "the access was there and is gone: a 2xx to its own delete call (or, after a failed "
                          "call, a complete listing without it)")
    ALREADY_ABSENT = ("already_absent", "there was nothing to revoke: the service's documented not-found code "
                                        "(ModelArts.0429) or a complete listing without it; a 404 alone proves "
                                        "nothing")
    SKIPPED_PROTECTED = ("skipped_protected", "listed in the function's PROTECTED_* setting: left alone")
    SKIPPED_IN_FORCE = ("skipped_in_force", "an access policy in force (an IP whitelist with is_enable true or "
                                            "absent, or any other policy) left alone: ALLOW_ENABLED_POLICY_DELETION "
                                            "is off")
    SKIPPED = ("skipped", "sweep: a grant the sweep leaves alone whoever holds it (no user_id, the all-users "
                          "grant, another kind of principal, younger than SWEEP_MIN_AGE_HOURS or of unknown age); "
                          "reason says which")
    WOULD_DELETE = ("would_delete", "dry run: exists (the listing holds it) and would be revoked")
    FAILED = ("failed", "not revoked: error_code, error_msg, upstream_request_id and retryable say why")
    NOT_ATTEMPTED = ("not_attempted", "no time was left in the invocation to start its call (retryable)")


class Status(_Documented):
    """How the invocation as a whole ended (the response's ``status``)."""

    SUCCEEDED = ("succeeded", "every target ended without failure")
    NOTHING_TO_DO = ("nothing_to_do", "the request named no target")
    PARTIALLY_FAILED = ("partially_failed", "some targets failed (APIG: HTTP 207)")
    FAILED = ("failed", "every target failed (APIG: HTTP 502)")
    REJECTED = ("rejected", "the request was refused before any revocation (an FGR.* error_code, HTTP 4xx)")
    ERROR = ("error", "the function could not run: configuration or internal error (HTTP 500)")
    IGNORED = ("ignored", "the event is not for this function (reason says why); nothing was done")


class Verdict(_Documented):
    """What happened in one target (a row of the report's ``targets``: a region's project of an account)."""

    DONE = ("done", "everything asked is gone there, on evidence (or, in a dry run, would be)")
    NOTHING_HELD = ("nothing_held", "a complete listing shows the person held nothing there")
    NOT_OFFERED = ("not_offered", "the SDK's region table has no endpoint for the service in that region: nothing "
                                  "can be held there")
    DENIED = ("denied", "the service or STS answered 401/403 there: the agency (or the member account's agency) "
                        "lacks the action the row names; a retry cannot fix it")
    UNREACHABLE = ("unreachable", "no connection, or 5xx, after the retries (retryable)")
    NOT_ATTEMPTED = ("not_attempted", "no time was left in the invocation to start it (retryable)")
    FAILED = ("failed", "some of its items failed for another reason: the items say why")
    BREAKER_TRIPPED = ("breaker_tripped", "sweep: it would revoke more than SWEEP_MAX_FRACTION or SWEEP_MAX_COUNT "
                                          "of its grants, so it revoked nothing there; the items list what it would "
                                          "have revoked")


FAILING_VERDICTS = frozenset({Verdict.DENIED, Verdict.UNREACHABLE, Verdict.NOT_ATTEMPTED, Verdict.FAILED,
                              Verdict.BREAKER_TRIPPED})

DELETED = TargetState.DELETED
ALREADY_ABSENT = TargetState.ALREADY_ABSENT
SKIPPED_PROTECTED = TargetState.SKIPPED_PROTECTED
SKIPPED_IN_FORCE = TargetState.SKIPPED_IN_FORCE
SKIPPED = TargetState.SKIPPED
WOULD_DELETE = TargetState.WOULD_DELETE
FAILED = TargetState.FAILED
NOT_ATTEMPTED = TargetState.NOT_ATTEMPTED
DONE = frozenset({DELETED, ALREADY_ABSENT, SKIPPED_PROTECTED, SKIPPED_IN_FORCE, SKIPPED, WOULD_DELETE})
UNFINISHED = frozenset({FAILED, NOT_ATTEMPTED})


# Not a dataclass: cheaper to create on a cold start (docs/performance.md).
class Outcome:
    __slots__ = ("target", "outcome", "reason", "error_code", "error_msg", "request_id", "transient", "details",
                 "upstream_status")
    target: Dict[str, Any]
    outcome: TargetState
    reason: Optional[str]
    error_code: Optional[str]
    error_msg: Optional[str]
    request_id: Optional[str]
    transient: bool
    details: Dict[str, Any]  # what the item is about (e.g. a deletion's effect)
    upstream_status: Optional[int]  # the HTTP status of a failed call: tells the target's verdict

    def __init__(self, target: Dict[str, Any], outcome: TargetState, reason: Optional[str] = None,
                 error_code: Optional[str] = None, error_msg: Optional[str] = None, request_id: Optional[str] = None,
                 transient: bool = False, details: Optional[Dict[str, Any]] = None,
                 upstream_status: Optional[int] = None) -> None:
        self.target = target
        self.outcome = outcome
        self.reason = reason
        self.error_code = error_code
        self.error_msg = error_msg
        self.request_id = request_id
        self.transient = transient
        self.details = {} if details is None else details
        self.upstream_status = upstream_status

    def for_target(self, target: Dict[str, Any], details: Dict[str, Any]) -> "Outcome":
        """This outcome of a call that covered several targets, as one of them."""
        return Outcome(target, self.outcome, self.reason, self.error_code, self.error_msg, self.request_id,
                       self.transient, details, self.upstream_status)

    def to_dict(self) -> Dict[str, Any]:
        body: Dict[str, Any] = dict(self.target)
        body["outcome"] = self.outcome
        body.update(self.details)
        for key, value in (("reason", self.reason), ("error_code", self.error_code),
                           ("error_msg", self.error_msg), ("upstream_request_id", self.request_id)):
            if value:
                body[key] = value
        if self.outcome in UNFINISHED:
            body["retryable"] = self.transient
        return body


# Not a dataclass: cheaper to create on a cold start (docs/performance.md).
class Report:
    __slots__ = ("operation", "dry_run", "items", "upstream_calls", "notes", "details", "targets", "scoped")
    operation: str
    dry_run: bool
    items: List[Outcome]
    upstream_calls: int
    notes: List[str]
    details: Dict[str, Any]
    targets: List[Dict[str, Any]]  # one row per target: its verdict
    scoped: bool  # TARGETS is set: the summary counts targets by verdict too

    def __init__(self, operation: str, dry_run: bool, items: Optional[List[Outcome]] = None, upstream_calls: int = 0,
                 notes: Optional[List[str]] = None, details: Optional[Dict[str, Any]] = None,
                 targets: Optional[List[Dict[str, Any]]] = None, scoped: bool = False) -> None:
        self.operation = operation
        self.dry_run = dry_run
        self.items = [] if items is None else items
        self.upstream_calls = upstream_calls
        self.notes = [] if notes is None else notes
        self.details = {} if details is None else details
        self.targets = [] if targets is None else targets
        self.scoped = scoped

    @property
    def failing_targets(self) -> List[Dict[str, Any]]:
        return [row for row in self.targets if row["status"] in FAILING_VERDICTS]

    @property
    def failed(self) -> List[Outcome]:
        """Targets whose access may remain: failed, or not attempted."""
        return [item for item in self.items if item.outcome in UNFINISHED]

    @property
    def retryable(self) -> List[Outcome]:
        return [item for item in self.failed if item.transient]

    @property
    def status(self) -> Status:
        failing, failed = len(self.failing_targets), len(self.failed)
        if not failing and not failed:
            return Status.SUCCEEDED if self.items else Status.NOTHING_TO_DO
        # a target that failed as a whole may have no item at all: it counts as much as a failed item
        if failing == len(self.targets) and failed == len(self.items):
            return Status.FAILED
        return Status.PARTIALLY_FAILED

    @property
    def summary(self) -> Dict[str, Any]:
        """Items by outcome, and with TARGETS, ``targets``: targets by verdict."""
        counts: Dict[str, Any] = dict(Counter(item.outcome for item in self.items))
        if self.scoped:
            counts["targets"] = dict(Counter(str(row["status"]) for row in self.targets))
        return counts

    @property
    def http_status(self) -> int:
        return {Status.FAILED: 502, Status.PARTIALLY_FAILED: 207}.get(self.status, 200)

    def to_dict(self) -> Dict[str, Any]:
        body: Dict[str, Any] = {
            "operation": self.operation,
            "status": self.status,
            "dry_run": self.dry_run,
            "summary": self.summary,
            "upstream_calls": self.upstream_calls,
            "items": [item.to_dict() for item in self.items],
        }
        if self.targets:
            body["targets"] = self.targets
        if self.notes:
            body["notes"] = self.notes
        body.update(self.details)
        return body
