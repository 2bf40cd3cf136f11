"""Where a function acts: the setting TARGETS and a request's ``targets``, as entries and concrete targets.

An entry is ``region/project_id``, ``region/*`` (every project of the region the keys can reach), ``*``
(every project of every region), each optionally prefixed ``account_id:agency_name@`` for a member account
reached through STS AssumeAgency (docs/reference/account-wide.md). Plain data: no SDK import here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from shared.errors import InvalidRequest, Refused

ANY = "*"
REGION_PATTERN = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
PROJECT_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
ACCOUNT_PATTERN = re.compile(r"[A-Za-z0-9]{1,64}")
# IAM agency names: letters, digits, spaces and -_. (IAM CreateAgency, docs/reference/account-wide.md)
AGENCY_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
FORMS = "region/project_id, region/*, * or account_id:agency_name@ before any of them"


@dataclass(frozen=True)
class Target:
    """One project of one region of one account: where a revocation runs."""

    region: str
    project_id: str
    account_id: Optional[str] = None  # None: the function's own account
    agency: Optional[str] = None

    def fields(self) -> Dict[str, str]:
        """What every item of this target carries in the report."""
        shown = {"region": self.region, "project_id": self.project_id}
        if self.account_id is not None:
            shown["account_id"] = self.account_id
            shown["agency"] = self.agency or ""
        return shown

    def __str__(self) -> str:
        return _text(self.account_id, self.agency, self.region, self.project_id)


@dataclass(frozen=True)
class Entry:
    """One entry of TARGETS or of a request's ``targets``; ``None`` region or project means every one."""

    region: Optional[str]
    project_id: Optional[str]
    account_id: Optional[str] = None
    agency: Optional[str] = None

    @property
    def concrete(self) -> bool:
        return self.region is not None and self.project_id is not None

    def target(self) -> Target:
        assert self.region is not None and self.project_id is not None
        return Target(self.region, self.project_id, self.account_id, self.agency)

    def matches(self, target: Target) -> bool:
        return (self.account_id, self.agency) == (target.account_id, target.agency) and \
            self.region in (None, target.region) and self.project_id in (None, target.project_id)

    def covers(self, other: "Entry") -> bool:
        """Every target ``other`` can name is one this entry names too."""
        if (self.account_id, self.agency) != (other.account_id, other.agency):
            return False
        if self.region is None:
            return True
        return self.region == other.region and self.project_id in (None, other.project_id)

    def __str__(self) -> str:
        return _text(self.account_id, self.agency, self.region, self.project_id)


def _text(account_id: Optional[str], agency: Optional[str], region: Optional[str], project_id: Optional[str]) -> str:
    where = ANY if region is None else f"{region}/{project_id or ANY}"
    return f"{account_id}:{agency}@{where}" if account_id is not None else where


def entry(value: Any, where: str) -> Entry:
    """Parse one entry; an entry that does not fit is an ``InvalidRequest`` naming ``where``."""
    if not isinstance(value, str) or not value or value != value.strip() or len(value) > 300:
        raise InvalidRequest(f"{where} must be text: {FORMS}", field=where)
    account_id = agency = None
    rest = value
    if "@" in value:
        member, _, rest = value.partition("@")
        account_id, colon, agency = member.partition(":")
        if not colon or not ACCOUNT_PATTERN.fullmatch(account_id) or not AGENCY_PATTERN.fullmatch(agency):
            raise InvalidRequest(f"{where}: a member account is written account_id:agency_name@ (account id in "
                                 "letters and digits, agency name in letters, digits, -_.)", field=where)
    if rest == ANY:
        return Entry(None, None, account_id, agency)
    region, slash, project = rest.partition("/")
    if not slash or not REGION_PATTERN.fullmatch(region):
        raise InvalidRequest(f"{where} is not one of {FORMS} (a region id like cn-north-4)", field=where)
    if project != ANY and not PROJECT_PATTERN.fullmatch(project):
        raise InvalidRequest(f"{where}: the project is a project id or *", field=where)
    return Entry(region, None if project == ANY else project, account_id, agency)


def requested(payload: Dict[str, Any]) -> Optional[Tuple[Entry, ...]]:
    """The request's own ``targets`` (a list of entries, or one entry as text), or None."""
    if "targets" not in payload:
        return None
    value = payload["targets"]
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or len(values) > 1000:
        raise InvalidRequest(f'"targets" narrows where the function acts: a non-empty list of {FORMS}',
                             field="targets")
    return tuple(dict.fromkeys(entry(item, f"targets[{index}]") for index, item in enumerate(values)))


def narrowed(configured: Sequence[Entry], asked: Optional[Sequence[Entry]]) -> Tuple[Entry, ...]:
    """The entries to act on: the request's, each within the configured scope (403 if not), or the scope."""
    if asked is None:
        return tuple(configured)
    kept: List[Entry] = []
    for item in asked:  # a wildcard asked over narrower entries keeps those entries
        inside = [item] if any(scope.covers(item) for scope in configured) else \
            [scope for scope in configured if item.covers(scope)]
        if not inside:
            raise Refused(f"target {item} is outside this function's scope ({', '.join(map(str, configured))}): "
                          "a request may narrow TARGETS, never widen it", field="targets")
        kept.extend(inside)
    return tuple(dict.fromkeys(kept))


def within(targets: Iterable[Target], entries: Sequence[Entry]) -> List[Target]:
    """The discovered targets that the entries name, in order, once each."""
    return list(dict.fromkeys(target for target in targets if any(item.matches(target) for item in entries)))
