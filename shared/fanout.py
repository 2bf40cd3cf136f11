"""One request in every target of its scope (the setting TARGETS): discover, reach, run, give each a verdict.

Targets run side by side (TARGET_CONCURRENCY), each with its own ``Invocation`` whose settings name the
target's region and project, so a handler written for one project runs unchanged in each. Imported only when
TARGETS is set: the default scope loads none of this.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import Any, Dict, List, Optional, Tuple

from shared import accounts, clients, retry, runtime, scope
from shared.concurrency import bounded_map
from shared.credentials import Credentials
from shared.errors import ErrorCode, Refused, RevokeError, ServiceNotOffered
from shared.outcomes import FAILING_VERDICTS, Report, Verdict

Row = Dict[str, Any]


class _Reach:
    """Each member account's session, assumed once per request (its keys are masked like the function's)."""

    def __init__(self, base: runtime.Invocation) -> None:
        self.base = base
        self._sessions: Dict[Tuple[str, str], Any] = {}
        self._locks: Dict[Tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()

    def keys(self, account_id: Optional[str], agency: Optional[str], region: str) -> Credentials:
        """The keys for the account; raises ``retry.UpstreamCallFailed`` if AssumeAgency fails."""
        if account_id is None or agency is None:
            return self.base.keys()
        with self._lock:
            lock = self._locks.setdefault((account_id, agency), threading.Lock())
        with lock:  # targets of one account share one AssumeAgency call; other accounts go side by side
            known = self._sessions.get((account_id, agency))
            if known is None:
                try:
                    known = accounts.assume_agency(self.base.read, self._sts(region), account_id, agency,
                                                   _session_name(self.base), self.base.deadline.remaining())
                except retry.UpstreamCallFailed as failure:
                    known = failure
                self._sessions[(account_id, agency)] = known
        if isinstance(known, retry.UpstreamCallFailed):
            raise known
        return known

    def _sts(self, region: str) -> Any:
        """STS in the function's region, else in the target's (STS answers at any regional endpoint)."""
        settings = self.base.settings
        for where in dict.fromkeys((settings.region, region)):
            try:
                return clients.client_for(clients.STS, settings.placed(where, settings.project_id), self.base.keys())
            except ServiceNotOffered:
                continue
        variable = f"HUAWEICLOUD_SDK_REGION_STS_{self.base.settings.region.upper().replace('-', '_')}"
        raise retry.UpstreamCallFailed(retry.UpstreamError(
            ErrorCode.NOT_OFFERED, f"the STS SDK has no endpoint in {self.base.settings.region} or {region}: give one "
            f"with {variable}", None, None, False), 0)


def _session_name(base: runtime.Invocation) -> str:
    # 2-128 of letters, digits and _+=,.@- (AssumeAgencyReqBody.agency_session_name)
    return "fgrevoke-" + base.operation.replace(".", "-")[:100]


def every_target(base: runtime.Invocation, entries: Tuple[scope.Entry, ...],
                 asked: Optional[Tuple[scope.Entry, ...]], revoke: runtime.Revoke) -> Report:
    reach = _Reach(base)
    targets, rows = _resolve(base, reach, entries)
    if asked is not None:
        targets = _asked(targets, rows, asked)
    report = base.report()
    runs = bounded_map(partial(_in_target, base, reach, revoke), targets, base.settings.target_concurrency)
    refused = [result for result in runs if isinstance(result, RevokeError)]
    if refused and len(refused) == len(runs):
        raise refused[0]  # the request itself is refused (the same in every target, before any call of its own)
    calls = base.upstream_calls
    for target, result in zip(targets, runs):
        if isinstance(result, RevokeError):
            rows.append(runtime.verdict_row(target.fields(), verdict=Verdict.FAILED,
                                             reason=f"{result.error_code}: {result.message}"))
            continue
        sub, row = result
        rows.append(row)
        if sub is not None:
            calls += sub.upstream_calls
            runtime.place(sub.items, target.fields())
            report.items.extend(sub.items)
            report.notes.extend(note for note in sub.notes if note not in report.notes)
    report.targets, report.scoped = rows, True
    report.upstream_calls = calls
    return report


def _in_target(base: runtime.Invocation, reach: _Reach, revoke: runtime.Revoke,
               target: scope.Target) -> Any:
    """(the target's report or None, its row), or the ``RevokeError`` that refused the request there."""
    if not base.deadline.allows_a_call():
        return None, runtime.verdict_row(target.fields(), verdict=Verdict.NOT_ATTEMPTED, reason=(
            f"not started: {max(base.deadline.remaining(), 0.0):.1f} s of the invocation were left; a retry "
            "of the event will work on it"))
    try:
        keys = reach.keys(target.account_id, target.agency, target.region)
    except retry.UpstreamCallFailed as failure:
        return None, _unreachable_account(target, failure.error)
    invocation = runtime.Invocation(
        operation=base.operation, trigger=base.trigger, payload=base.payload,
        settings=base.settings.placed(target.region, target.project_id),
        source=base.source, context=base.context, deadline=base.deadline, target=target, keys=keys)
    try:
        sub = runtime.counted(invocation, revoke)
    except ServiceNotOffered as error:
        return None, runtime.verdict_row(target.fields(), verdict=Verdict.NOT_OFFERED, reason=(
            f"{error.message.split(':')[0]}: the SDK's region table has no endpoint for it, so nothing can be "
            "held there"))
    except retry.UpstreamCallFailed as failure:  # a listing it depends on failed: nothing was decided there
        counted = Report(base.operation, invocation.dry_run, upstream_calls=invocation.upstream_calls)
        return counted, _failure_row(target, failure.error, invocation.denied)
    except RevokeError as error:
        return error
    return sub, runtime.verdict_row(target.fields(), sub, invocation.denied)


def _failure_row(target: scope.Target, error: retry.UpstreamError, calls: List[str]) -> Row:
    """A target, or a discovery, whose call failed before any item: denied (naming the calls' actions),
    unreachable or failed."""
    denied = calls if error.status_code in (401, 403) else []
    verdict, reason = runtime.verdict_of([runtime.outcome_of_failure({}, error)], denied)
    row = runtime.verdict_row(target.fields(), denied=denied, verdict=verdict, reason=reason)
    row["retryable"] = bool(error.transient)
    return row


def _unreachable_account(target: scope.Target, error: retry.UpstreamError) -> Row:
    """AssumeAgency failed: a missing (404) or untrusting (401/403) agency is denied, which a retry cannot fix."""
    urn = accounts.agency_urn(target.account_id or "", target.agency or "")
    if error.status_code in (401, 403, 404) and error.error_code not in retry.GATEWAY_NOT_FOUND:
        return runtime.verdict_row(target.fields(), denied=["sts.assume_agency"], verdict=Verdict.DENIED, reason=(
            f"AssumeAgency on {urn} answered {error.status_code} {error.error_code}: the member account has no such "
            "agency, or it does not trust this account, or the function's agency lacks sts:agencies:assume"))
    return _failure_row(target, error, ["sts.assume_agency"])


def _asked(targets: List[scope.Target], rows: List[Row], asked: Tuple[scope.Entry, ...]) -> List[scope.Target]:
    """The resolved targets the request names; a project it names that the scope does not hold is refused (403),
    unless discovery that could have found it failed (its row says so)."""
    unknown = [item for item in asked if item.concrete and not any(item.matches(target) for target in targets)
               and not any(row.get("account_id") == item.account_id and row["status"] in FAILING_VERDICTS
                           for row in rows)]
    if unknown:
        raise Refused(f"target {unknown[0]} is not a project this function's scope holds (discovery did not find "
                      "it): a request may narrow TARGETS, never widen it", field="targets")
    return scope.within(targets, asked)


def _resolve(base: runtime.Invocation, reach: _Reach,
             entries: Tuple[scope.Entry, ...]) -> Tuple[List[scope.Target], List[Row]]:
    """The concrete targets, in the entries' order; a row for each wildcard entry whose projects could not be read."""
    targets: List[scope.Target] = []
    rows: List[Row] = []
    found: Dict[Tuple[Optional[str], Optional[str]], Any] = {}  # account -> its projects, or why they are unknown
    for entry in entries:
        if entry.concrete:
            targets.append(entry.target())
            continue
        account = (entry.account_id, entry.agency)
        if account not in found:
            found[account] = _projects(base, reach, account, entry.region or base.settings.region)
        where = scope.Target(entry.region or scope.ANY, scope.ANY, *account)
        if isinstance(found[account], tuple):  # each wildcard entry of the account says it was not resolved
            rows.append(_unreachable_account(where, found[account][1]) if found[account][0] == "sts"
                        else _failure_row(where, found[account][1], ["iam.keystone_list_auth_projects"]))
            continue
        targets.extend(scope.within(found[account], [entry]))
    return list(dict.fromkeys(targets)), rows


def _projects(base: runtime.Invocation, reach: _Reach, account: Tuple[Optional[str], Optional[str]],
              region: str) -> Any:
    """The account's projects (KeystoneListAuthProjects), or (the step, the error) that kept them unknown."""
    try:
        keys = reach.keys(account[0], account[1], region)
    except retry.UpstreamCallFailed as failure:
        return "sts", failure.error
    try:
        return accounts.projects(base.read, clients.client_for(clients.IAM, base.settings, keys), *account)
    except retry.UpstreamCallFailed as failure:
        return "iam", failure.error
