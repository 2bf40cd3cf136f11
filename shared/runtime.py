"""The invocation wrapper: parse, configure, guard, run the handler's revocation, report.

A handler supplies one function ``revoke(invocation) -> Report``; everything a FunctionGraph
function needs around it (trigger parsing, settings, credentials, logs, retries, responses,
asynchronous failure semantics) lives here once.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import Counter
from typing import (
    TYPE_CHECKING,
    AbstractSet,
    Any,
    Callable,
    Collection,
    Dict,
    Hashable,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from shared import clients, cold_gc, credentials, log, manifest, redaction, response_size, retry, triggers, undo
from shared.errors import (
    ConfigurationError,
    ErrorCode,
    InternalError,
    InvalidRequest,
    PermissionDenied,
    Refused,
    RevokeError,
    TransientUpstreamFailure,
    UpstreamFailure,
)
from shared.outcomes import (
    ALREADY_ABSENT,
    DELETED,
    FAILED,
    FAILING_VERDICTS,
    NOT_ATTEMPTED,
    SKIPPED_IN_FORCE,
    SKIPPED_PROTECTED,
    Outcome,
    Report,
    Verdict,
)
from shared.settings import Settings, SettingsSource

if TYPE_CHECKING:  # imported where a scope is asked about: the default path stays as lean as before
    from shared import scope

_cold = True
_cold_lock = threading.Lock()
REPORTING_RESERVE = 1.0  # seconds kept for writing the report and the audit records
Target = Dict[str, Any]


class Invocation:
    """What a handler's ``revoke`` needs for one request."""

    def __init__(self, *, operation: str, trigger: triggers.Trigger, payload: Dict[str, Any],
                 settings: Settings, source: SettingsSource, context: Any,
                 deadline: retry.Deadline, target: Optional["scope.Target"] = None,
                 keys: Optional[credentials.Credentials] = None) -> None:
        self.operation = operation
        self.trigger = trigger
        self.payload = payload
        self.settings = settings
        self.source = source
        self.context = context
        self.deadline = deadline
        self.target = target  # None: the function's own project (the default scope)
        self.notes: List[str] = []
        self.denied: List[str] = []  # the calls answered 401/403: the actions the agency lacks here
        self.dry_run = self._dry_run()
        self._calls = 0
        self._calls_lock = threading.Lock()
        self._credentials = keys
        self._credentials_lock = threading.Lock()

    def _dry_run(self) -> bool:
        asked = self.payload.get("dry_run")
        if asked is not None and not isinstance(asked, bool):
            raise InvalidRequest("dry_run must be true or false", field="dry_run")
        if asked is False and self.settings.dry_run:
            self.notes.append("the request asked dry_run=false, but the DRY_RUN setting is on: "
                              "a request can turn dry run on, never off")
        return self.settings.dry_run or asked is True

    @property
    def offboarding(self) -> Optional[triggers.Offboarding]:
        return self.trigger.offboarding

    @property
    def checks_after(self) -> bool:
        """An offboarding (CTS, EventGrid, SMN): each service lists again afterwards that the grants are gone."""
        return self.trigger.kind in triggers.OFFBOARDING

    def keys(self) -> credentials.Credentials:
        with self._credentials_lock:
            if self._credentials is None:
                self._credentials = credentials.resolve(self.context, self.source)
            return self._credentials

    def client(self, service: clients.Service) -> Any:
        return clients.client_for(service, self.settings, self.keys())

    def call(self, fn: Callable[[], Any], *, operation: str, targets: Sequence[Target] = (),
             writes: bool = False) -> Any:
        """One SDK call with the shared retry policy; raises ``retry.UpstreamCallFailed``.

        Its audit record is written when it ends: an instance killed at its timeout still leaves a
        true record of every call it made. Writes are recorded at INFO, reads at DEBUG.
        """
        started = time.monotonic()
        attempts = [0]

        def counted() -> None:
            attempts[0] += 1
            self._count()

        record: Dict[str, Any] = {"call": operation}
        if targets:
            record["targets"] = list(targets)
        try:
            response = retry.call(fn, attempts=self.settings.max_attempts, deadline=self.deadline,
                                  base_delay=self.settings.retry_base_delay, on_attempt=counted)
        except retry.UpstreamCallFailed as failure:
            record.update(error_code=failure.error.error_code, http_status=failure.error.status_code,
                          upstream_request_id=failure.error.request_id)
            if failure.error.status_code in (401, 403):
                self.denied.append(operation)
            raise
        else:
            record.update(http_status=getattr(response, "status_code", None),
                          upstream_request_id=clients.last_request_id())
            return response
        finally:
            record.update(attempts=attempts[0], duration_ms=round((time.monotonic() - started) * 1000, 1))
            logger = log.logger()
            (logger.info if writes else logger.debug)("upstream.call", **record)

    def read(self, fn: Callable[[], Any], *, operation: str) -> Any:
        """A read call's JSON body; only a 2xx answer counts (the SDK returns a 3xx as if it were one)."""
        response = self.call(fn, operation=operation)
        status = getattr(response, "status_code", None) or 200
        if not 200 <= status < 300:
            raise retry.UpstreamCallFailed(retry.UpstreamError(
                "FGR.UnexpectedStatus", f"{operation} answered HTTP {status}, not a listing",
                clients.last_request_id(), status, False), 1)
        try:
            return response.to_json_object()
        except (ValueError, ArithmeticError, RecursionError):  # RecursionError: JSON nested past Python's stack
            raise retry.UpstreamCallFailed(retry.UpstreamError(
                "FGR.UnreadableAnswer", f"{operation} answered with a body that is not JSON it can read",
                clients.last_request_id(), status, True), 1) from None

    def _count(self) -> None:
        with self._calls_lock:
            self._calls += 1

    @property
    def upstream_calls(self) -> int:
        return self._calls

    def attempt(self, targets: Sequence[Target], fn: Callable[[], Any], *, operation: str,
                gone_codes: Collection[str] = ()) -> Outcome:
        """One revocation call -> the outcome of its targets (target of the returned Outcome: the first).

        Only a 2xx answer is evidence of deletion; only the service's documented not-found code is
        evidence of absence (``gone_codes``): any other answer, a 404 included, proves nothing.
        """
        target = targets[0] if len(targets) == 1 else {}
        try:
            response = self.call(fn, operation=operation, targets=targets, writes=True)
        except retry.UpstreamCallFailed as failure:
            return outcome_of_failure(target, failure.error, gone_codes)
        status = getattr(response, "status_code", None) or 200
        if not 200 <= status < 300:
            return Outcome(target, FAILED, error_code="FGR.UnexpectedStatus",
                           error_msg=f"the service answered HTTP {status}", request_id=clients.last_request_id(),
                           upstream_status=status)
        return Outcome(target, DELETED, request_id=clients.last_request_id())

    def reconcile(self, outcomes: List[Outcome], key: Callable[[Outcome], Hashable],
                  present: Callable[[], AbstractSet[Hashable]]) -> None:
        """After failures, look again: a target that a complete listing does not hold is gone.

        A timeout or a reset connection can hide a revocation the service did carry out; the
        result must state what access remains, not what the transport saw.
        """
        failed = [item for item in outcomes if item.outcome == FAILED]
        if not failed:
            return
        try:
            remaining = present()
        except retry.UpstreamCallFailed:
            return  # cannot tell: the failures stand
        for item in failed:
            if key(item) not in remaining:
                item.outcome, item.transient = DELETED, False
                item.reason = (f"the call failed ({item.error_code}), but a complete listing shows no access "
                               "remains")
                item.error_code = item.error_msg = None

    def report(self) -> Report:
        return Report(self.operation, self.dry_run, notes=list(self.notes))


def outcome_of_failure(target: Target, error: retry.UpstreamError, gone_codes: Collection[str] = ()) -> Outcome:
    if error.error_code in gone_codes:
        return Outcome(target, ALREADY_ABSENT, reason=f"the service answered {error.error_code}: nothing to revoke",
                       request_id=error.request_id)
    if error.error_code == retry.NOT_ATTEMPTED:
        return Outcome(target, NOT_ATTEMPTED, reason=error.error_msg, transient=True)
    return Outcome(target, FAILED, error_code=error.error_code, error_msg=error.error_msg,
                   request_id=error.request_id, transient=error.transient, upstream_status=error.status_code)


Revoke = Callable[[Invocation], Report]
RequestResult = Union[Report, RevokeError]


def handle(event: Any, context: Any, *, operation: str, revoke: Revoke,
           offboards: Union[bool, Callable[[SettingsSource], Optional[str]]] = True) -> Any:
    """Serve one invocation of any trigger kind.

    ``offboards=False`` for a function whose grants are not a person's: an IAM user deletion is then
    ignored with that reason instead of being refused as a malformed request. ``offboards`` may also
    be a function of the settings that says why IAM user deletions are ignored (None: act on them).
    """
    try:
        with redaction.invocation_scoped():  # member accounts' session keys: masked until the answer is out
            return _handle(event, context, operation, revoke, offboards)
    finally:
        cold_gc.resume()


def _handle(event: Any, context: Any, operation: str, revoke: Revoke,
            offboards: Union[bool, Callable[[SettingsSource], Optional[str]]]) -> Any:
    global _cold
    with _cold_lock:
        cold_start, _cold = _cold, False
    started = time.monotonic()
    source = SettingsSource(context)
    credentials.mask_early(context, source)
    kind = triggers.kind_of(event)
    request_id = _context_text(context, "getRequestID")
    log.configure(_log_level(source))
    log.bind_invocation(request_id=request_id, function_name=_context_text(context, "getFunctionName"),
                        operation=operation, trigger=kind, cold_start=cold_start, correlation_id=request_id)
    logger = log.logger()
    results: List[RequestResult] = []
    try:
        trigger = triggers.parse(event)
        if trigger.correlation_id:
            log.bind(correlation_id=trigger.correlation_id)
        logger.info("invocation.start", **trigger.facts)
        settings = Settings.load(source)
        ignored = trigger.ignored
        if trigger.offboarding is not None and not offboards:
            ignored = (f"{operation} does not act on IAM user deletions: what it revokes is not held by a "
                       "person; give it a TIMER, APIG, EventGrid or SMN trigger instead")
        elif trigger.offboarding is not None and callable(offboards):
            ignored = offboards(source) or ignored
        if ignored:
            logger.info("invocation.ignored", reason=ignored)
            return _respond(kind, {"operation": operation, "status": "ignored", "reason": ignored}, 200)
        deadline = retry.Deadline(_remaining_seconds(context), REPORTING_RESERVE,
                                  settings.connect_timeout + settings.read_timeout)
        for payload in trigger.payloads or ({},):
            results.append(_run_request(payload, trigger, settings, source, context, deadline, operation, revoke))
    except RevokeError as error:  # the event itself is malformed, or a setting is
        return _rejected(kind, operation, error, results, logger)
    except Exception as error:  # a defect must still end in a structured answer
        logger.exception("invocation.crashed", error_type=type(error).__name__)
        return _rejected(kind, operation, InternalError(type(error).__name__), results, logger)
    return _finish(kind, operation, results, logger, started)


def _run_request(payload: Any, trigger: triggers.Trigger, settings: Settings, source: SettingsSource, context: Any,
                 deadline: retry.Deadline, operation: str, revoke: Revoke) -> RequestResult:
    """One request of the event: its report, or why it was refused. Settings errors end the whole event."""
    if isinstance(payload, RevokeError):  # an envelope entry that could not be read
        return payload
    try:
        _guard_project(payload, settings)
        if settings.targets or "targets" in payload:
            from shared import scope  # only where the scope is asked about: the default path stays as lean as before

            asked = scope.requested(payload)
            entries = scope.narrowed(settings.scope, asked)
            payload = {key: value for key, value in payload.items() if key != "targets"}
        base = Invocation(operation=operation, trigger=trigger, payload=payload, settings=settings,
                          source=source, context=context, deadline=deadline)
        if not settings.targets:  # the default scope: the function's own project, as it always was
            result = counted(base, revoke)
            own = {"region": settings.region, "project_id": settings.project_id}
            # as before TARGETS: only an item's own 401/403 makes it denied (an optional verify's is a note)
            result.targets.append(verdict_row(own, result, base.denied, any_refusal=False))
            place(result.items, own)
            return result
        from shared import fanout  # only TARGETS brings discovery, member accounts and their SDKs

        return fanout.every_target(base, entries, asked, revoke)
    except ConfigurationError:
        raise
    except RevokeError as error:
        return error
    except retry.UpstreamCallFailed as failure:  # a listing the request depends on failed
        return UpstreamFailure(failure.error)


def counted(invocation: Invocation, revoke: Revoke) -> Report:
    try:
        result = revoke(invocation)
    finally:
        calls = invocation.upstream_calls
    result.upstream_calls = calls
    return result


def place(items: List[Outcome], where: Dict[str, str]) -> None:
    """Every item says where it was: region, project and, for a member account, account and agency
    (``scope.Target.fields``)."""
    for item in items:
        item.target = {**item.target, **where}


def verdict_row(where: Dict[str, str], report: Optional[Report] = None, denied: Sequence[str] = (),
                 verdict: Optional[Verdict] = None, reason: Optional[str] = None,
                 any_refusal: bool = True) -> Dict[str, Any]:
    """A target's row in the report: its verdict from its items, or the one given."""
    sweep = report.details.get("sweep") if report is not None else None
    if verdict is None and isinstance(sweep, dict) and sweep.get("status") == Verdict.BREAKER_TRIPPED:
        verdict, reason = Verdict.BREAKER_TRIPPED, sweep.get("reason")
    if verdict is None:
        verdict, reason = verdict_of(report.items if report else [], denied, any_refusal)
    row: Dict[str, Any] = {**where, "status": verdict}
    if reason:
        row["reason"] = reason
    if verdict is Verdict.DENIED and denied:
        row["denied_actions"] = _actions(denied)
    if report is not None:
        row["summary"] = dict(Counter(str(item.outcome) for item in report.items))
        row.update(report.details)  # e.g. a Workspace selection: what was listed and matched there
    return row


def verdict_of(items: Sequence[Outcome], denied: Sequence[str],
               any_refusal: bool = True) -> Tuple[Verdict, Optional[str]]:
    """``any_refusal``: a 401/403 to any call of the target (its evidence after included) makes it denied;
    without TARGETS only an item's own refusal does, as before."""
    failed = [item for item in items if item.outcome in (FAILED, NOT_ATTEMPTED)]
    if any_refusal and denied and not any(item.upstream_status in (401, 403) for item in failed):
        actions = _actions(denied)
        return Verdict.DENIED, f"a call was answered 401/403: the agency lacks {', '.join(actions)} here"
    if not failed:
        if items and all(item.outcome == ALREADY_ABSENT for item in items):
            return Verdict.NOTHING_HELD, ("a complete listing (or the service's not-found answer) shows nothing "
                                          "of what was asked held")
        skipped = Counter(str(item.outcome) for item in items if item.outcome in (SKIPPED_PROTECTED, SKIPPED_IN_FORCE))
        if skipped:  # left alone on purpose: not a failure, but not gone either
            return Verdict.DONE, ("everything else asked is gone; left in place on purpose: "
                                  + ", ".join(f"{count} {outcome}" for outcome, count in sorted(skipped.items())))
        return Verdict.DONE, None
    refused = [item for item in failed if item.upstream_status in (401, 403)]
    if refused:
        actions = _actions(denied) or ["(see the items)"]
        return Verdict.DENIED, (f"the service answered {refused[0].upstream_status} {refused[0].error_code}: the "
                                f"agency lacks {', '.join(actions)} here")
    unreachable = [item for item in failed if item.outcome == FAILED and _unreachable(item)]
    if unreachable:
        return Verdict.UNREACHABLE, f"{unreachable[0].error_code}: {unreachable[0].error_msg}"
    if any(item.outcome == FAILED for item in failed):
        return Verdict.FAILED, "some items failed: they say why"
    return Verdict.NOT_ATTEMPTED, failed[0].reason


def _actions(denied: Sequence[str]) -> List[str]:
    """The IAM actions the refused calls need (the call's name where no manifest says)."""
    return sorted({manifest.action_for(call) or call for call in denied})


def _unreachable(item: Outcome) -> bool:
    return item.error_code in (ErrorCode.CONNECTION_ERROR, ErrorCode.TIMEOUT) or \
        (item.upstream_status or 0) >= 500 or item.upstream_status == 429


def _finish(kind: str, operation: str, results: List[RequestResult], logger: Any, started: float) -> Any:
    reports = [result for result in results if isinstance(result, Report)]
    for report in reports:
        _audit(logger, report)
    if len(results) == 1:
        only = results[0]
        if isinstance(only, RevokeError):
            return _rejected(kind, operation, only, [], logger)
        body, status = only.to_dict(), only.http_status
    else:
        body, status = _envelope_body(operation, results)
    logger.info("invocation.done", status=body["status"], summary=body.get("summary"),
                upstream_calls=body.get("upstream_calls"), dry_run=body.get("dry_run"),
                duration_ms=round((time.monotonic() - started) * 1000, 1))
    if kind in triggers.ASYNCHRONOUS:
        _raise_for_retry(reports, results)
    return _respond(kind, body, status)


def _raise_for_retry(reports: List[Report], results: List[RequestResult]) -> None:
    """On asynchronous triggers FunctionGraph retries only a raised event: raise while a retry can help, and
    for denied targets, which a retry cannot fix, so the failure destination names them to a person."""
    retryable = [item for report in reports for item in report.retryable]
    rows = [row for report in reports for row in report.failing_targets]
    stalled = [row for row in rows if row["status"] in (Verdict.UNREACHABLE, Verdict.NOT_ATTEMPTED)
               or row.get("retryable")]
    denied = [row for row in rows if row["status"] is Verdict.DENIED]
    upstream = [result for result in results if isinstance(result, UpstreamFailure)]
    named = "; ".join(f"{_where(row)} lacks {', '.join(row.get('denied_actions') or ['a permission'])}"
                      for row in denied[:20])
    if not retryable and not upstream and not stalled:
        if denied:
            raise _scrubbed(PermissionDenied(
                f"{len(denied)} target(s) denied the function's agency: {named}; grant the actions (docs/deploy.md) "
                "and invoke again: a retry alone cannot fix it"))
        return
    total = sum(len(report.items) for report in reports)
    first = (f"{retryable[0].error_code or retryable[0].outcome} {retryable[0].error_msg or retryable[0].reason}"
             if retryable else f"{upstream[0].error_code} {upstream[0].message}" if upstream
             else f"{_where(stalled[0])} {stalled[0]['status']}: {stalled[0].get('reason')}")
    raise _scrubbed(TransientUpstreamFailure(
        f"{len(retryable)} of {total} items and {len(stalled)} target(s) are unfinished and retryable, "
        f"{len(upstream)} request(s) could not read what they act on (first: {first})"
        + (f"; denied, which a retry cannot fix: {named}" if denied else "")
        + "; the event can be retried safely: revocations are idempotent"))


def _where(row: Dict[str, Any]) -> str:
    account = f"{row['account_id']}:{row.get('agency')}@" if row.get("account_id") else ""
    return f"{account}{row.get('region')}/{row.get('project_id')}"


def _envelope_body(operation: str, results: Sequence[RequestResult]) -> "tuple[Dict[str, Any], int]":
    """Several requests in one event (EventGrid, SMN): each says what happened to it."""
    requests: List[Dict[str, Any]] = []
    items: List[Dict[str, Any]] = []
    for index, result in enumerate(results):
        if isinstance(result, Report):
            body = result.to_dict()
            items.extend({"request": index, **item} for item in body.pop("items"))
            requests.append({"request": index, **body})
        else:
            requests.append({"request": index, "status": _error_status(result), **result.to_dict()})
    statuses = {request["status"] for request in requests}
    ran = [request for request in requests if "dry_run" in request]
    if statuses <= {"succeeded", "nothing_to_do"}:
        status = "succeeded" if "succeeded" in statuses else "nothing_to_do"
    elif len(statuses) == 1:
        status = statuses.pop()
    else:
        status = "partially_failed"
    body = {"operation": operation, "status": status,
            # true only when nothing was written by any request of the event
            "dry_run": bool(ran) and all(request["dry_run"] for request in ran),
            "summary": _summed([request.get("summary", {}) for request in requests]),
            "upstream_calls": sum(request.get("upstream_calls", 0) for request in requests),
            "requests": requests, "items": items}
    errors = [result for result in results if isinstance(result, RevokeError)]
    if len(errors) == len(results):  # nothing ran: the event is refused as a whole, each reason kept
        first = errors[0]
        body.update(error_code=first.error_code, error_msg=f"every request of the event was refused; the first: "
                                                            f"{first.message}")
        return body, first.status
    return body, {"succeeded": 200, "nothing_to_do": 200, "partially_failed": 207}.get(status, 502)


def _summed(summaries: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """Items by outcome and targets by verdict, over the requests of an envelope."""
    items: "Counter[str]" = Counter()
    targets: "Counter[str]" = Counter()
    for summary in summaries:
        items.update({key: value for key, value in summary.items() if key != "targets"})
        targets.update(summary.get("targets", {}))
    return {**items, **({"targets": dict(targets)} if targets else {})}


def _rejected(kind: str, operation: str, error: RevokeError, results: List[RequestResult], logger: Any) -> Any:
    """The whole event is refused; what earlier requests of it already did is reported too."""
    error = _scrubbed(error)
    logger.error("invocation.rejected", error_code=error.error_code, error_msg=error.message,
                 field=error.field, status=error.status)
    reports = [result for result in results if isinstance(result, Report)]
    for report in reports:
        _audit(logger, report)
    if kind in triggers.ASYNCHRONOUS:
        if isinstance(error, (ConfigurationError, InternalError, UpstreamFailure)):
            raise error  # fixing the cause and letting FunctionGraph retry must be possible
        _raise_for_retry(reports, results)
    body = {"operation": operation, "status": _error_status(error), **error.to_dict()}
    if reports:
        body["completed_before_the_error"] = _envelope_body(operation, reports)[0] if len(reports) > 1 \
            else reports[0].to_dict()
    return _respond(kind, body, error.status)


def _error_status(error: RevokeError) -> str:
    return "rejected" if error.status < 500 else "error"


def _scrubbed(error: RevokeError) -> RevokeError:
    """The text of an exception that leaves the handler goes through the same masking as a log line."""
    error.message = redaction.scrub_text(error.message)
    error.args = (error.message,)
    return error


def _guard_project(payload: Dict[str, Any], settings: Settings) -> None:
    named = payload.get("project_id")
    if named is not None and named != settings.project_id:
        raise Refused("the request names another project; this function only acts on its configured "
                      "project", field="project_id")


def _audit(logger: Any, report: Optional[Report]) -> None:
    """One audit record per decision: the targets that share an outcome and an upstream call.

    ModelArts makes one call per user, so one record per user; a Workspace App call covering
    10 groups x 50 accounts is one record listing its 500 pairs, not 500 log lines. Each target keeps
    its own ``restore`` (shared/undo.py), so the audit log is a recipe for ``fgrevoke restore`` too.
    """
    groups: Dict[Tuple[Any, ...], List[Outcome]] = {}
    for item in report.items if report else ():
        shared = {key: value for key, value in item.details.items() if key not in undo.PER_TARGET}
        key = (item.outcome, item.reason, item.error_code, item.error_msg, item.request_id, item.transient,
               json.dumps(shared, sort_keys=True, default=str) if shared else "{}")
        groups.setdefault(key, []).append(item)
    for items in groups.values():
        record = {key: value for key, value in items[0].to_dict().items() if key not in undo.PER_TARGET}
        if len(items) > 1:  # a single target's fields stay at the top too (user_id=...)
            record = {key: value for key, value in record.items() if key not in items[0].target}
        targets = [{**item.target, **{key: item.details[key] for key in undo.PER_TARGET if key in item.details}}
                   for item in items]
        logger.info("revocation", targets=targets, **record)
    for row in report.targets if report and report.scoped else ():  # TARGETS: one verdict record per target
        logger.log(logging.WARNING if row["status"] in FAILING_VERDICTS else logging.INFO, "target.verdict",
                   **{key: value for key, value in row.items() if key != "summary"}, items=row.get("summary"))


def _respond(kind: str, body: Dict[str, Any], status: int) -> Dict[str, Any]:
    body = response_size.fitted(redaction.scrub(body), asynchronous=kind in triggers.ASYNCHRONOUS,
                                as_text=kind == triggers.APIG, correlation_id=log.bound("correlation_id"))
    if kind != triggers.APIG:
        return body
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body, ensure_ascii=False), "isBase64Encoded": False}


def _log_level(source: SettingsSource) -> str:
    try:
        level = (source.get("LOG_LEVEL") or "INFO").upper()
    except ConfigurationError:
        level = "INFO"
    return level if level in ("DEBUG", "INFO", "WARNING", "ERROR") else "INFO"


def _context_text(context: Any, name: str) -> Optional[str]:
    getter = getattr(context, name, None)
    try:
        value = getter() if callable(getter) else None
        return str(value)[:200] if value not in (None, "") else None
    except Exception:
        return None


def _remaining_seconds(context: Any) -> Optional[float]:
    """The invocation's remaining time; None when the context cannot tell (then no deadline applies)."""
    getter = getattr(context, "getRemainingTimeInMilliSeconds", None)
    try:
        seconds = float(getter()) / 1000.0 if callable(getter) else None
    except Exception:
        return None
    if seconds is None or math.isnan(seconds):
        return None
    return max(seconds, 0.0)
