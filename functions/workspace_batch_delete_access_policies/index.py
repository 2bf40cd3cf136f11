"""Workspace: delete access policies (BatchDeleteAccessPolicies), by id or by selection.

``DELETE /v2/{project_id}/access-policy`` with ``{"policy_id_list": [...]}`` through
``WorkspaceClient.batch_delete_access_policies`` (SDK ``huaweicloudsdkworkspace.v2``).
Request: ``{"policy_id_list": [...]}`` or ``{"select": {filters}}``, optional ``dry_run``.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import datetime, timezone
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from shared import fields, paging, retry, runtime
from shared.batching import chunked
from shared.clients import WORKSPACE
from shared.concurrency import bounded_map
from shared.errors import InvalidRequest
from shared.outcomes import ALREADY_ABSENT, SKIPPED_PROTECTED, WOULD_DELETE, Outcome, Report

OPERATION = "workspace.batch_delete_access_policies"
# The agency's least privilege: every action a call of this function needs (API reference pages).
REQUIRED_ACTIONS = ("workspace:accessPolicies:delete", "workspace:accessPolicies:get", "elb:ipgroups:delete")
MAX_BATCH = 100  # policy_id_list maxItems in the API definition
LIST_PAGE = 100  # ListAccessPolicies' largest page
ACCESS_CONTROL_TYPES = ("ACCESS_TYPE", "IP_WHITE_LIST")
FILTERS = ("older_than_days", "policy_name", "access_control_type", "only_disabled")
Policy = Dict[str, Any]
# ISO 8601 extended: date, T or space, hh:mm[:ss[.fraction of any length]], then Z, +hh, +hhmm, +hh:mm or
# nothing (UTC).
_ISO_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
                       r"\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?")


def handler(event: Any, context: Any) -> Any:
    return runtime.handle(event, context, operation=OPERATION, revoke=revoke, offboards=False)


def revoke(invocation: runtime.Invocation) -> Report:
    protected = invocation.source.item_set("PROTECTED_POLICY_IDS")
    batch_size = invocation.source.integer("POLICY_BATCH_SIZE", MAX_BATCH, 1, MAX_BATCH)
    policy_ids, selection = _request(invocation.payload)
    report = invocation.report()
    reasons: Dict[str, str] = {}
    if selection is not None:
        matched, listed = _select(invocation, selection)
        reasons = dict(matched)
        policy_ids = list(reasons)
        report.details["selection"] = {"filters": selection, "listed": listed, "matched": len(policy_ids)}
    report.items.extend(Outcome({"policy_id": p}, SKIPPED_PROTECTED, reason="listed in PROTECTED_POLICY_IDS")
                        for p in policy_ids if p in protected)
    targets = [p for p in policy_ids if p not in protected]
    if invocation.dry_run:
        report.items.extend(Outcome({"policy_id": p}, WOULD_DELETE, reason=reasons.get(p)) for p in targets)
        return report
    client = invocation.client(WORKSPACE)
    outcomes = [outcome for batch in bounded_map(partial(_delete_batch, invocation, client),
                                                 chunked(targets, batch_size), invocation.settings.max_concurrency)
                for outcome in batch]
    invocation.reconcile(outcomes, lambda item: item.target["policy_id"], partial(_existing_ids, invocation, client))
    for outcome in outcomes:
        outcome.reason = outcome.reason or reasons.get(outcome.target["policy_id"])
    report.items.extend(outcomes)
    return report


def _delete_batch(invocation: runtime.Invocation, client: Any, batch: List[str]) -> List[Outcome]:
    first = _delete(invocation, client, batch)
    if first.outcome != ALREADY_ABSENT:
        return _each(batch, first)
    # A 404 names ids that are gone; whether the others went with them is not documented, so look.
    try:
        present = _existing_ids(invocation, client)
    except retry.UpstreamCallFailed as failure:
        return _each(batch, runtime.outcome_of_failure({}, failure.error, not_found_is_done=False))
    remaining = [p for p in batch if p in present]
    gone = [Outcome({"policy_id": p}, ALREADY_ABSENT, reason="not in the project's access policies")
            for p in batch if p not in present]
    return gone + (_each(remaining, _delete(invocation, client, remaining)) if remaining else [])


def _delete(invocation: runtime.Invocation, client: Any, batch: List[str]) -> Outcome:
    sdk = WORKSPACE.sdk()
    request = sdk.BatchDeleteAccessPoliciesRequest(body=sdk.BatchDeleteAccessPoliciesReq(policy_id_list=batch))
    return invocation.attempt({}, partial(client.batch_delete_access_policies, request))


def _each(batch: List[str], outcome: Outcome) -> List[Outcome]:
    return [replace(outcome, target={"policy_id": p}) for p in batch]


def validate_request(payload: Dict[str, Any]) -> None:
    """Raise ``InvalidRequest`` if this function would refuse the request (used by ``fgrevoke validate``)."""
    _request(payload)


def _request(payload: Dict[str, Any]) -> Tuple[List[str], Optional[Dict[str, Any]]]:
    fields.reject_unknown(payload, ("policy_id_list", "select", "dry_run", "project_id"))
    if ("policy_id_list" in payload) == ("select" in payload):
        raise InvalidRequest('give exactly one of "policy_id_list" (ids) and "select" (filters)',
                             field="policy_id_list")
    if "policy_id_list" in payload:
        return fields.identifiers(payload, "policy_id_list") or [], None
    return [], _selection(payload["select"])


def _selection(select: Any) -> Dict[str, Any]:
    if not isinstance(select, dict):
        raise InvalidRequest("select must be an object of filters", field="select")
    fields.reject_unknown(select, FILTERS, "select")
    days = select.get("older_than_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, (int, float)) or
                             not math.isfinite(days) or days < 0):
        raise InvalidRequest("select.older_than_days must be a number of days >= 0", field="select.older_than_days")
    name = select.get("policy_name")
    if name is not None and (not isinstance(name, str) or not name):
        raise InvalidRequest("select.policy_name must be a non-empty string", field="select.policy_name")
    kind = select.get("access_control_type")
    if kind is not None and kind not in ACCESS_CONTROL_TYPES:
        raise InvalidRequest(f"select.access_control_type must be one of {', '.join(ACCESS_CONTROL_TYPES)}",
                             field="select.access_control_type")
    fields.optional_bool(select, "only_disabled")
    filters = {key: value for key, value in select.items() if value is not None and value is not False}
    if not filters:  # only_disabled=false filters nothing
        raise InvalidRequest("select needs at least one filter: without one it would delete every access policy",
                             field="select")
    return filters


def _select(invocation: runtime.Invocation, selection: Dict[str, Any]) -> Tuple[List[Tuple[str, str]], int]:
    """(policy id, why it matched) for every listed policy that passes every filter."""
    policies = _list(invocation, invocation.client(WORKSPACE), selection.get("access_control_type"))
    now = datetime.now(timezone.utc)
    checks: List[Callable[[Policy], Optional[str]]] = [partial(_check, name, value, now)
                                                        for name, value in selection.items()]
    matched = []
    for policy in policies:
        reasons = [check(policy) for check in checks]
        if all(reasons) and isinstance(policy.get("policy_id"), str) and policy["policy_id"]:
            matched.append((policy["policy_id"], "matched " + "; ".join(r for r in reasons if r)))
    return matched, len(policies)


def _check(name: str, value: Any, now: datetime, policy: Policy) -> Optional[str]:
    """Why the policy passes this filter, or None."""
    if name == "older_than_days":
        created = parse_time(policy.get("create_time"))
        if created is None:
            return None  # an unreadable age never selects a policy for deletion
        age = (now - created).total_seconds() / 86400
        return f"older_than_days={value} (created {created.isoformat()}, {age:.1f} days ago)" if age > value else None
    if name == "policy_name":
        return f"policy_name={value}" if policy.get("policy_name") == value else None
    if name == "access_control_type":
        return f"access_control_type={value}" if policy.get("access_control_type") == value else None
    if name == "only_disabled":
        return "only_disabled (is_enable=false)" if policy.get("is_enable") is False else None
    return None


def _list(invocation: runtime.Invocation, client: Any, access_control_type: Optional[str] = None) -> List[Policy]:
    """Every access policy of the project (ListAccessPolicies, paging until ``total``)."""
    sdk = WORKSPACE.sdk()

    def page(offset: int) -> Any:
        request = sdk.ListAccessPoliciesRequest(access_control_type=access_control_type, limit=LIST_PAGE,
                                                offset=offset)
        return invocation.call(partial(client.list_access_policies, request)).to_json_object()

    return paging.all_entries(page, "policies", "total")


def _existing_ids(invocation: runtime.Invocation, client: Any) -> Set[str]:
    return {str(policy.get("policy_id")) for policy in _list(invocation, client)}


def parse_time(value: Any) -> Optional[datetime]:
    """create_time as ISO 8601 (``Z`` or offset, optional fraction), ``YYYY-MM-DD HH:MM:SS`` (UTC),
    or epoch seconds / milliseconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, timezone.utc)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return parse_time(int(text))
    match = _ISO_TIME.fullmatch(text)
    if match is None:
        return None
    date, minutes, second, fraction, zone = match.groups()
    # Rebuilt in the one form datetime.fromisoformat reads alike on 3.9-3.12: 3.9/3.10 take neither
    # "Z", nor "+0800", nor a fraction of other than 3 or 6 digits.
    zone = "+00:00" if zone in (None, "Z", "z") else f"{zone[:3]}:{zone[-2:] if len(zone) > 3 else '00'}"
    try:
        return datetime.fromisoformat(f"{date}T{minutes}:{second or '00'}.{(fraction or '').ljust(6, '0')[:6]}{zone}")
    except ValueError:  # out of range, e.g. month 13
        return None

