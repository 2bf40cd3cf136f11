"""Per-target outcomes and the report an invocation returns."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

DELETED = "deleted"
ALREADY_ABSENT = "already_absent"
SKIPPED_PROTECTED = "skipped_protected"
WOULD_DELETE = "would_delete"
FAILED = "failed"
DONE = frozenset({DELETED, ALREADY_ABSENT, SKIPPED_PROTECTED, WOULD_DELETE})


@dataclass
class Outcome:
    target: Dict[str, Any]
    outcome: str
    reason: Optional[str] = None
    error_code: Optional[str] = None
    error_msg: Optional[str] = None
    request_id: Optional[str] = None
    transient: bool = False

    def to_dict(self) -> Dict[str, Any]:
        body: Dict[str, Any] = dict(self.target)
        body["outcome"] = self.outcome
        for key, value in (("reason", self.reason), ("error_code", self.error_code),
                           ("error_msg", self.error_msg), ("upstream_request_id", self.request_id)):
            if value:
                body[key] = value
        if self.outcome == FAILED:
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

    def extend(self, other: "Report") -> None:
        self.items.extend(other.items)
        self.upstream_calls += other.upstream_calls
        self.notes.extend(other.notes)
        self.dry_run = self.dry_run or other.dry_run
        self.details.update(other.details)

    @property
    def failed(self) -> List[Outcome]:
        return [item for item in self.items if item.outcome == FAILED]

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
