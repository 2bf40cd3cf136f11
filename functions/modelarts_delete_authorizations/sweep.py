"""The ModelArts sweep: revoke the authorizations of IAM users that no longer exist (shared/sweep.py).

Grants: GetAuthorizations, whole. Who exists: IAM KeystoneListUsers (``GET /v3/users``), whose request
has no paging and whose answer is whole only when ``links.next`` is null (docs/reference/sweep.md).
Only ``iam`` entries with a ``user_id`` are judged: federated entries (keyed by user_name), the
all-users grant and other user_types are never swept, and are reported ``skipped`` with the reason.
Revocation is today's: one DeleteAuthorizations per user, ModelArts.0429 as proof of absence, and a
fresh GetAuthorizations to reconcile failures.
"""

from __future__ import annotations

from functools import partial
from typing import AbstractSet, Any, Callable, Collection, Dict, List, Optional, Set

from shared import fields, listing, manifest, runtime
from shared import sweep as rules
from shared.clients import IAM, MODELARTS, unparsed
from shared.concurrency import bounded_map
from shared.outcomes import Outcome, Report
from shared.timestamps import epoch_seconds

MANIFEST = manifest.beside(__file__)
GRANTS = "ModelArts GetAuthorizations"
IAM_USERS = "IAM KeystoneListUsers"
ALL_USERS = "all-users"
Entries = List[Dict[str, Any]]
ListAuthorizations = Callable[[runtime.Invocation, Any], Entries]


def run(invocation: runtime.Invocation, authorizations: ListAuthorizations, not_found: Collection[str]) -> Report:
    """``authorizations``: the handler's complete GetAuthorizations; ``not_found``: its proof-of-absence codes."""
    client = invocation.client(MODELARTS)
    protected = fields.folded(MANIFEST.value("PROTECTED_USER_IDS", invocation.source))
    return rules.run(invocation, (GRANTS, lambda: [grant(entry, protected) for entry in authorizations(invocation,
                                                                                                       client)]),
                     {IAM_USERS: partial(iam_users, invocation)},
                     partial(_revoke, invocation, client, authorizations, not_found))


def grant(entry: Dict[str, Any], protected: AbstractSet[str]) -> rules.Grant:
    """How the sweep judges one GetAuthorizations entry."""
    user_id, user_type = entry.get("user_id"), entry.get("user_type")
    if not isinstance(user_id, str) or not user_id:
        return rules.Grant({"user_name": entry.get("user_name"), "user_type": user_type},
                           skipped=f"no user_id (user_type {user_type!r}): a federated grant is keyed by user_name, "
                                   "which the IAM user listing cannot prove gone")
    if user_id.casefold() == ALL_USERS or str(user_type).casefold() == ALL_USERS:
        return rules.Grant({"user_id": user_id}, skipped="the all-users grant belongs to no one user")
    if not isinstance(user_type, str) or user_type.casefold() != "iam":
        return rules.Grant({"user_id": user_id}, skipped=f"user_type {user_type!r}, not an IAM user: the IAM user "
                                                         "listing cannot prove its holder gone")
    created = epoch_seconds(entry.get("create_time"))
    return rules.Grant({"user_id": user_id}, holder=user_id, listing=IAM_USERS,
                       created=created,
                       age_unknown=None if created is not None else f"create_time {entry.get('create_time')!r}",
                       protected="listed in PROTECTED_USER_IDS" if user_id.casefold() in protected else None)


def iam_users(invocation: runtime.Invocation) -> Set[str]:
    """Every IAM user id of the account (casefolded), from one whole KeystoneListUsers answer."""
    sdk = IAM.sdk()
    client = invocation.client(IAM)
    body = invocation.read(partial(unparsed, client, "keystone_list_users", sdk.KeystoneListUsersRequest()),
                           operation="iam.keystone_list_users")
    links = body.get("links") if isinstance(body, dict) else None
    if not isinstance(links, dict):
        raise listing.incomplete(IAM_USERS, "the answer has no links object, so it cannot show it is whole",
                                 transient=False)
    if links.get("next") is not None:
        raise listing.incomplete(IAM_USERS, "links.next is not null: the answer is one page of more",
                                 transient=False)
    users = body.get("users")
    if not isinstance(users, list) or not all(isinstance(user, dict) for user in users):
        raise listing.incomplete(IAM_USERS, "the answer's 'users' is not a list of users", transient=False)
    ids = [user.get("id") for user in users]
    if not all(isinstance(user_id, str) and user_id for user_id in ids):
        raise listing.incomplete(IAM_USERS, "a user has no 'id'", transient=False)
    return {str(user_id).casefold() for user_id in ids}


def _revoke(invocation: runtime.Invocation, client: Any, authorizations: ListAuthorizations,
            not_found: Collection[str], orphans: List[rules.Grant]) -> List[Outcome]:
    sdk = MODELARTS.sdk()
    user_ids = [str(orphan.holder) for orphan in orphans]
    outcomes = bounded_map(lambda user_id: invocation.attempt(
        [{"user_id": user_id}],
        lambda: client.delete_authorizations(sdk.DeleteAuthorizationsRequest(user_id=user_id)),
        operation="modelarts.delete_authorizations", gone_codes=not_found),
        user_ids, invocation.settings.max_concurrency)
    invocation.reconcile(outcomes, lambda item: item.target["user_id"],
                         lambda: _holders(authorizations(invocation, client)))
    return outcomes


def _holders(entries: Entries) -> Set[Optional[str]]:
    return {entry.get("user_id") for entry in entries}
