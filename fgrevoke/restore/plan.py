"""Decide per grant, per target, then (with ``apply``) create again what is missing.

Targets are the report's own (``region``, ``project_id``, and for a member account ``account_id`` and
``agency``); an item without them is placed in the fallback region and project given on the command line.
Each target's current listing is read before any create call: a grant listed the same is ``already_present``
and nothing is sent for it, so a second restore sends nothing.
"""

from __future__ import annotations

import importlib
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, List, Optional, Tuple

from fgrevoke.restore import services
from fgrevoke.restore.reading import Place, Reading, Revoked
from fgrevoke.restore.services import FAILED, NOT_RESTORABLE, WOULD_RESTORE, Caller, Step
from shared import accounts, clients, retry
from shared.credentials import Credentials
from shared.settings import Settings

SESSION_NAME = "fgrevoke-restore"


@dataclass
class Target:
    """One service in one place: its steps, and the endpoint its calls go to."""

    operation: str
    place: Place
    steps: List[Step] = field(default_factory=list)
    endpoints: List[str] = field(default_factory=list)
    problem: Optional[str] = None  # why nothing could be read or sent there

    def to_dict(self) -> Dict[str, Any]:
        body: Dict[str, Any] = {"operation": self.operation, **self.place.fields(), "endpoints": self.endpoints,
                                "summary": dict(Counter(step.outcome for step in self.steps))}
        if self.problem:
            body["problem"] = self.problem
        return body


Announce = Callable[[Target], None]  # told before the first call to a target's endpoint


def plan(reading: Reading, fallback: Place) -> List[Target]:
    targets: Dict[Tuple[str, Place], Target] = {}
    for revoked in reading.revoked:
        place = Place(revoked.place.region or fallback.region, revoked.place.project_id or fallback.project_id,
                      revoked.place.account_id, revoked.place.agency)
        target = targets.setdefault((revoked.operation, place), Target(revoked.operation, place))
        target.steps.extend(_steps(replace(revoked, place=place)))
    return list(targets.values())


def _steps(revoked: Revoked) -> List[Step]:
    grants = services.BY_OPERATION.get(revoked.operation)
    if grants is None:
        return [Step(revoked, revoked.what, None, NOT_RESTORABLE, f"{revoked.operation} is not a function of "
                                                                 "fgrevoke's: nothing knows how to restore it")]
    if revoked.recipe is None:
        return [Step(revoked, revoked.what, None, NOT_RESTORABLE, revoked.why or "the report's restore is null")]
    return grants.expand(revoked)


def run(targets: List[Target], keys: Callable[[], Credentials], *, apply: bool, announce: Announce,
        caller: Caller, home: Optional[Place] = None) -> None:
    """Read each target's listing (and with ``apply``, create what is missing there).

    ``home``: a region and project of the keys' own account, where STS AssumeAgency is called for member
    accounts (default: the first place of the own account's among the targets)."""
    sessions: Dict[Tuple[str, str], Credentials] = {}
    home = home if home and home.region and home.project_id else \
        next((t.place for t in targets if t.place.account_id is None and t.place.region and t.place.project_id), None)
    for target in targets:
        pending = [step for step in target.steps if step.outcome == WOULD_RESTORE]
        if not pending:
            continue
        grants = services.BY_OPERATION[target.operation]
        if not target.place.region or not target.place.project_id:
            _unplaced(target, pending)
            continue
        settings = _settings(target.place)
        try:
            target.endpoints = _endpoints(grants.service, target.place.region)
        except KeyError:
            _stop(target, pending, f"the SDK has no {grants.service.client_class[:-6]} endpoint in region "
                                   f"{target.place.region}: set HUAWEICLOUD_SDK_REGION_{grants.service.env_name}_"
                                   f"{target.place.region.upper().replace('-', '_')}")
            continue
        announce(target)
        try:
            credentials = _keys_for(target.place, keys, home, caller, sessions)
            client = clients.client_for(grants.service, settings, credentials)
            grants.decide(caller, client, pending)
        except retry.UpstreamCallFailed as failure:
            for step in pending:
                step.fail(failure.error, "reading what is there now (nothing was sent)")
            target.problem = f"{failure.error.error_code}: {failure.error.error_msg}"
            continue
        missing = [step for step in pending if step.outcome == WOULD_RESTORE]
        if apply and missing:
            grants.apply(caller, client, missing)


def _keys_for(place: Place, keys: Callable[[], Credentials], home: Optional[Place], caller: Caller,
              sessions: Dict[Tuple[str, str], Credentials]) -> Credentials:
    """The keys for the place: the command's own, or for a member account its agency's session (STS
    AssumeAgency, called in a project of the own account, once per account and agency)."""
    base = keys()
    if place.account_id is None or place.agency is None:
        return base
    if home is None:
        raise retry.UpstreamCallFailed(retry.UpstreamError(
            "FGR.NoTarget", "a member account's agency is assumed in a project of your own account: give --region "
                            "and --project-id (one of your own account's)", None, None, False), 1)
    known = sessions.get((place.account_id, place.agency))
    if known is None:
        sts = clients.client_for(clients.STS, _settings(home), base)
        known = accounts.assume_agency(caller.read, sts, place.account_id, place.agency, SESSION_NAME, 3600.0)
        sessions[(place.account_id, place.agency)] = known
    return known


def _settings(place: Place) -> Settings:
    assert place.region is not None and place.project_id is not None
    return Settings(region=place.region, project_id=place.project_id, dry_run=False, log_level="WARNING",
                    max_concurrency=1, max_attempts=3, retry_base_delay=0.5, connect_timeout=10.0, read_timeout=30.0)


def _endpoints(service: clients.Service, region: str) -> List[str]:
    """Where the SDK sends the service's calls in the region (HUAWEICLOUD_SDK_REGION_* overrides applied)."""
    service.sdk()
    region_class = getattr(importlib.import_module(service.region_module), service.region_class)
    return list(region_class.value_of(region).endpoints)


def _unplaced(target: Target, steps: List[Step]) -> None:
    _stop(target, steps, "the report does not say its region or project, and none was given: give --region and "
                         "--project-id (or region and project_id in fgrevoke.toml)")


def _stop(target: Target, steps: List[Step], why: str) -> None:
    target.problem = why
    for step in steps:
        step.outcome, step.error_code, step.error_msg = FAILED, "FGR.NoTarget", why


def summary(targets: List[Target]) -> Dict[str, int]:
    return dict(Counter(step.outcome for target in targets for step in target.steps))
