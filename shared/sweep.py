"""The clean-up sweep: take away the grants that belong to no one, evidence first, behind a breaker.

A request ``{"sweep": {...}}`` compares, in one target (the function's project, or each of TARGETS),
what is granted with who exists. Each function says how to list its grants, which listings tell who
exists, and how to revoke (``functions/<name>/sweep.py``); the rules live here once:

1. The grants listing is read whole first. The listings of who exists are read *after* it, so a person
   created and authorized while the sweep runs is in them.
2. Any doubt revokes nothing in the target: a listing that is incomplete, refused or unreadable ends
   the sweep with one ``failed`` item naming the listing and why (retryable: the next run may read it).
3. A grant is an orphan when its holder is in no page of that complete listing. A grant the sweep
   cannot judge (no holder it can look up) is ``skipped`` with the reason; a protected one is
   ``skipped_protected``; one younger than SWEEP_MIN_AGE_HOURS, or of unreadable age, is ``skipped``.
4. The breaker: more orphans than SWEEP_MAX_FRACTION of the target's grants, or than SWEEP_MAX_COUNT,
   revokes nothing there. Each orphan is then ``failed`` with FGR.SweepBreakerTripped (retryable), so
   an asynchronous run raises and the failure destination tells a person.
5. Otherwise a dry run reports ``would_delete``, and a real run revokes through the function's own
   path (per-call evidence, reconcile, audit). Every orphan's item names the listing that decided it.

``report.details["sweep"]`` summarises the target: status (done, breaker_tripped, failed), counts,
the limits applied and the listings read.
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable, Dict, Final, List, Mapping, NamedTuple, Optional, Sequence, Set, Tuple

from shared import fields, manifest, retry, runtime
from shared.errors import ErrorCode, InvalidRequest
from shared.outcomes import FAILED, SKIPPED, SKIPPED_PROTECTED, WOULD_DELETE, Outcome, Report
from shared.settings import SettingsSource

REQUEST = "sweep"
REQUEST_FIELDS = (REQUEST, "dry_run", "project_id")
LIMIT_FIELDS = ("max_fraction", "max_count", "min_age_hours")
DONE, BREAKER_TRIPPED, FAILED_STATUS = "done", "breaker_tripped", "failed"
HOUR = 3600.0


class Grant(NamedTuple):
    """One entry of the grants listing, as the sweep judges it."""

    target: Dict[str, Any]  # how the item names it (user_id; app_group_id + account + account_type)
    holder: Optional[str] = None  # whom it belongs to, in the deciding listing's terms; None: never swept
    listing: str = ""  # the listing that tells whether the holder exists
    created: Optional[float] = None  # epoch seconds
    skipped: Optional[str] = None  # why it is never swept, whoever holds it
    protected: Optional[str] = None  # why it is protected (the setting that lists it)
    age_unknown: Optional[str] = None  # why its age cannot be told (then it is not swept)
    revoke_with: Mapping[str, str] = {}  # what the function's revocation needs beyond the target


# A listing of who exists: the holders it shows, read whole (``casefold``-ed), or UpstreamCallFailed.
Directory = Callable[[], Set[str]]
Revoke = Callable[[List[Grant]], List[Outcome]]


# Not a dataclass: cheaper to create on a cold start (docs/performance.md); Final: read-only, checked by mypy.
class Limits:
    __slots__ = ("max_fraction", "max_count", "min_age_hours")
    max_fraction: Final[float]
    max_count: Final[int]
    min_age_hours: Final[float]

    def __init__(self, max_fraction: float, max_count: int, min_age_hours: float) -> None:
        self.max_fraction = max_fraction
        self.max_count = max_count
        self.min_age_hours = min_age_hours

    def allows(self, orphans: int, grants: int) -> bool:
        return orphans <= self.max_count and orphans <= self.max_fraction * grants

    def to_dict(self) -> Dict[str, Any]:
        return {"max_fraction": self.max_fraction, "max_count": self.max_count, "min_age_hours": self.min_age_hours}


# Not a dataclass: cheaper to create on a cold start (docs/performance.md).
class Tally:
    """What the sweep saw in the target (``report.details["sweep"]``)."""

    __slots__ = ("status", "grants", "held_by_existing", "orphans", "skipped", "listings", "reason")
    status: str
    grants: int
    held_by_existing: int
    orphans: int
    skipped: int
    listings: List[str]
    reason: Optional[str]

    def __init__(self, status: str = DONE, grants: int = 0, held_by_existing: int = 0, orphans: int = 0,
                 skipped: int = 0, listings: Optional[List[str]] = None, reason: Optional[str] = None) -> None:
        self.status = status
        self.grants = grants
        self.held_by_existing = held_by_existing
        self.orphans = orphans
        self.skipped = skipped
        self.listings = [] if listings is None else listings
        self.reason = reason

    def to_dict(self, limits: Limits) -> Dict[str, Any]:
        body: Dict[str, Any] = {"status": self.status, "grants": self.grants,
                                "held_by_existing": self.held_by_existing, "orphans": self.orphans,
                                "skipped": self.skipped, "limits": limits.to_dict(), "listings": self.listings}
        if self.reason:
            body["reason"] = self.reason
        return body


def requested(payload: Mapping[str, Any]) -> bool:
    return REQUEST in payload


def validate_request(payload: Dict[str, Any]) -> Dict[str, Any]:
    """The request's own limits, checked (``InvalidRequest`` names the field at fault)."""
    fields.reject_unknown(payload, REQUEST_FIELDS)
    fields.optional_bool(payload, "dry_run")
    asked = payload.get(REQUEST)
    if asked is None:
        asked = {}
    if not isinstance(asked, dict):
        raise InvalidRequest('"sweep" must be an object: {} (the settings\' limits), or lower limits such as '
                             '{"max_count": 10}', field=REQUEST)
    fields.reject_unknown(asked, LIMIT_FIELDS, REQUEST)
    for name in LIMIT_FIELDS:
        value = asked.get(name)
        if value is None:
            continue
        whole = name == "max_count"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or \
                value < 0 or (whole and value != int(value)) or (name == "max_fraction" and value > 1):
            allowed = "a whole number >= 0" if whole else "a number from 0 to 1" if name == "max_fraction" \
                else "a number of hours >= 0"
            raise InvalidRequest(f"sweep.{name} must be {allowed}, not {fields.shown([str(value)])}",
                                 field=f"{REQUEST}.{name}")
    return asked


def limits(invocation: runtime.Invocation) -> Limits:
    """The settings' limits; a request may make them stricter (lower breaker limits, a longer grace)."""
    asked = validate_request(invocation.payload)
    source: SettingsSource = invocation.source
    configured = Limits(manifest.SWEEP_MAX_FRACTION.read(source), manifest.SWEEP_MAX_COUNT.read(source),
                        manifest.SWEEP_MIN_AGE_HOURS.read(source))
    chosen = {}
    for name, stricter, setting in (("max_fraction", min, "SWEEP_MAX_FRACTION"), ("max_count", min, "SWEEP_MAX_COUNT"),
                                    ("min_age_hours", max, "SWEEP_MIN_AGE_HOURS")):
        value = getattr(configured, name)
        if asked.get(name) is not None:
            value = stricter(value, asked[name])
            if value != asked[name]:
                invocation.notes.append(f"the request asked sweep.{name}={asked[name]}, but {setting} is "
                                        f"{getattr(configured, name)}: a request can only make the sweep stricter")
        chosen[name] = value
    return Limits(float(chosen["max_fraction"]), int(chosen["max_count"]), float(chosen["min_age_hours"]))


def run(invocation: runtime.Invocation, grants: Tuple[str, Callable[[], List[Grant]]],
        directories: Mapping[str, Directory], revoke: Revoke, *, now: Callable[[], float] = time.time) -> Report:
    """One target's sweep. ``grants``: the grants listing's name and reader; ``directories``: each listing
    of who exists by name (the name a Grant's ``listing`` gives)."""
    rules = limits(invocation)
    report = invocation.report()
    tally = Tally()
    reading, read_grants = grants
    tally.listings.append(reading)
    try:
        held = read_grants()
        tally.grants = len(held)
        present = {}
        for name in sorted({grant.listing for grant in held if grant.skipped is None and grant.holder is not None}):
            reading = name  # read after the grants: whoever was authorized meanwhile is in it
            tally.listings.append(name)
            present[name] = directories[name]()
    except retry.UpstreamCallFailed as failure:
        _failed(report, tally, reading, failure.error)
        report.details["sweep"] = tally.to_dict(rules)
        return report
    orphans = _judge(report, tally, held, present, rules, now())
    if not rules.allows(len(orphans), len(held)):
        _trip(report, tally, orphans, len(held), rules)
    elif invocation.dry_run:
        report.items.extend(_decided(grant, Outcome(grant.target, WOULD_DELETE)) for grant in orphans)
    elif orphans:
        by_target = {_key(grant.target): grant for grant in orphans}
        for outcome in revoke(orphans):
            grant = by_target.get(_key(outcome.target))
            report.items.append(_decided(grant, outcome) if grant else outcome)
    report.details["sweep"] = tally.to_dict(rules)
    return report


def _judge(report: Report, tally: Tally, held: Sequence[Grant], present: Mapping[str, Set[str]], rules: Limits,
           now: float) -> List[Grant]:
    """The orphans to revoke; every other grant not held by an existing principal is reported with why not."""
    orphans = []
    for grant in held:
        if grant.skipped is not None or grant.holder is None:
            tally.skipped += 1
            report.items.append(Outcome(grant.target, SKIPPED, reason=grant.skipped or "no holder to look up"))
            continue
        if grant.holder.casefold() in present[grant.listing]:
            tally.held_by_existing += 1
            continue
        tally.orphans += 1
        if grant.protected:
            report.items.append(_decided(grant, Outcome(grant.target, SKIPPED_PROTECTED, reason=grant.protected)))
        elif grant.created is None:
            tally.skipped += 1
            report.items.append(_decided(grant, Outcome(
                grant.target, SKIPPED, reason=f"its age cannot be told ({grant.age_unknown or 'no creation time'}), "
                                              "so the grace SWEEP_MIN_AGE_HOURS cannot be honoured: not swept")))
        elif now - grant.created < rules.min_age_hours * HOUR:
            tally.skipped += 1
            report.items.append(_decided(grant, Outcome(
                grant.target, SKIPPED, reason=f"granted {max(now - grant.created, 0) / HOUR:.1f} h ago, less than "
                                              f"SWEEP_MIN_AGE_HOURS={rules.min_age_hours:g}: IAM and the service may "
                                              "not agree yet")))
        else:
            orphans.append(grant)
    return orphans


def _trip(report: Report, tally: Tally, orphans: List[Grant], grants: int, rules: Limits) -> None:
    tally.status = BREAKER_TRIPPED
    exceeded = [f"SWEEP_MAX_COUNT={rules.max_count}"] if len(orphans) > rules.max_count else []
    if len(orphans) > rules.max_fraction * grants:
        exceeded.append(f"SWEEP_MAX_FRACTION={rules.max_fraction:g} of {grants} grants "
                        f"({math.floor(rules.max_fraction * grants)})")
    tally.reason = (f"the sweep would revoke {len(orphans)} of {grants} grants, more than "
                    f"{' and '.join(exceeded)} allows: nothing was revoked in this target. Check the listings "
                    "it read before raising a limit: a listing that returns too few people looks exactly "
                    "like this")
    report.items.extend(_decided(grant, Outcome(
        grant.target, FAILED, error_code=ErrorCode.SWEEP_BREAKER_TRIPPED, error_msg=tally.reason, transient=True))
        for grant in orphans)


def _failed(report: Report, tally: Tally, listing: str, error: retry.UpstreamError) -> None:
    tally.status = FAILED_STATUS
    tally.reason = f"{listing} could not be read whole ({error.error_code}): nothing was revoked in this target"
    report.items.append(Outcome(
        {"listing": listing}, FAILED, reason=tally.reason, error_code=error.error_code, error_msg=error.error_msg,
        request_id=error.request_id, transient=True))


def _decided(grant: Optional[Grant], outcome: Outcome) -> Outcome:
    if grant is not None and grant.listing:
        outcome.details = {**outcome.details, "decided_by": grant.listing}
    return outcome


def _key(target: Mapping[str, Any]) -> Tuple[Tuple[str, str], ...]:
    return tuple(sorted((str(key), str(value)) for key, value in target.items()))
