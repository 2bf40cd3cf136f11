"""The invocation wrapper: parse, configure, guard, run the handler's revocation, report.

A handler supplies one function ``revoke(invocation) -> Report``; everything a FunctionGraph
function needs around it (trigger parsing, settings, credentials, logs, retries, responses,
asynchronous failure semantics) lives here once.
"""

from __future__ import annotations

import json
import threading
import time
from typing import AbstractSet, Any, Callable, Dict, Hashable, List, Optional, Tuple

from shared import clients, credentials, log, redaction, retry, triggers
from shared.errors import ConfigurationError, InvalidRequest, Refused, RevokeError, TransientUpstreamFailure
from shared.outcomes import ALREADY_ABSENT, DELETED, FAILED, Outcome, Report
from shared.settings import Settings, SettingsSource

_cold = True
_cold_lock = threading.Lock()


class Invocation:
    """What a handler's ``revoke`` needs for one request."""

    def __init__(self, *, operation: str, trigger: triggers.Trigger, payload: Dict[str, Any],
                 settings: Settings, source: SettingsSource, context: Any,
                 deadline: retry.Deadline) -> None:
        self.operation = operation
        self.trigger = trigger
        self.payload = payload
        self.settings = settings
        self.source = source
        self.context = context
        self.deadline = deadline
        self.notes: List[str] = []
        self.dry_run = self._dry_run()
        self._calls = 0
        self._calls_lock = threading.Lock()
        self._credentials: Optional[credentials.Credentials] = None

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

    def client(self, service: clients.Service) -> Any:
        if self._credentials is None:
            self._credentials = credentials.resolve(self.context, self.source)
        return clients.client_for(service, self.settings, self._credentials)

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run one SDK call with the shared retry policy; raises ``retry.UpstreamCallFailed``."""
        return retry.call(fn, attempts=self.settings.max_attempts, deadline=self.deadline,
                          base_delay=self.settings.retry_base_delay, on_attempt=self._count)

    def _count(self) -> None:
        with self._calls_lock:
            self._calls += 1

    @property
    def upstream_calls(self) -> int:
        return self._calls

    def attempt(self, target: Dict[str, Any], fn: Callable[[], Any], *,
                not_found_is_done: bool = True) -> Outcome:
        """One revocation call -> its outcome. A 404 means the grant is already gone."""
        try:
            response = self.call(fn)
        except retry.UpstreamCallFailed as failure:
            return outcome_of_failure(target, failure.error, not_found_is_done)
        status = getattr(response, "status_code", None) or 200
        if not 200 <= status < 300:  # the SDK returns a 3xx as if it were a success (sdk.md §3)
            return Outcome(target, FAILED, error_code="FGR.UnexpectedStatus",
                           error_msg=f"the service answered HTTP {status}", request_id=clients.last_request_id())
        return Outcome(target, DELETED, request_id=clients.last_request_id())

    def reconcile(self, outcomes: List[Outcome], key: Callable[[Outcome], Hashable],
                  present: Callable[[], AbstractSet[Hashable]]) -> None:
        """After failures, look again: a target that is gone is reported gone.

        A timeout or a reset connection can hide a revocation the service did carry out; the
        result must state what access remains, not what the transport saw.
        """
        failed = [item for item in outcomes if item.outcome == FAILED]
        if not failed:
            return
        try:
            remaining = present()
        except retry.UpstreamCallFailed:
            return  # cannot look: the failures stand
        for item in failed:
            if key(item) not in remaining:
                item.outcome, item.transient = DELETED, False
                item.reason = (f"the call failed ({item.error_code}), but a fresh listing shows no access "
                               "remains")
                item.error_code = item.error_msg = None

    def report(self) -> Report:
        return Report(self.operation, self.dry_run, notes=list(self.notes))


def outcome_of_failure(target: Dict[str, Any], error: retry.UpstreamError,
                       not_found_is_done: bool = True) -> Outcome:
    if not_found_is_done and error.status_code == 404:
        return Outcome(target, ALREADY_ABSENT, reason="the service answered 404: nothing to revoke",
                       request_id=error.request_id)
    return Outcome(target, FAILED, error_code=error.error_code, error_msg=error.error_msg,
                   request_id=error.request_id, transient=error.transient)


Revoke = Callable[[Invocation], Report]


def handle(event: Any, context: Any, *, operation: str, revoke: Revoke, offboards: bool = True) -> Any:
    """Serve one invocation of any trigger kind.

    ``offboards=False`` for a function whose grants are not a person's: an IAM user deletion is then
    ignored with that reason instead of being refused as a malformed request.
    """
    global _cold
    with _cold_lock:
        cold_start, _cold = _cold, False
    started = time.monotonic()
    source = SettingsSource(context)
    kind = triggers.kind_of(event)
    log.configure(_log_level(source))
    request_id = _context_text(context, "getRequestID")
    log.bind_invocation(request_id=request_id, function_name=_context_text(context, "getFunctionName"),
                        operation=operation, trigger=kind, cold_start=cold_start, correlation_id=request_id)
    logger = log.logger()
    report: Optional[Report] = None
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
        if ignored:
            logger.info("invocation.ignored", reason=ignored)
            return _respond(kind, {"operation": operation, "status": "ignored", "reason": ignored}, 200)
        deadline = retry.Deadline(_remaining_seconds(context))
        report = Report(operation, settings.dry_run)
        for payload in trigger.payloads or ({},):
            _guard_project(payload, settings)
            invocation = Invocation(operation=operation, trigger=trigger, payload=payload,
                                    settings=settings, source=source, context=context, deadline=deadline)
            result = revoke(invocation)
            result.upstream_calls = invocation.upstream_calls
            report.extend(result)
    except RevokeError as error:
        logger.error("invocation.rejected", error_code=error.error_code, error_msg=error.message,
                     field=error.field, status=error.status)
        if kind in triggers.ASYNCHRONOUS and isinstance(error, ConfigurationError):
            _audit(logger, report)
            raise  # fixing the setting and letting FunctionGraph retry must be possible
        return _respond(kind, _error_body(operation, error, report, logger), error.status)
    except Exception as error:  # a defect must still end in a structured answer
        logger.exception("invocation.crashed", error_type=type(error).__name__)
        internal = RevokeError(f"internal error ({type(error).__name__}); see the function log")
        internal.error_code = "FGR.InternalError"
        if kind in triggers.ASYNCHRONOUS:
            _audit(logger, report)
            raise internal from None
        return _respond(kind, _error_body(operation, internal, report, logger), 500)
    _audit(logger, report)
    body = report.to_dict()
    logger.info("invocation.done", status=report.status, summary=body["summary"],
                upstream_calls=report.upstream_calls, dry_run=report.dry_run,
                duration_ms=round((time.monotonic() - started) * 1000, 1))
    if trigger.asynchronous:
        transient = [item for item in report.failed if item.transient]
        if transient:
            raise TransientUpstreamFailure(
                f"{len(transient)} of {len(report.items)} targets failed with retryable errors "
                f"(first: {transient[0].error_code} {transient[0].error_msg}); "
                "the event can be retried safely: revocations are idempotent")
    return _respond(kind, body, report.http_status)


def _guard_project(payload: Dict[str, Any], settings: Settings) -> None:
    named = payload.get("project_id")
    if named is not None and named != settings.project_id:
        raise Refused("the request names another project; this function only acts on its configured "
                      "project", field="project_id")


def _audit(logger: Any, report: Optional[Report]) -> None:
    """One audit record per decision: the targets that share an outcome and an upstream call.

    ModelArts makes one call per user, so one record per user; a Workspace App call covering
    10 groups x 50 accounts is one record listing its 500 pairs, not 500 log lines.
    """
    groups: Dict[Tuple[Any, ...], List[Outcome]] = {}
    for item in report.items if report else ():
        key = (item.outcome, item.reason, item.error_code, item.error_msg, item.request_id, item.transient)
        groups.setdefault(key, []).append(item)
    for items in groups.values():
        record = items[0].to_dict()  # a single target's fields stay at the top too (user_id=...)
        if len(items) > 1:
            record = {key: value for key, value in record.items() if key not in items[0].target}
        logger.info("revocation", targets=[item.target for item in items], **record)


def _respond(kind: str, body: Dict[str, Any], status: int) -> Dict[str, Any]:
    body = redaction.scrub(body)
    if kind != triggers.APIG:
        return body
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body, ensure_ascii=False), "isBase64Encoded": False}


def _error_body(operation: str, error: RevokeError, done: Optional[Report], logger: Any) -> Dict[str, Any]:
    """The error, and what earlier requests of the same event already did (an envelope of several)."""
    body = {"operation": operation, "status": "rejected" if error.status < 500 else "error", **error.to_dict()}
    if done is not None and done.items:
        _audit(logger, done)
        body["completed_before_the_error"] = done.to_dict()
    return body


def _log_level(source: SettingsSource) -> str:
    level = (source.get("LOG_LEVEL") or "INFO").upper()
    return level if level in ("DEBUG", "INFO", "WARNING", "ERROR") else "INFO"


def _context_text(context: Any, name: str) -> Optional[str]:
    getter = getattr(context, name, None)
    try:
        value = getter() if callable(getter) else None
    except Exception:
        return None
    return str(value) if value not in (None, "") else None


def _remaining_seconds(context: Any) -> Optional[float]:
    getter = getattr(context, "getRemainingTimeInMilliSeconds", None)
    try:
        return float(getter()) / 1000.0 if callable(getter) else None
    except (TypeError, ValueError):
        return None
