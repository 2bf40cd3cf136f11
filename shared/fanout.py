"""One request in every target of its scope (the setting TARGETS): discover, reach, run, give each a verdict.

Targets run side by side (TARGET_CONCURRENCY), each with its own ``Invocation`` whose settings name the
target's region and project, so a handler written for one project runs unchanged in each. Imported only when
TARGETS is set: the default scope loads none of this.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from functools import partial
from typing import Any, Dict, List, Optional, Tuple

from shared import accounts, clients, retry, runtime, scope
from shared.concurrency import bounded_map
from shared.credentials import Credentials
from shared.errors import RevokeError, ServiceNotOffered
from shared.outcomes import Report, Verdict

Row = Dict[str, Any]


class _Reach:
    """Each member account's session, assumed once per request (its keys are masked like the function's)."""

    def __init__(self, base: runtime.Invocation) -> None:
        self.base = base
        self._sessions: Dict[Tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def keys(self, account_id: Optional[str], agency: Optional[str]) -> Credentials:
        """The keys for the account; raises ``retry.UpstreamCallFailed`` if AssumeAgency fails."""
        if account_id is None or agency is None:
            return self.base.keys()
        with self._lock:  # concurrent targets of one account share one AssumeAgency call
            known = self._sessions.get((account_id, agency))
            if known is None:
                try:
                    known = accounts.assume_agency(self.base.read, self.base.client(clients.STS), account_id, agency,
                                                   _session_name(self.base), self.base.deadline.remaining())
                except retry.UpstreamCallFailed as failure:
                    known = failure
                self._sessions[(account_id, agency)] = known
        if isinstance(known, retry.UpstreamCallFailed):
            raise known
        return known


def _session_name(base: runtime.Invocation) -> str:
    # 2-128 of letters, digits and _+=,.@- (AssumeAgencyReqBody.agency_session_name)
    return "fgrevoke-" + base.operation.replace(".", "-")[:100]


def every_target(base: runtime.Invocation, entries: Tuple[scope.Entry, ...], revoke: runtime.Revoke) -> Report:
    reach = _Reach(base)
    targets, rows = _resolve(base, reach, entries)
    report = base.report()
    runs = bounded_map(partial(_in_target, base, reach, revoke), targets, base.settings.target_concurrency)
    refused = [result for result in runs if isinstance(result, RevokeError)]
    if refused and len(refused) == len(runs) and not any(isinstance(r, Report) and r.upstream_calls for r in runs):
        raise refused[0]  # the request itself is refused (the same in every target)
    calls = base.upstream_calls
    for target, result in zip(targets, runs):
        if isinstance(result, RevokeError):
            rows.append(runtime.verdict_row(target, verdict=Verdict.FAILED,
                                             reason=f"{result.error_code}: {result.message}"))
            continue
        sub, row = result
        rows.append(row)
        if sub is not None:
            calls += sub.upstream_calls
            runtime.place(sub.items, target)
            report.items.extend(sub.items)
            report.notes.extend(note for note in sub.notes if note not in report.notes)
    report.targets, report.scoped = rows, True
    report.upstream_calls = calls
    return report


def _in_target(base: runtime.Invocation, reach: _Reach, revoke: runtime.Revoke,
               target: scope.Target) -> Any:
    """(the target's report or None, its row), or the ``RevokeError`` that refused the request there."""
    if not base.deadline.allows_a_call():
        return None, runtime.verdict_row(target, verdict=Verdict.NOT_ATTEMPTED, reason=(
            f"not started: {max(base.deadline.remaining(), 0.0):.1f} s of the invocation were left; a retry "
            "of the event will work on it"))
    try:
        keys = reach.keys(target.account_id, target.agency)
    except retry.UpstreamCallFailed as failure:
        return None, _unreachable_account(target, failure.error)
    invocation = runtime.Invocation(
        operation=base.operation, trigger=base.trigger, payload=base.payload,
        settings=replace(base.settings, region=target.region, project_id=target.project_id),
        source=base.source, context=base.context, deadline=base.deadline, target=target, keys=keys)
    try:
        sub = runtime.counted(invocation, revoke)
    except ServiceNotOffered as error:
        return None, runtime.verdict_row(target, verdict=Verdict.NOT_OFFERED, reason=(
            f"{error.message.split(':')[0]}: the SDK's region table has no endpoint for it, so nothing can be "
            "held there"))
    except retry.UpstreamCallFailed as failure:  # a listing it depends on failed: nothing was decided there
        counted = Report(base.operation, invocation.dry_run, upstream_calls=invocation.upstream_calls)
        return counted, _failure_row(target, failure.error, invocation.denied)
    except RevokeError as error:
        return error
    return sub, runtime.verdict_row(target, sub, invocation.denied)


def _failure_row(target: scope.Target, error: retry.UpstreamError, calls: List[str]) -> Row:
    """A target, or a discovery, whose call failed before any item: denied (naming the calls' actions),
    unreachable or failed."""
    denied = calls if error.status_code in (401, 403) else []
    verdict, reason = runtime.verdict_of([runtime.outcome_of_failure({}, error)], denied)
    row = runtime.verdict_row(target, denied=denied, verdict=verdict, reason=reason)
    row["retryable"] = bool(error.transient)
    return row


def _unreachable_account(target: scope.Target, error: retry.UpstreamError) -> Row:
    """AssumeAgency failed: a missing (404) or untrusting (401/403) agency is denied, which a retry cannot fix."""
    urn = accounts.agency_urn(target.account_id or "", target.agency or "")
    if error.status_code in (401, 403, 404):
        return runtime.verdict_row(target, denied=["sts.assume_agency"], verdict=Verdict.DENIED, reason=(
            f"AssumeAgency on {urn} answered {error.status_code} {error.error_code}: the member account has no such "
            "agency, or it does not trust this account, or the function's agency lacks sts:agencies:assume"))
    return _failure_row(target, error, ["sts.assume_agency"])


def _resolve(base: runtime.Invocation, reach: _Reach,
             entries: Tuple[scope.Entry, ...]) -> Tuple[List[scope.Target], List[Row]]:
    """The concrete targets, in the entries' order; a row for each account whose projects could not be read."""
    targets: List[scope.Target] = []
    rows: List[Row] = []
    found: Dict[Tuple[Optional[str], Optional[str]], List[scope.Target]] = {}
    for entry in entries:
        if entry.concrete:
            targets.append(entry.target())
            continue
        account = (entry.account_id, entry.agency)
        if account not in found:
            found[account] = []
            where = scope.Target(entry.region or scope.ANY, scope.ANY, *account)
            try:
                keys = reach.keys(*account)
            except retry.UpstreamCallFailed as failure:
                rows.append(_unreachable_account(where, failure.error))
                continue
            try:
                client = clients.client_for(clients.IAM, base.settings, keys)
                found[account] = accounts.projects(base.read, client, *account)
            except retry.UpstreamCallFailed as failure:
                rows.append(_failure_row(where, failure.error, ["iam.keystone_list_auth_projects"]))
        targets.extend(scope.within(found[account], [entry]))
    return list(dict.fromkeys(targets)), rows
