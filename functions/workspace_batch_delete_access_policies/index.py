"""Workspace: delete access policies (BatchDeleteAccessPolicies), by id or by selection.

``DELETE /v2/{project_id}/access-policy`` with ``{"policy_id_list": [...]}`` through
``WorkspaceClient.batch_delete_access_policies`` (SDK ``huaweicloudsdkworkspace.v2``).
Request: ``{"policy_id_list": [...]}`` or ``{"select": {filters}}``, optional ``dry_run``.

An access policy is a restriction: a blacklist (ACCESS_TYPE, e.g. PRIVATE_ACCESS) keeps its users
and groups off the Internet ("restrict users … to access desktops … only using Direct Connect",
https://support.huaweicloud.com/intl/pt-br/usermanual-workspace/workspace_06_0618.html), an IP
whitelist keeps desktops to its source addresses. Deleting one
widens access, so every item says what its deletion lifts (``effect``), and a policy in force is
deleted only with ALLOW_ENABLED_POLICY_DELETION=true. Every decision rests on a complete listing
taken first: ids it does not hold are ``already_absent`` and never sent.
"""

from __future__ import annotations

from shared import cold_gc  # noqa: F401 - first: the collector waits out the cold start

# isort: split
from datetime import datetime, timezone
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from shared import fields, listing, manifest, retry, runtime, undo
from shared.batching import chunked
from shared.clients import WORKSPACE
from shared.concurrency import bounded_map
from shared.errors import InvalidRequest
from shared.outcomes import (
    ALREADY_ABSENT,
    DELETED,
    FAILED,
    SKIPPED_IN_FORCE,
    SKIPPED_PROTECTED,
    WOULD_DELETE,
    Outcome,
    Report,
)
from shared.timestamps import parse_time

MANIFEST = manifest.beside(__file__)  # its operation, actions, settings and their defaults
OPERATION = MANIFEST.operation
MAX_BATCH = 100  # policy_id_list maxItems in the API definition
LIST_PAGE, MAX_OFFSET = 100, 99  # ListAccessPolicies: limit 0-100, offset 0-99
OBJECTS_PAGE, OBJECTS_MAX_OFFSET = 2000, 1999  # ListAccessPolicyObjects: limit 0-2000, offset 0-1999
ACCESS_CONTROL_TYPES = ("ACCESS_TYPE", "IP_WHITE_LIST")
WHITELIST = "IP_WHITE_LIST"
FILTERS = ("older_than_days", "policy_name", "access_control_type", "only_disabled")
OPT_IN = "ALLOW_ENABLED_POLICY_DELETION"
Policy = Dict[str, Any]
MAX_DAYS = 100_000  # older_than_days beyond any policy's age
Effect = Dict[str, Any]


def handler(event: Any, context: Any) -> Any:
    return runtime.handle(event, context, operation=OPERATION, revoke=revoke, offboards=MANIFEST.offboards)


def revoke(invocation: runtime.Invocation) -> Report:
    protected = fields.folded(MANIFEST.value("PROTECTED_POLICY_IDS", invocation.source))
    batch_size = MANIFEST.value("POLICY_BATCH_SIZE", invocation.source)
    allow_in_force = MANIFEST.value(OPT_IN, invocation.source)
    policy_ids, selection = _request(invocation.payload)
    report = invocation.report()
    reasons: Dict[str, str] = {}
    policies: Optional[List[Policy]] = None
    if selection is not None:
        policies = _list(invocation, selection.get("access_control_type"))
        reasons = dict(_select(policies, selection))
        policy_ids = list(reasons)
        report.details["selection"] = {"filters": selection, "listed": len(policies), "matched": len(policy_ids)}
    report.items.extend(Outcome({"policy_id": p}, SKIPPED_PROTECTED, reason="listed in PROTECTED_POLICY_IDS")
                        for p in policy_ids if p.casefold() in protected)
    wanted = [p for p in policy_ids if p.casefold() not in protected]
    if not wanted:
        return report
    # A complete listing first: it is the evidence of absence, and it tells what each deletion lifts.
    listed = {p["policy_id"]: p for p in (policies if policies is not None else _list(invocation, wanted=wanted))
              if isinstance(p.get("policy_id"), str)}
    report.items.extend(Outcome({"policy_id": p}, ALREADY_ABSENT, reason=f"not in a complete listing of the "
                                f"project's access policies ({len(listed)} listed): nothing to delete")
                        for p in wanted if p not in listed)
    present = [p for p in wanted if p in listed]
    effects = dict(zip(present, bounded_map(partial(_effect, invocation), [listed[p] for p in present],
                                            invocation.settings.max_concurrency)))
    targets: List[str] = []
    for policy_id in present:
        effect, unread = effects[policy_id]
        decided = _decision(policy_id, effect, unread, allow_in_force, invocation.dry_run)
        if decided is None:
            targets.append(policy_id)
            continue
        decided.reason = _joined(reasons.get(policy_id), decided.reason)
        decided.details = {"effect": effect}
        report.items.append(decided)
    if not targets:
        return report
    client = invocation.client(WORKSPACE)
    outcomes = [outcome for batch in bounded_map(partial(_delete_batch, invocation, client),
                                                 chunked(targets, batch_size), invocation.settings.max_concurrency)
                for outcome in batch]
    invocation.reconcile(outcomes, lambda item: item.target["policy_id"], partial(_existing_ids, invocation))
    gone = {outcome.target["policy_id"] for outcome in outcomes if outcome.outcome == DELETED}
    survivors = {policy_id: policy for policy_id, policy in listed.items() if policy_id not in gone}
    for outcome in outcomes:
        policy_id = outcome.target["policy_id"]
        outcome.reason = _joined(reasons.get(policy_id), outcome.reason)
        outcome.details = {"effect": effects[policy_id][0]}
        undo.keep(outcome, _recipe(listed[policy_id], effects[policy_id][0], survivors))
    report.items.extend(outcomes)
    return report


POLICY_FIELDS = ("policy_name", "blacklist_type", "access_control_type", "ip_list", "is_enable", "is_block_all")
OBJECT_FIELDS = ("object_id", "object_type", "object_name")


def _recipe(policy: Policy, effect: Effect, survivors: Dict[str, Policy]) -> Dict[str, Any]:
    """What CreateAccessPolicy takes to create it again, from the listings read before the deletion: the policy's
    definition and the users and groups it held (a whitelist's objects are not read: it applies to no one).
    ``alike``: the policies with the same definition that stayed; being older, none is its re-creation."""
    definition = {key: policy[key] for key in POLICY_FIELDS if policy.get(key) is not None}
    alike = sorted(other for other, seen in survivors.items()
                   if {key: seen[key] for key in POLICY_FIELDS if seen.get(key) is not None} == definition)
    return {"policy_id": policy["policy_id"], "policy": definition, "alike": alike,
            "policy_objects_list": [{key: entry[key] for key in OBJECT_FIELDS if entry.get(key) is not None}
                                    for entry in effect.get("users_and_groups") or []]}


def _decision(policy_id: str, effect: Effect, unread: Optional[retry.UpstreamError], allow_in_force: bool,
              dry_run: bool) -> Optional[Outcome]:
    """The outcome of a listed policy decided without a delete call; None: delete it."""
    target = {"policy_id": policy_id}
    if effect["in_force"] and not allow_in_force:
        return Outcome(target, SKIPPED_IN_FORCE, reason="the policy is in force and deleting it widens access; set "
                       f"{OPT_IN}=true on the function to allow deleting policies in force")
    if unread is not None:  # what the deletion would lift is unknown: it is not deleted
        failure = runtime.outcome_of_failure(target, unread)
        failure.reason = _joined("not deleted: the users and groups it holds could not be read "
                                 "(ListAccessPolicyObjects), so what deleting it lifts is unknown", failure.reason)
        return failure
    return Outcome(target, WOULD_DELETE) if dry_run else None


def _joined(*parts: Optional[str]) -> Optional[str]:
    return "; ".join(part for part in parts if part) or None


def _delete_batch(invocation: runtime.Invocation, client: Any, batch: List[str]) -> List[Outcome]:
    first = _delete(invocation, client, batch)
    if first.outcome != FAILED:
        return _each(batch, first)
    # Whether a batch holding an id that is gone fails whole (404 or 400), or deletes the rest, is not
    # documented (BatchDeleteAccessPolicies lists 404 without a code): look again, then retry what remains.
    try:
        present = _existing_ids(invocation)
    except retry.UpstreamCallFailed:
        return _each(batch, first)  # cannot tell: the failure stands
    remaining = [p for p in batch if p in present]
    gone = [Outcome({"policy_id": p}, DELETED, reason=f"the batch call failed ({first.error_code}), and a complete "
                    "listing taken after it no longer holds this policy: it is gone (whether this call or "
                    "another removed it cannot be told)") for p in batch if p not in present]
    return gone + (_each(remaining, _delete(invocation, client, remaining)) if remaining else [])


def _delete(invocation: runtime.Invocation, client: Any, batch: List[str]) -> Outcome:
    sdk = WORKSPACE.sdk()
    request = sdk.BatchDeleteAccessPoliciesRequest(body=sdk.BatchDeleteAccessPoliciesReq(policy_id_list=batch))
    return invocation.attempt([{"policy_id": p} for p in batch], partial(client.batch_delete_access_policies, request),
                              operation="workspace.batch_delete_access_policies")


def _each(batch: List[str], outcome: Outcome) -> List[Outcome]:
    return [outcome.for_target({"policy_id": p}, {}) for p in batch]


def in_force(policy: Policy) -> bool:
    """An IP whitelist is in force unless it reports ``is_enable`` false; any other policy always is:
    ``is_enable`` is documented for the IP whitelist only ("whether the IP whitelist takes effect",
    default false), so what an ACCESS_TYPE policy reports there says nothing about it."""
    if (policy.get("access_control_type") or "ACCESS_TYPE") == WHITELIST:
        return policy.get("is_enable") is not False
    return True


def _effect(invocation: runtime.Invocation, policy: Policy) -> Tuple[Effect, Optional[retry.UpstreamError]]:
    """What deleting the policy lifts, and why part of it could not be read (None: all was read)."""
    kind = policy.get("access_control_type") or "ACCESS_TYPE"  # the documented default
    effect: Effect = {key: policy.get(key) for key in ("policy_name", "access_control_type", "blacklist_type")}
    effect["in_force"] = in_force(policy)
    if kind == WHITELIST:
        effect["lifts"] = "an IP whitelist: desktops become reachable from any source address"
        effect.update(ip_list=policy.get("ip_list") or [], ip_total_count=policy.get("ip_total_count"),
                      is_block_all=policy.get("is_block_all"), is_enable=policy.get("is_enable"))
        return effect, None
    effect["lifts"] = (f"a blacklist ({policy.get('blacklist_type') or 'INTERNET'}): its users and groups "
                       "may then reach desktops from that network")
    try:
        effect["users_and_groups"] = [
            {key: entry.get(key) for key in ("object_id", "object_name", "object_type", "object_domain")}
            for entry in _objects(invocation, str(policy["policy_id"]))]
    except retry.UpstreamCallFailed as failure:
        effect["users_and_groups"] = None
        effect["users_and_groups_unread"] = f"{failure.error.error_code}: {failure.error.error_msg}"
        return effect, failure.error
    return effect, None


def _objects(invocation: runtime.Invocation, policy_id: str) -> List[Dict[str, Any]]:
    """Every user and group a blacklist holds (ListAccessPolicyObjects)."""
    sdk = WORKSPACE.sdk()
    client = invocation.client(WORKSPACE)

    def page(offset: int) -> Any:
        request = sdk.ListAccessPolicyObjectsRequest(access_policy_id=policy_id, limit=OBJECTS_PAGE, offset=offset)
        return invocation.read(partial(client.list_access_policy_objects, request),
                               operation="workspace.list_access_policy_objects")

    return listing.complete(page, items="policy_objects_list", total="total",
                            what=f"ListAccessPolicyObjects of {policy_id}", max_offset=OBJECTS_MAX_OFFSET)


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
                             not 0 <= days <= MAX_DAYS):  # also NaN, infinities and integers past float
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


def _select(policies: List[Policy], selection: Dict[str, Any]) -> List[Tuple[str, str]]:
    """(policy id, why it matched) for every listed policy that passes every filter."""
    now = datetime.now(timezone.utc)
    checks: List[Callable[[Policy], Optional[str]]] = [partial(_check, name, value, now)
                                                        for name, value in selection.items()]
    matched = []
    for policy in policies:
        reasons = [check(policy) for check in checks]
        if all(reasons) and isinstance(policy.get("policy_id"), str) and policy["policy_id"]:
            matched.append((policy["policy_id"], "matched " + "; ".join(r for r in reasons if r)))
    return matched


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
        return "only_disabled (an IP whitelist with is_enable=false)" if not in_force(policy) else None
    return None


def _list(invocation: runtime.Invocation, access_control_type: Optional[str] = None,
          wanted: Sequence[str] = ()) -> List[Policy]:
    """Every access policy of the project (ListAccessPolicies), or ``retry.UpstreamCallFailed``.

    ``offset`` is at most 99: a project with more policies than the API lets a caller page through
    cannot be read whole (``FGR.IncompleteListing``), and then nothing is decided on its word.
    ``wanted``: the ids asked for; a listing that keeps moving while it is paged (other deletions) still
    serves when it showed every one of them (their presence and what they hold need no whole listing).
    """
    sdk = WORKSPACE.sdk()
    client = invocation.client(WORKSPACE)

    def page(offset: int) -> Any:
        request = sdk.ListAccessPoliciesRequest(access_control_type=access_control_type, limit=LIST_PAGE,
                                                offset=offset)
        return invocation.read(partial(client.list_access_policies, request),
                               operation="workspace.list_access_policies")

    def every_wanted_seen(seen: List[Policy]) -> bool:
        return bool(wanted) and set(wanted) <= {policy.get("policy_id") for policy in seen}

    return listing.complete(page, items="policies", total="total", what="ListAccessPolicies", max_offset=MAX_OFFSET,
                            key="policy_id", settled_by=every_wanted_seen)


def _existing_ids(invocation: runtime.Invocation) -> Set[str]:
    return {str(policy.get("policy_id")) for policy in _list(invocation)}

