"""Per service: the grants a revocation's ``restore`` holds, what the service lists now, and the create calls.

Facts (the create APIs, what the listings return, what cannot be read back): docs/reference/restore.md.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from fgrevoke.restore.reading import Revoked
from shared import clients, listing, retry
from shared.batching import grid

WOULD_RESTORE, RESTORED, ALREADY_PRESENT, NOT_RESTORABLE, FAILED = (
    "would_restore", "restored", "already_present", "not_restorable", "failed")
OUTCOMES = {
    WOULD_RESTORE: "plan: not listed now, and --yes would create it again",
    RESTORED: "created again: a 2xx to its create call",
    ALREADY_PRESENT: "listed before any call (the same grant): nothing was sent for it",
    NOT_RESTORABLE: "cannot be created again from the report: reason says why",
    FAILED: "its create call (or the listing it depends on) failed: error_code and error_msg say why",
}
Entry = Dict[str, Any]


@dataclass
class Step:
    """One grant to put back, and what became of it."""

    revoked: Revoked
    what: Dict[str, Any]  # names the grant in the output
    recipe: Optional[Dict[str, Any]]
    outcome: str = WOULD_RESTORE
    reason: Optional[str] = None
    error_code: Optional[str] = None
    error_msg: Optional[str] = None
    new_policy_id: Optional[str] = None

    def fail(self, error: retry.UpstreamError, during: str) -> None:
        self.outcome, self.error_code = FAILED, error.error_code
        self.error_msg = f"{during}: {error.error_msg}"[:500]

    def to_dict(self) -> Dict[str, Any]:
        body: Dict[str, Any] = {"operation": self.revoked.operation, **self.revoked.place.fields(), **self.what,
                                "outcome": self.outcome}
        for key in ("reason", "error_code", "error_msg"):
            if getattr(self, key):
                body[key] = getattr(self, key)
        if self.new_policy_id:
            body["new_policy_id"] = self.new_policy_id
        return body


class Caller:
    """The SDK calls of one restore: the functions' retry policy, a 2xx JSON body, every call counted."""

    def __init__(self, attempts: int = 3) -> None:
        self.attempts = attempts
        self.calls = 0
        self.deadline = retry.Deadline(None)

    def send(self, fn: Callable[[], Any], *, once: bool = False) -> Any:
        """``once``: a call that is not safe to repeat (a create that makes a new object each time)."""
        def counted() -> None:
            self.calls += 1
        return retry.call(fn, attempts=1 if once else self.attempts, deadline=self.deadline, on_attempt=counted)

    def read(self, fn: Callable[[], Any], *, operation: str = "") -> Any:
        response = self.send(fn)
        try:
            return response.to_json_object()
        except ValueError:
            raise retry.UpstreamCallFailed(retry.UpstreamError(
                "FGR.UnreadableAnswer", f"{operation} answered with a body that is not JSON", None, None, True),
                1) from None


class Grants(ABC):
    """What every service's restore does; each subclass is one function's grants."""

    operation: str
    service: clients.Service

    def expand(self, revoked: Revoked) -> List[Step]:
        return [Step(revoked, revoked.what, revoked.recipe)]

    @abstractmethod
    def decide(self, caller: Caller, client: Any, steps: List[Step]) -> None:
        """Read what is listed now; mark the steps already there (or in the way)."""

    @abstractmethod
    def apply(self, caller: Caller, client: Any, steps: List[Step]) -> None:
        """Create the ``WOULD_RESTORE`` steps again."""


def _same(left: Any, right: Any) -> bool:
    return json.dumps(left, sort_keys=True, default=str) == json.dumps(right, sort_keys=True, default=str)


# -- ModelArts ----------------------------------------------------------------------------------------------
MODELARTS_FIELDS = ("user_id", "type", "content", "user_name", "user_type")


class ModelArtsGrants(Grants):
    operation = "modelarts.delete_authorizations"
    service = clients.MODELARTS

    def expand(self, revoked: Revoked) -> List[Step]:
        recipe = revoked.recipe
        if recipe is None or "grants" not in recipe:
            return [Step(revoked, revoked.what, recipe)]
        # every user's grants at once (user_id all): each comes back on its own
        steps = [Step(revoked, _who(grant), grant) for grant in recipe.get("grants") or [] if isinstance(grant, dict)]
        for left in recipe.get("left_out") or []:
            if isinstance(left, dict):
                steps.append(Step(revoked, {k: left[k] for k in ("user_id", "user_name") if left.get(k)}, None,
                                  NOT_RESTORABLE, str(left.get("why") or "left out of the report's restore")))
        return steps

    def decide(self, caller: Caller, client: Any, steps: List[Step]) -> None:
        sdk = self.service.sdk()

        def page(offset: int) -> Any:
            request = sdk.GetAuthorizationsRequest(limit=1000, offset=offset)
            return caller.read(partial(client.get_authorizations, request), operation="GetAuthorizations")

        entries = listing.complete(page, items="auth", total="total_count", what="GetAuthorizations")
        held = {_holder(entry): entry for entry in entries}
        for step in steps:
            assert step.recipe is not None
            entry = held.get(_holder(step.recipe))
            if entry is None:
                continue
            if str(entry.get("type") or "").lower() == step.recipe.get("type") and \
                    entry.get("content") == step.recipe.get("content"):
                step.outcome, step.reason = ALREADY_PRESENT, "GetAuthorizations lists the same grant"
            else:
                now = f"agency {entry.get('content')}" if str(entry.get("type")).lower() == "agency" else \
                    "a credential grant"
                step.outcome = NOT_RESTORABLE
                step.reason = (f"the user holds another authorization now ({now}); CreateAuthorization would "
                               "replace it, so it is left as it is")

    def apply(self, caller: Caller, client: Any, steps: List[Step]) -> None:
        sdk = self.service.sdk()
        for step in steps:
            assert step.recipe is not None
            body = sdk.AuthorizationRequest(**{key: step.recipe[key] for key in MODELARTS_FIELDS
                                               if step.recipe.get(key) is not None})
            try:
                caller.send(partial(client.create_authorization, sdk.CreateAuthorizationRequest(body=body)))
            except retry.UpstreamCallFailed as failure:
                step.fail(failure.error, "CreateAuthorization")
            else:
                step.outcome = RESTORED


def _holder(grant: Entry) -> Tuple[str, str]:
    """Who a grant is for: its user id, or for a federated user (no id), its user name."""
    if grant.get("user_id"):
        return "user_id", str(grant["user_id"])
    return "user_name", str(grant.get("user_name"))


def _who(grant: Entry) -> Dict[str, Any]:
    return {key: grant[key] for key in ("user_id", "user_name") if grant.get(key)} if not grant.get("user_id") \
        else {"user_id": grant["user_id"]}


# -- Workspace access policies ------------------------------------------------------------------------------
POLICY_FIELDS = ("policy_name", "blacklist_type", "access_control_type", "ip_list", "is_enable", "is_block_all")


class WorkspacePolicies(Grants):
    operation = "workspace.batch_delete_access_policies"
    service = clients.WORKSPACE

    def _policies(self, caller: Caller, client: Any) -> List[Entry]:
        sdk = self.service.sdk()

        def page(offset: int) -> Any:
            request = sdk.ListAccessPoliciesRequest(limit=100, offset=offset)
            return caller.read(partial(client.list_access_policies, request), operation="ListAccessPolicies")

        return listing.complete(page, items="policies", total="total", what="ListAccessPolicies", max_offset=99,
                                key="policy_id")

    def _objects(self, caller: Caller, client: Any, policy_id: str) -> Set[Tuple[str, str]]:
        sdk = self.service.sdk()

        def page(offset: int) -> Any:
            request = sdk.ListAccessPolicyObjectsRequest(access_policy_id=policy_id, limit=2000, offset=offset)
            return caller.read(partial(client.list_access_policy_objects, request),
                               operation="ListAccessPolicyObjects")

        return {(str(o.get("object_type")), str(o.get("object_id")))
                for o in listing.complete(page, items="policy_objects_list", total="total",
                                          what="ListAccessPolicyObjects", max_offset=1999)}

    def _matches(self, caller: Caller, client: Any, recipe: Dict[str, Any], policy: Entry) -> bool:
        definition = recipe.get("policy") or {}
        if not all(_same(policy.get(key), definition.get(key)) for key in POLICY_FIELDS if key in definition):
            return False
        wanted = {(str(o.get("object_type")), str(o.get("object_id"))) for o in recipe.get("policy_objects_list") or []}
        return (policy.get("access_control_type") == "IP_WHITE_LIST" and not wanted) or \
            self._objects(caller, client, str(policy["policy_id"])) == wanted

    def decide(self, caller: Caller, client: Any, steps: List[Step]) -> None:
        taken: Set[str] = set()  # one listed policy stands for one revoked policy
        policies = self._policies(caller, client)
        for step in steps:
            assert step.recipe is not None
            older = set(step.recipe.get("alike") or ())  # listed when it was deleted: not its re-creation
            for policy in policies:
                if policy["policy_id"] not in taken | older and \
                        self._matches(caller, client, step.recipe, policy):
                    taken.add(policy["policy_id"])
                    step.outcome, step.new_policy_id = ALREADY_PRESENT, str(policy["policy_id"])
                    step.reason = "ListAccessPolicies lists a policy with the same definition and objects"
                    break

    def apply(self, caller: Caller, client: Any, steps: List[Step]) -> None:
        """One create per policy, sent once (a repeat would make a second policy); the listing after it tells the
        new id, and after a failed call, whether the policy was created all the same."""
        sdk = self.service.sdk()
        for step in steps:
            assert step.recipe is not None
            try:
                known = {p["policy_id"] for p in self._policies(caller, client)}
            except retry.UpstreamCallFailed as failure:
                step.fail(failure.error, "ListAccessPolicies before CreateAccessPolicy (nothing was sent)")
                continue
            definition = dict(step.recipe.get("policy") or {})
            definition["ip_list"] = [sdk.IpInfo(**ip) for ip in definition.get("ip_list") or []]
            body = sdk.CreateAccessPolicyReq(
                policy=sdk.AccessPolicyInfo(**definition),
                policy_objects_list=[sdk.AccessPolicyObjectInfo(**o) for o in step.recipe.get("policy_objects_list")
                                     or []])
            try:
                caller.send(partial(client.create_access_policy, sdk.CreateAccessPolicyRequest(body=body)), once=True)
            except retry.UpstreamCallFailed as failure:
                step.fail(failure.error, "CreateAccessPolicy")
            try:
                fresh = [p for p in self._policies(caller, client) if p["policy_id"] not in known and
                         self._matches(caller, client, step.recipe, p)]
            except retry.UpstreamCallFailed as failure:
                if step.outcome != FAILED:
                    step.outcome = RESTORED
                    step.reason = f"created; its new id could not be read ({failure.error.error_code})"
                continue
            if step.outcome == FAILED and not fresh:
                continue  # the failure stands: the listing after it shows no new policy
            if step.outcome == FAILED:
                step.reason = f"the call failed ({step.error_code}), but the listing after it shows the new policy"
                step.error_code = step.error_msg = None
            step.outcome = RESTORED
            if len(fresh) == 1:
                step.new_policy_id = str(fresh[0]["policy_id"])
            else:
                step.reason = f"created; the listing after it shows {len(fresh)} new matching policies"


# -- Workspace App ------------------------------------------------------------------------------------------
ACCOUNT_FIELDS = ("id", "account", "account_type", "domain", "platform_type")
MAX_GROUPS, MAX_ACCOUNTS = 10, 50  # AddAppGroupAuthorization: app_group_ids <= 10, accounts <= 50


class WorkspaceAppGrants(Grants):
    operation = "workspaceapp.batch_delete_app_group_authorization"
    service = clients.WORKSPACEAPP

    def decide(self, caller: Caller, client: Any, steps: List[Step]) -> None:
        sdk = self.service.sdk()

        def page(offset: int) -> Any:
            request = sdk.ListAppGroupAuthorizationRequest(limit=100, offset=offset)
            return caller.read(partial(client.list_app_group_authorization, request),
                               operation="ListAppGroupAuthorization")

        entries = listing.complete(page, items="authorizations", total="count", what="ListAppGroupAuthorization",
                                   key="app_group_id")
        held = {_pair_of_entry(entry) for entry in entries}
        for step in steps:
            assert step.recipe is not None
            if _pair(step.recipe) in held:
                step.outcome, step.reason = ALREADY_PRESENT, "ListAppGroupAuthorization lists the account in the group"

    def apply(self, caller: Caller, client: Any, steps: List[Step]) -> None:
        """The fewest calls: accounts that go back into the same groups share calls of 10 groups x 50 accounts."""
        sdk = self.service.sdk()
        keys = {id(step): _account_key(step.recipe or {}) for step in steps}
        account_of = {keys[id(step)]: json.loads(keys[id(step)]) for step in steps}
        groups_of: Dict[str, Set[str]] = {}
        for step in steps:
            groups_of.setdefault(keys[id(step)], set()).add(str((step.recipe or {}).get("app_group_id")))
        together: Dict[Tuple[str, ...], List[str]] = {}
        for key, held in groups_of.items():
            together.setdefault(tuple(sorted(held)), []).append(key)
        failures: Dict[Tuple[str, str], retry.UpstreamError] = {}
        for groups, accounts in together.items():
            for chunk_groups, chunk_accounts in grid(list(groups), accounts, MAX_GROUPS, MAX_ACCOUNTS):
                body = sdk.AppGroupAuthorizeReq(app_group_ids=chunk_groups,
                                                accounts=[sdk.AccountInfo(**account_of[k]) for k in chunk_accounts])
                try:
                    caller.send(partial(client.add_app_group_authorization,
                                        sdk.AddAppGroupAuthorizationRequest(body=body)))
                except retry.UpstreamCallFailed as failure:
                    failures.update({(group, key): failure.error for group in chunk_groups for key in chunk_accounts})
        for step in steps:
            error = failures.get((str((step.recipe or {}).get("app_group_id")), keys[id(step)]))
            if error is None:
                step.outcome = RESTORED
            else:
                step.fail(error, "AddAppGroupAuthorization")


def _account_key(recipe: Dict[str, Any]) -> str:
    account = recipe.get("account") or {}
    return json.dumps({key: value for key, value in account.items() if key in ACCOUNT_FIELDS}, sort_keys=True)


def _pair(recipe: Dict[str, Any]) -> Tuple[str, str, str]:
    account = recipe.get("account") or {}
    name = str(account.get("id")) if account.get("account_type") == "USER_GROUP" else str(account.get("account"))
    return str(recipe.get("app_group_id")), str(account.get("account_type")), name


def _pair_of_entry(entry: Entry) -> Tuple[str, str, str]:
    name = str(entry.get("account_id")) if entry.get("account_type") == "USER_GROUP" else str(entry.get("account"))
    return str(entry.get("app_group_id")), str(entry.get("account_type")), name


BY_OPERATION: Dict[str, Grants] = {grants.operation: grants for grants in
                                   (ModelArtsGrants(), WorkspacePolicies(), WorkspaceAppGrants())}
