"""The Workspace App sweep: remove application-group authorizations whose account no longer exists
(shared/sweep.py).

Grants: ListAppGroupAuthorization without filters, whole. Who exists (Workspace, a separate SDK and
endpoint from Workspace App: docs/reference/sweep.md): a ``USER`` account is a Workspace user of the
project (Workspace ListUsers, every page, by ``user_name``), a ``USER_GROUP`` is a Workspace user group
(ListUserGroups, every page, by the entry's ``account_id``). Per-application grants, other account
types and entries without the fields a removal needs are ``skipped`` with the reason. Removal is
today's: BatchDeleteAppGroupAuthorization in the fewest calls (10 groups x 50 accounts), groups deleted
meanwhile found by ListAppGroup, a fresh listing to reconcile failures, and, since a removal answers 200
whether or not anything changed, one more listing afterwards that shows each ``deleted`` pair gone.
"""

from __future__ import annotations

from functools import partial
from typing import AbstractSet, Any, Callable, Dict, List, Mapping, NamedTuple, Set, Tuple

from shared import fields, listing, manifest, retry, runtime
from shared import sweep as rules
from shared.batching import grid
from shared.clients import WORKSPACE, WORKSPACEAPP, unparsed
from shared.concurrency import bounded_map
from shared.errors import ErrorCode
from shared.outcomes import DELETED, FAILED, Outcome, Report
from shared.timestamps import epoch_seconds

MANIFEST = manifest.beside(__file__)
GRANTS = "Workspace App ListAppGroupAuthorization"
USERS = "Workspace ListUsers"
USER_GROUPS = "Workspace ListUserGroups"
PAGE = 100  # ListAppGroupAuthorization's and ListUserGroups' largest page; ListUsers documents none
MAX_GROUPS_PER_CALL, MAX_ACCOUNTS_PER_CALL = 10, 50
Call = Tuple[List[str], List[Any]]


class Removal(NamedTuple):
    """The handler's own removal path (index.py), so that a sweep removes exactly as a request does."""

    account: Callable[..., Any]  # Account(info): the AccountInfo sent
    remove: Callable[[runtime.Invocation, Any, Call], List[Outcome]]  # one call, its pairs' outcomes
    resend: Callable[[runtime.Invocation, Any, List[Call], List[List[Outcome]]], None]  # groups deleted meanwhile


def run(invocation: runtime.Invocation, removal: Removal) -> Report:
    client = invocation.client(WORKSPACEAPP)
    protected = fields.folded(MANIFEST.value("PROTECTED_ACCOUNTS", invocation.source))
    return rules.run(invocation, (GRANTS, lambda: [grant(entry, protected) for entry in _authorizations(invocation,
                                                                                                        client)]),
                     {USERS: partial(_users, invocation), USER_GROUPS: partial(_user_groups, invocation)},
                     partial(_revoke, invocation, client, removal))


def grant(entry: Dict[str, Any], protected: AbstractSet[str]) -> rules.Grant:
    """How the sweep judges one ListAppGroupAuthorization entry."""
    group, account, kind = entry.get("app_group_id"), entry.get("account"), entry.get("account_type")
    target: Dict[str, Any] = {"app_group_id": group, "account": account, "account_type": kind}
    if not _text(group) or not _text(account):
        return rules.Grant(target, skipped="the entry has no app_group_id or account: a removal could not name it")
    if entry.get("authorization_type") not in (None, "APP_GROUP"):
        return rules.Grant(target, skipped=f"authorization_type {entry.get('authorization_type')!r}: the removal "
                                           "takes away application-group authorizations only")
    info = {"account": str(account), "account_type": str(kind)}
    if kind == "USER":
        holder, decided_by = str(account), USERS
        if _text(entry.get("domain")):
            info["domain"] = str(entry["domain"])
    elif kind == "USER_GROUP" and _text(entry.get("account_id")):
        holder, decided_by = str(entry["account_id"]), USER_GROUPS
        info["id"] = holder
    elif kind == "USER_GROUP":
        return rules.Grant(target, skipped="a USER_GROUP entry without account_id: the group cannot be looked up "
                                           "nor removed by id")
    else:
        return rules.Grant(target, skipped=f"account_type {kind!r}: neither a Workspace user nor a user group")
    target.update((key, info[key]) for key in ("domain", "id") if key in info)  # as the handler names a pair
    created = epoch_seconds(entry.get("create_at"))
    return rules.Grant(target, holder=holder, listing=decided_by, created=created,
                       age_unknown=None if created is not None else f"create_at {entry.get('create_at')!r}",
                       protected="listed in PROTECTED_ACCOUNTS" if str(account).casefold() in protected else None,
                       revoke_with=info)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _authorizations(invocation: runtime.Invocation, client: Any) -> List[Dict[str, Any]]:
    sdk = WORKSPACEAPP.sdk()

    def page(offset: int) -> Any:
        request = sdk.ListAppGroupAuthorizationRequest(limit=PAGE, offset=offset)
        return invocation.read(partial(unparsed, client, "list_app_group_authorization", request),
                               operation="workspaceapp.list_app_group_authorization")

    return listing.complete(page, items="authorizations", total="count", what=GRANTS)


def _users(invocation: runtime.Invocation) -> Set[str]:
    """Every Workspace user name of the project (casefolded)."""
    sdk, client = WORKSPACE.sdk(), invocation.client(WORKSPACE)

    def page(offset: int) -> Any:
        request = sdk.ListUsersRequest(limit=str(PAGE), offset=str(offset))
        return invocation.read(partial(unparsed, client, "list_users", request), operation="workspace.list_users")

    users = listing.complete(page, items="users", total="total_count", what=USERS, key="user_name")
    return {str(user["user_name"]).casefold() for user in users}


def _user_groups(invocation: runtime.Invocation) -> Set[str]:
    """Every Workspace user group id of the project (casefolded)."""
    sdk, client = WORKSPACE.sdk(), invocation.client(WORKSPACE)

    def page(offset: int) -> Any:
        request = sdk.ListUserGroupsRequest(limit=str(PAGE), offset=str(offset))
        return invocation.read(partial(unparsed, client, "list_user_groups", request),
                               operation="workspace.list_user_groups")

    groups = listing.complete(page, items="user_groups", total="total_count", what=USER_GROUPS, key="id")
    return {str(group["id"]).casefold() for group in groups}


def _revoke(invocation: runtime.Invocation, client: Any, removal: Removal, orphans: List[rules.Grant]) -> List[Outcome]:
    """Accounts orphaned in the same groups are removed together, in the fewest calls."""
    held: Dict[Tuple[Tuple[str, str], ...], List[str]] = {}
    for orphan in orphans:
        held.setdefault(tuple(sorted(orphan.revoke_with.items())), []).append(str(orphan.target["app_group_id"]))
    plans: Dict[Tuple[str, ...], List[Any]] = {}
    for info, groups in held.items():
        plans.setdefault(tuple(groups), []).append(removal.account(dict(info)))
    calls = [call for groups, accounts in plans.items()
             for call in grid(list(groups), accounts, MAX_GROUPS_PER_CALL, MAX_ACCOUNTS_PER_CALL)]
    results = bounded_map(partial(removal.remove, invocation, client), calls, invocation.settings.max_concurrency)
    removal.resend(invocation, client, calls, results)
    outcomes = [outcome for result in results for outcome in result]
    invocation.reconcile(outcomes, lambda item: _pair(item.target),
                         lambda: {_listed(entry) for entry in _authorizations(invocation, client)})
    _check_after(invocation, client, outcomes)
    return outcomes


def _check_after(invocation: runtime.Invocation, client: Any, outcomes: List[Outcome]) -> None:
    """A removal answers 200 whether or not anything changed, so the sweep lists the grants once more (as an
    offboarding lists the person): ``deleted`` means listed before and absent after; a pair still listed, or a
    listing that cannot be read, is ``failed`` (retryable)."""
    removed = [item for item in outcomes if item.outcome == DELETED]
    if not removed:
        return
    try:
        still = {_listed(entry) for entry in _authorizations(invocation, client)}
    except retry.UpstreamCallFailed as failure:
        for item in removed:
            item.outcome, item.error_code, item.transient = FAILED, failure.error.error_code, True
            item.error_msg = ("the removal answered 200, but the listing after it could not be read, so it cannot "
                              f"be told that the access is gone: {failure.error.error_msg}")
        return
    for item in removed:
        if _pair(item.target) in still:
            item.outcome, item.error_code, item.transient = FAILED, ErrorCode.STILL_AUTHORIZED, True
            item.error_msg = ("the removal answered 200, but ListAppGroupAuthorization still lists this pair "
                              "afterwards: the access remains")


def _pair(target: Mapping[str, Any]) -> Tuple[str, str, str, str]:
    """The pair an item names: its group, and a user group by its id, a user by its name in its domain (any case):
    two user groups named alike, or namesakes of two domains, are two pairs."""
    group, kind = str(target.get("app_group_id")), str(target.get("account_type"))
    if kind == "USER_GROUP":
        return group, kind, str(target.get("id")), ""
    return group, kind, str(target.get("account")), str(target.get("domain") or "").casefold()


def _listed(entry: Mapping[str, Any]) -> Tuple[str, str, str, str]:
    """The pair a listing entry holds, named as ``_pair`` names an item (an entry's ``id`` is the grant's own; its
    user group's id is ``account_id``). A user group entry without one cannot be told from another: the listing
    proves nothing about user groups."""
    group, kind = str(entry.get("app_group_id")), str(entry.get("account_type"))
    if kind != "USER_GROUP":
        return _pair(entry)
    if not _text(entry.get("account_id")):
        raise listing.incomplete(GRANTS, "a USER_GROUP entry has no account_id, so which group it is cannot be "
                                         "told", transient=False)
    return group, kind, str(entry["account_id"]), ""
