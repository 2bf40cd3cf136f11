"""ModelArts DeleteAuthorizations: take away users' ModelArts authorization.

``DELETE /v2/{project_id}/authorizations?user_id=<id|all>`` through
``ModelArtsClient.delete_authorizations`` (SDK ``huaweicloudsdkmodelarts.v1``).
Request: ``{"user_id": "..."}`` or ``{"user_ids": [...]}``, optional ``dry_run`` and ``verify``.
"""

from __future__ import annotations

from functools import partial
from typing import AbstractSet, Any, Callable, Dict, List, Set

from shared import fields, paging, retry, runtime
from shared.clients import MODELARTS
from shared.concurrency import bounded_map
from shared.errors import InvalidRequest, Refused
from shared.outcomes import FAILED, SKIPPED_PROTECTED, WOULD_DELETE, Outcome, Report

OPERATION = "modelarts.delete_authorizations"
# The agency's least privilege: every action a call of this function needs (API reference pages).
REQUIRED_ACTIONS = ("modelarts:authorization:delete", "modelarts:authorization:list")
ALL_USERS = "all"
PAGE_SIZE = 1000  # GetAuthorizations' largest page


def handler(event: Any, context: Any) -> Any:
    return runtime.handle(event, context, operation=OPERATION, revoke=revoke)


def revoke(invocation: runtime.Invocation) -> Report:
    protected = invocation.source.item_set("PROTECTED_USER_IDS")
    user_ids, verify = _request(invocation)
    report = invocation.report()
    if user_ids == [ALL_USERS]:
        _guard_all_users(invocation, protected)
    targets = [user_id for user_id in user_ids if user_id not in protected]
    report.items.extend(Outcome({"user_id": user_id}, SKIPPED_PROTECTED, reason="listed in PROTECTED_USER_IDS")
                        for user_id in user_ids if user_id in protected)
    if invocation.dry_run:
        report.items.extend(Outcome({"user_id": user_id}, WOULD_DELETE) for user_id in targets)
        return report
    client = invocation.client(MODELARTS)
    sdk = MODELARTS.sdk()
    outcomes = bounded_map(lambda user_id: invocation.attempt(
        {"user_id": user_id},
        lambda: client.delete_authorizations(sdk.DeleteAuthorizationsRequest(user_id=user_id))),
        targets, invocation.settings.max_concurrency)
    listing = _listing(invocation, client)
    if verify:
        _verify(outcomes, listing)
    invocation.reconcile(outcomes, lambda item: item.target["user_id"],
                         lambda: listing() | ({ALL_USERS} if listing() else set()))
    report.items.extend(outcomes)
    return report


def validate_request(payload: Dict[str, Any]) -> None:
    """Raise ``InvalidRequest`` if this function would refuse the request (used by ``fgrevoke validate``)."""
    _parse(payload)


def _request(invocation: runtime.Invocation) -> "tuple[List[str], bool]":
    if invocation.offboarding is not None:  # CTS deleteUser: revoke the deleted user, then check
        return [fields.identifier(invocation.offboarding.user_id, "cts.resource_id")], True
    return _parse(invocation.payload)


def _parse(payload: Dict[str, Any]) -> "tuple[List[str], bool]":
    fields.reject_unknown(payload, ("user_id", "user_ids", "dry_run", "verify", "project_id"))
    verify = bool(fields.optional_bool(payload, "verify"))
    if ("user_id" in payload) == ("user_ids" in payload):
        raise InvalidRequest('give exactly one of "user_id" (one id, or "all") and "user_ids" (a list)',
                             field="user_id")
    if "user_id" in payload:
        user_id = payload["user_id"]
        if isinstance(user_id, str) and user_id.lower() == ALL_USERS:
            return [ALL_USERS], verify
        return [fields.identifier(user_id, "user_id")], verify
    user_ids = fields.identifiers(payload, "user_ids") or []
    for index, user_id in enumerate(user_ids):
        if user_id.lower() == ALL_USERS:
            raise InvalidRequest(f'user_ids[{index}] is "all": revoking every user must be asked '
                                 'alone, as {"user_id": "all"}', field=f"user_ids[{index}]")
    return user_ids, verify


def _guard_all_users(invocation: runtime.Invocation, protected: AbstractSet[str]) -> None:
    if not invocation.source.flag("ALLOW_ALL_USERS", False):
        raise Refused('user_id "all" revokes every user\'s authorization and is refused: set '
                      "ALLOW_ALL_USERS=true on the function to allow it", field="user_id")
    if protected:
        raise Refused('user_id "all" would also revoke the users in PROTECTED_USER_IDS: the API '
                      "cannot spare them, so revoke the other users by id", field="user_id")


def _listing(invocation: runtime.Invocation, client: Any) -> Callable[[], Set[str]]:
    """GetAuthorizations at most once per invocation, shared by verify and reconcile."""
    cache: List[Set[str]] = []

    def user_ids() -> Set[str]:
        if not cache:
            cache.append(_authorized_user_ids(invocation, client))
        return cache[0]

    return user_ids


def _verify(outcomes: List[Outcome], listing: Callable[[], Set[str]]) -> None:
    """Report access that is still there after the deletions (GetAuthorizations)."""
    try:
        remaining = listing()
    except retry.UpstreamCallFailed as failure:
        for item in outcomes:
            if item.outcome != FAILED:
                item.reason = f"not verified: GetAuthorizations failed with {failure.error.error_code}"
        return
    for item in outcomes:
        user_id = item.target["user_id"]
        still_there = bool(remaining) if user_id == ALL_USERS else user_id in remaining
        if still_there and item.outcome != FAILED:
            item.outcome, item.error_code, item.transient = FAILED, "FGR.StillAuthorized", True
            item.error_msg = "GetAuthorizations still lists an authorization for this user after the deletion"


def _authorized_user_ids(invocation: runtime.Invocation, client: Any) -> Set[str]:
    sdk = MODELARTS.sdk()

    def page(number: int) -> Any:
        request = sdk.GetAuthorizationsRequest(limit=PAGE_SIZE, offset=number)
        return invocation.call(partial(client.get_authorizations, request)).to_json_object()

    # The API documents offset as the start *page* of the list, not an item index.
    entries = paging.all_entries(page, "auth", "total_count", by_page=True)
    return {str(entry["user_id"]) for entry in entries if entry.get("user_id")}
