"""ModelArts DeleteAuthorizations: take away users' ModelArts authorization.

``DELETE /v2/{project_id}/authorizations?user_id=<id|all>`` through
``ModelArtsClient.delete_authorizations`` (SDK ``huaweicloudsdkmodelarts.v1``).
Request: ``{"user_id": "..."}`` or ``{"user_ids": [...]}``, optional ``dry_run`` and ``verify``.

Two values mean every user (docs/reference/real-services.md §1.3): ``all`` (the API reference) and
``all-users`` (the name of the all-IAM-users grant in Huawei's use-case docs and Terraform provider).
Either, in any letter case or spelling with ``-``/``_``/``.``, is honoured only asked alone, with
ALLOW_ALL_USERS on and PROTECTED_USER_IDS empty, and never from an IAM user deletion.
"""

from __future__ import annotations

from shared import cold_gc  # noqa: F401 - first: the collector waits out the cold start

# isort: split
from functools import partial
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Set, Tuple

import sweep  # type: ignore[import-not-found]  # beside index.py (mypy names it functions.<folder>.sweep)

from shared import fields, listing, manifest, retry, runtime, undo
from shared import sweep as sweep_rules
from shared.clients import MODELARTS, unparsed
from shared.concurrency import bounded_map
from shared.errors import InvalidRequest, Refused
from shared.outcomes import ALREADY_ABSENT, FAILED, NOT_ATTEMPTED, SKIPPED_PROTECTED, WOULD_DELETE, Outcome, Report

MANIFEST = manifest.beside(__file__)  # its operation, actions, settings and their defaults
OPERATION = MANIFEST.operation
# The agency's least privilege: every action a call of this function needs (API reference pages).
ALL, ALL_USERS = "all", "all-users"  # the API reference's keyword; the all-IAM-users grant's user_id
PAGE_SIZE = 1000  # GetAuthorizations' largest page
# ModelArts answers "not found" with 400 ModelArts.0429 "The authorization does not exist"
# (ModelArts API reference, error codes; docs/reference/real-services.md §1.2). No other answer proves absence.
NOT_FOUND = frozenset({"ModelArts.0429"})
Entries = List[Dict[str, Any]]


def handler(event: Any, context: Any) -> Any:
    return runtime.handle(event, context, operation=OPERATION, revoke=revoke)


def everyone(user_id: str) -> Optional[str]:
    """The documented sentinel a value means (``all`` or ``all-users``), or None for an ordinary id."""
    squeezed = user_id.casefold().replace("-", "").replace("_", "").replace(".", "")
    return {"all": ALL, "allusers": ALL_USERS}.get(squeezed)


def validate_request(payload: Dict[str, Any]) -> None:
    """Raise ``InvalidRequest`` if this function would refuse the request (used by ``fgrevoke validate``)."""
    if sweep_rules.requested(payload):
        sweep_rules.validate_request(payload)
        return
    _parse(payload)


def revoke(invocation: runtime.Invocation) -> Report:
    if invocation.offboarding is None and sweep_rules.requested(invocation.payload):  # {"sweep": {...}}: sweep.py
        swept: Report = sweep.run(invocation, _authorizations, NOT_FOUND)
        return swept
    protected = fields.folded(MANIFEST.value("PROTECTED_USER_IDS", invocation.source))
    user_ids, verify = _request(invocation)
    verify = verify or invocation.checks_after
    report = invocation.report()
    if any(everyone(user_id) for user_id in user_ids):
        _guard_everyone(invocation, user_ids[0], protected)
    targets = [user_id for user_id in user_ids if user_id.casefold() not in protected]
    report.items.extend(Outcome({"user_id": user_id}, SKIPPED_PROTECTED, reason="listed in PROTECTED_USER_IDS")
                        for user_id in user_ids if user_id.casefold() in protected)
    if not targets:
        return report
    client = invocation.client(MODELARTS)
    authorized = _listing(invocation, client)
    if invocation.dry_run:
        report.items.extend(_preview(targets, authorized))
        return report
    before = _before(invocation, client)
    sdk = MODELARTS.sdk()
    outcomes = bounded_map(lambda user_id: invocation.attempt(
        [{"user_id": user_id}],
        lambda: client.delete_authorizations(sdk.DeleteAuthorizationsRequest(user_id=user_id)),
        operation="modelarts.delete_authorizations", gone_codes=NOT_FOUND),
        targets, invocation.settings.max_concurrency)
    invocation.reconcile(outcomes, lambda item: item.target["user_id"], lambda: _holders(authorized()))
    if verify:  # after reconcile: what verify finds is remaining access, not a transport failure
        _verify(outcomes, authorized, required=invocation.checks_after)
    for item in outcomes:
        undo.keep(item, *_recipe_for(item.target["user_id"], before))
    report.items.extend(outcomes)
    return report


Before = Tuple[Optional[Entries], Optional[str]]  # the listing before the deletions, or why it is missing


def _before(invocation: runtime.Invocation, client: Any) -> Before:
    """GetAuthorizations before anything is deleted: what ``restore`` needs (type, agency name) is only there.
    A failed read does not hold the revocation back; the items then say why they cannot be restored."""
    try:
        return _authorizations(invocation, client), None
    except retry.UpstreamCallFailed as failure:
        return None, f"GetAuthorizations failed before the deletion ({failure.error.error_code}): nothing was read"


def _recipe_for(user_id: str, before: Before) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    entries, unread = before
    if entries is None:
        return None, unread
    if user_id == ALL:
        grants = [_recipe(entry) for entry in entries]
        left_out = [{"user_id": entry.get("user_id"), "user_name": entry.get("user_name"), "why": why}
                    for entry, (recipe, why) in zip(entries, grants) if recipe is None]
        return {"grants": [recipe for recipe, _ in grants if recipe is not None], "left_out": left_out}, None
    held = [entry for entry in entries if entry.get("user_id") == user_id]
    if not held:
        return None, "GetAuthorizations did not list this user's grant before the deletion"
    return _recipe(held[0])


def _recipe(entry: Dict[str, Any]) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """What CreateAuthorization takes to grant it again; the type is lower-cased (the listing may answer
    AGENCY, the create API takes agency: docs/reference/account-wide.md §4)."""
    kind = str(entry.get("type") or "").lower()
    if kind != "agency":
        return None, (f"a {kind or 'typeless'} grant: GetAuthorizations does not return the secret key a "
                      "credential grant is made of, so it cannot be re-created; grant it again with the key holder's "
                      "access key and secret key")
    recipe = {"type": kind, "content": entry.get("content")}
    recipe.update({key: entry[key] for key in ("user_id", "user_name", "user_type") if entry.get(key) is not None})
    return recipe, None


def _request(invocation: runtime.Invocation) -> Tuple[List[str], bool]:
    if invocation.offboarding is not None:  # CTS deleteUser: revoke the deleted user, then check
        user_id = fields.identifier(invocation.offboarding.user_id, "cts.resource_id")
        if everyone(user_id):
            raise Refused(f"the IAM deleteUser trace names the user {user_id!r}, which ModelArts reads as every "
                          "user: an IAM user deletion never revokes everyone", field="cts.resource_id")
        return [user_id], True
    return _parse(invocation.payload)


def _parse(payload: Dict[str, Any]) -> Tuple[List[str], bool]:
    fields.reject_unknown(payload, ("user_id", "user_ids", "dry_run", "verify", "project_id"))
    verify = bool(fields.optional_bool(payload, "verify"))
    if ("user_id" in payload) == ("user_ids" in payload):
        raise InvalidRequest('give exactly one of "user_id" (one id, or "all") and "user_ids" (a list)',
                             field="user_id")
    if "user_id" in payload:
        user_id = fields.identifier(payload["user_id"], "user_id")
        return [everyone(user_id) or user_id], verify
    user_ids = fields.identifiers(payload, "user_ids") or []
    for index, user_id in enumerate(user_ids):
        if everyone(user_id):
            raise InvalidRequest(f'user_ids[{index}] is {user_id!r}, which means every user: revoking every '
                                 'user must be asked alone, as {"user_id": "all"}', field=f"user_ids[{index}]")
    return user_ids, verify


def _guard_everyone(invocation: runtime.Invocation, user_id: str, protected: FrozenSet[str]) -> None:
    if not MANIFEST.value("ALLOW_ALL_USERS", invocation.source):
        raise Refused(f'user_id "{user_id}" revokes every user\'s authorization and is refused: set '
                      "ALLOW_ALL_USERS=true on the function to allow it", field="user_id")
    if protected:
        raise Refused(f'user_id "{user_id}" would also revoke the users in PROTECTED_USER_IDS: the API '
                      "cannot spare them, so revoke the other users by id", field="user_id")



def _listing(invocation: runtime.Invocation, client: Any) -> Callable[[], Entries]:
    """GetAuthorizations (complete, or raising) at most once per invocation."""
    cache: List[Entries] = []

    def entries() -> Entries:
        if not cache:
            cache.append(_authorizations(invocation, client))
        return cache[0]

    return entries


def _holders(entries: Entries) -> Set[str]:
    """Who the listing shows authorized: user ids, plus ``all`` while any grant remains and
    ``all-users`` while the all-IAM-users grant does. Federated entries have no user_id."""
    held = {str(entry["user_id"]) for entry in entries if isinstance(entry.get("user_id"), str)}
    if entries:
        held.add(ALL)
    if any(_is_all_users_grant(entry) for entry in entries):
        held.add(ALL_USERS)
    return held


def _is_all_users_grant(entry: Dict[str, Any]) -> bool:
    return entry.get("user_id") == ALL_USERS or entry.get("user_type") == ALL_USERS


def _preview(targets: List[str], authorized: Callable[[], Entries]) -> List[Outcome]:
    """A dry run reads the listing: would_delete only for grants that exist."""
    try:
        held = _holders(authorized())
    except retry.UpstreamCallFailed as failure:
        return [runtime.outcome_of_failure({"user_id": user_id}, failure.error) for user_id in targets]
    return [Outcome({"user_id": user_id}, WOULD_DELETE) if user_id in held else
            Outcome({"user_id": user_id}, ALREADY_ABSENT, reason="GetAuthorizations does not list it")
            for user_id in targets]


def _verify(outcomes: List[Outcome], authorized: Callable[[], Entries], required: bool = False) -> None:
    """Report access that is still there after the deletions (GetAuthorizations). ``required`` (an
    offboarding): without the listing after, nothing counts as gone."""
    try:
        entries = authorized()
    except retry.UpstreamCallFailed as failure:
        for item in outcomes:
            if item.outcome == FAILED:
                continue
            if not required:
                item.reason = f"not verified: GetAuthorizations failed with {failure.error.error_code}"
                continue
            if failure.error.error_code == retry.NOT_ATTEMPTED:  # no time left to look: a retry will
                item.outcome, item.transient = NOT_ATTEMPTED, True
                item.reason = f"the deletion answered; the check after it was not started: {failure.error.error_msg}"
                continue
            item.outcome, item.error_code, item.transient = FAILED, failure.error.error_code, failure.error.transient
            item.upstream_status = failure.error.status_code
            item.error_msg = ("an offboarding checks afterwards, and GetAuthorizations failed: it cannot be told "
                              f"that the access is gone ({failure.error.error_msg})")
        return
    held = _holders(entries)
    for item in outcomes:
        if item.outcome == FAILED:
            continue
        user_id = item.target["user_id"]
        if user_id == ALL and entries:
            kinds = sorted({str(entry.get("user_type") or "unknown") for entry in entries})
            _still(item, f"GetAuthorizations still lists {len(entries)} authorization(s) (user_type "
                         f"{', '.join(kinds)}) after the deletion of every user's; delete those by id, "
                         'or with {"user_id": "all-users"} for the all-users grant', transient=False)
        elif user_id in held:
            _still(item, "GetAuthorizations still lists an authorization for this user after the deletion",
                   transient=True)
        elif user_id != ALL and ALL_USERS in held:
            _still(item, "this user's own authorization is gone, but the all-users authorization still "
                         "authorizes every IAM user, this one included: revoke it with "
                         '{"user_id": "all-users"} (needs ALLOW_ALL_USERS) to take the access away',
                   transient=False, code="FGR.AuthorizedThroughAllUsers")


def _still(item: Outcome, message: str, *, transient: bool, code: str = "FGR.StillAuthorized") -> None:
    item.outcome, item.error_code, item.error_msg, item.transient = FAILED, code, message, transient


def _authorizations(invocation: runtime.Invocation, client: Any) -> Entries:
    sdk = MODELARTS.sdk()

    def page(offset: int) -> Any:
        request = sdk.GetAuthorizationsRequest(limit=PAGE_SIZE, offset=offset)
        return invocation.read(partial(unparsed, client, "get_authorizations", request),
                               operation="modelarts.get_authorizations")

    # Federated grants have no user_id (SDK authorization_response.py: user_type federate, ...); any other
    # entry without one could be the target itself, so the listing would prove nothing.
    return listing.complete(page, items="auth", total="total_count", what="GetAuthorizations", key="user_id",
                            keyless=_federated)


def _federated(entry: Dict[str, Any]) -> bool:
    return entry.get("user_id") is None and isinstance(entry.get("user_type"), str) and \
        entry["user_type"] not in ("", "iam") and "user_name" in entry
