"""Per-target outcomes and the report an invocation returns."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

DELETED = "deleted"
ALREADY_ABSENT = "already_absent"
SKIPPED_PROTECTED = "skipped_protected"
SKIPPED_IN_FORCE = "skipped_in_force"
WOULD_DELETE = "would_delete"
FAILED = "failed"
NOT_ATTEMPTED = "not_attempted"  # no time was left to start its call: retryable
DONE = frozenset({DELETED, ALREADY_ABSENT, SKIPPED_PROTECTED, SKIPPED_IN_FORCE, WOULD_DELETE})
UNFINISHED = frozenset({FAILED, NOT_ATTEMPTED})


@dataclass
class Outcome:
    target: Dict[str, Any]
    outcome: str
    reason: Optional[str] = None
    error_code: Optional[str] = None
    error_msg: Optional[str] = None
    request_id: Optional[str] = None
    transient: bool = False
    details: Dict[str, Any] = field(default_factory=dict)  # what the item is about (e.g. a deletion's effect)

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


@dataclass
class Report:
    operation: str
    dry_run: bool
    items: List[Outcome] = field(default_factory=list)
    upstream_calls: int = 0
    notes: List[str] = field(default_factory=list)
    details: Dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> List[Outcome]:
        """Targets whose access may remain: failed, or not attempted."""
        return [item for item in self.items if item.outcome in UNFINISHED]

    @property
    def retryable(self) -> List[Outcome]:
        return [item for item in self.failed if item.transient]

    @property
    def status(self) -> str:
        failed = len(self.failed)
        if not failed:
            return "succeeded" if self.items else "nothing_to_do"
        return "failed" if failed == len(self.items) else "partially_failed"

    @property
    def http_status(self) -> int:
        return {"failed": 502, "partially_failed": 207}.get(self.status, 200)

    def to_dict(self) -> Dict[str, Any]:
        body: Dict[str, Any] = {
            "operation": self.operation,
            "status": self.status,
            "dry_run": self.dry_run,
            "summary": dict(Counter(item.outcome for item in self.items)),
            "upstream_calls": self.upstream_calls,
            "items": [item.to_dict() for item in self.items],
        }
        if self.notes:
            body["notes"] = self.notes
        body.update(self.details)
        return body
