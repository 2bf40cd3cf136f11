"""Workspace App: remove people from application groups (BatchDeleteAppGroupAuthorization).

``POST /v1/{project_id}/app-groups/actions/batch-delete-authorization`` through
``WorkspaceAppClient.batch_delete_app_group_authorization`` (SDK ``huaweicloudsdkworkspaceapp.v1``).
The API takes at most 10 groups x 50 accounts per call; any number is accepted here and split
into the fewest calls. Workspace App accounts are matched by account *name* (and type).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any, Dict, FrozenSet, List, Optional, Set, Tuple

from shared import fields, listing, manifest, retry, runtime
from shared.batching import grid
from shared.clients import WORKSPACEAPP
from shared.concurrency import bounded_map
from shared.errors import ConfigurationError, InvalidRequest, PayloadTooLarge
from shared.outcomes import ALREADY_ABSENT, FAILED, SKIPPED_PROTECTED, WOULD_DELETE, Outcome, Report

OPERATION = "workspaceapp.batch_delete_app_group_authorization"
# The agency's least privilege: every action a call of this function needs (API reference pages).
REQUIRED_ACTIONS = manifest.beside(__file__).required_actions
MAX_GROUPS_PER_CALL, MAX_ACCOUNTS_PER_CALL = 10, 50
MAX_PAIRS = 100_000
LIST_PAGE = 100  # ListAppGroupAuthorization's largest page
DISCOVER = "*"
ACCOUNT_TYPES = ("USER", "USER_GROUP")
PLATFORM_TYPES = ("AD", "LOCAL", "SYSTEM")
ACCOUNT_FIELDS = ("id", "account", "account_type", "domain", "email", "telephone_number", "platform_type")
REQUEST_FIELDS = ("app_group_ids", "accounts", "user_name", "domain", "users", "dry_run", "project_id")
Account = Dict[str, str]


def handler(event: Any, context: Any) -> Any:
    return runtime.handle(event, context, operation=OPERATION, revoke=revoke)


def revoke(invocation: runtime.Invocation) -> Report:
    groups, accounts = _request(invocation)
    protected = invocation.source.protected("PROTECTED_ACCOUNTS", fields.name)
    report = invocation.report()
    kept = [account for account in accounts if account["account"].casefold() not in protected]
    report.items.extend(Outcome(_target(group, account), SKIPPED_PROTECTED, reason="listed in PROTECTED_ACCOUNTS")
                        for account in accounts if account["account"].casefold() in protected
                        for group in groups or [DISCOVER])
    if not kept:
        if not accounts:
            report.notes.append("the request names no accounts: nothing to remove")
        return report
    plans = _plans(invocation, groups, kept, report)
    if invocation.dry_run:
        report.items.extend(Outcome(_target(group, account), WOULD_DELETE)
                            for plan_groups, plan_accounts in plans
                            for group in plan_groups for account in plan_accounts)
        return report
    calls = [call for plan_groups, plan_accounts in plans
             for call in grid(plan_groups, plan_accounts, MAX_GROUPS_PER_CALL, MAX_ACCOUNTS_PER_CALL)]
    client = invocation.client(WORKSPACEAPP)
    outcomes = [outcome for call in bounded_map(partial(_remove, invocation, client), calls,
                                                invocation.settings.max_concurrency) for outcome in call]
    invocation.reconcile(outcomes, lambda item: (item.target["app_group_id"], item.target["account"]),
                         partial(_remaining_pairs, invocation, client, outcomes))
    report.items.extend(outcomes)
    return report


def _remaining_pairs(invocation: runtime.Invocation, client: Any, outcomes: List[Outcome]) -> Set[Tuple[str, str]]:
    """(group, account) pairs that still exist, for the accounts of failed pairs."""
    accounts = {(o.target["account"], o.target["account_type"]) for o in outcomes if o.outcome == FAILED}
    return {(group, name) for name, kind in accounts
            for group in _groups_of(invocation, client, {"account": name, "account_type": kind})}


def _remove(invocation: runtime.Invocation, client: Any, call: Tuple[List[str], List[Account]]) -> List[Outcome]:
    """One API call covering up to 10 groups x 50 accounts; every pair gets the call's outcome."""
    groups, accounts = call
    sdk = WORKSPACEAPP.sdk()
    body = sdk.AppGroupAuthorizeReq(app_group_ids=groups, accounts=[sdk.AccountInfo(**a) for a in accounts])
    request = sdk.BatchDeleteAppGroupAuthorizationRequest(body=body)
    outcome = invocation.attempt([_target(group, account) for group in groups for account in accounts],
                                 partial(client.batch_delete_app_group_authorization, request),
                                 operation="workspaceapp.batch_delete_app_group_authorization")
    return [replace(outcome, target=_target(group, account)) for group in groups for account in accounts]


def _plans(invocation: runtime.Invocation, groups: Optional[List[str]], accounts: List[Account],
           report: Report) -> List[Tuple[List[str], List[Account]]]:
    """(groups, accounts) sets to remove; with discovery, people sharing the same groups go together."""
    if groups is not None:
        return [(groups, accounts)]
    by_groups: Dict[FrozenSet[str], List[Account]] = {}
    client = invocation.client(WORKSPACEAPP)
    for account, found in zip(accounts, bounded_map(partial(_discover, invocation, client), accounts,
                                                    invocation.settings.max_concurrency)):
        if isinstance(found, Outcome):
            report.items.append(found)
        elif not found:
            report.items.append(Outcome(_target(DISCOVER, account), ALREADY_ABSENT,
                                        reason="authorized in no application group"))
        else:
            by_groups.setdefault(frozenset(found), []).append(account)
    return [(sorted(group_set), members) for group_set, members in by_groups.items()]


def _discover(invocation: runtime.Invocation, client: Any, account: Account) -> Any:
    """The account's groups, or the outcome saying why they could not be listed."""
    try:
        return _groups_of(invocation, client, account)
    except retry.UpstreamCallFailed as failure:
        outcome = runtime.outcome_of_failure(_target(DISCOVER, account), failure.error)
        outcome.reason = "could not list the account's application groups"
        return outcome


def _groups_of(invocation: runtime.Invocation, client: Any, account: Account) -> List[str]:
    """The groups this account is authorized in (ListAppGroupAuthorization, paged)."""
    sdk = WORKSPACEAPP.sdk()

    def page(offset: int) -> Any:
        request = sdk.ListAppGroupAuthorizationRequest(limit=LIST_PAGE, offset=offset, account=account["account"],
                                                       account_type=account["account_type"])
        return invocation.read(partial(client.list_app_group_authorization, request),
                               operation="workspaceapp.list_app_group_authorization")

    entries = listing.complete(page, items="authorizations", total="count", what="ListAppGroupAuthorization")
    return list(dict.fromkeys(entry["app_group_id"] for entry in entries
                              if entry.get("account") == account["account"] and entry.get("app_group_id")))


def validate_request(payload: Dict[str, Any]) -> None:
    """Raise ``InvalidRequest`` if this function would refuse the request (used by ``fgrevoke validate``)."""
    fields.reject_unknown(payload, REQUEST_FIELDS)
    _accounts(payload)
    if "app_group_ids" in payload:
        fields.identifiers(payload, "app_group_ids")


def _request(invocation: runtime.Invocation) -> Tuple[Optional[List[str]], List[Account]]:
    """(groups, accounts); groups None means: discover each account's groups."""
    payload = invocation.payload
    if invocation.offboarding is not None:
        name = invocation.offboarding.user_name
        if not name:
            raise InvalidRequest("the IAM deleteUser trace has no resource_name (the user name Workspace App "
                                 "matches accounts by)", field="cts.resource_name")
        accounts = [{"account": fields.name(name, "cts.resource_name"), "account_type": "USER"}]
    else:
        fields.reject_unknown(payload, REQUEST_FIELDS)
        accounts = _accounts(payload)
    groups = fields.identifiers(payload, "app_group_ids") if "app_group_ids" in payload else _configured_groups(
        invocation)
    if groups is not None and len(groups) * len(accounts) > MAX_PAIRS:
        raise PayloadTooLarge(f"{len(groups)} groups x {len(accounts)} accounts is more than {MAX_PAIRS} pairs "
                              "per request: split the request", field="accounts")
    return groups, accounts


def _configured_groups(invocation: runtime.Invocation) -> Optional[List[str]]:
    configured = invocation.source.items("APP_GROUP_IDS")
    if configured == (DISCOVER,):
        return None
    if not configured:
        raise ConfigurationError("the request has no app_group_ids and the setting APP_GROUP_IDS is empty: set "
                                 "it to the groups to remove people from, or to * to find each person's groups",
                                 field="APP_GROUP_IDS")
    try:
        return [fields.identifier(group, "APP_GROUP_IDS") for group in configured]
    except InvalidRequest as problem:
        raise ConfigurationError(f"setting {problem.message}", field="APP_GROUP_IDS") from None


def _accounts(payload: Dict[str, Any]) -> List[Account]:
    forms = [key for key in ("accounts", "user_name", "users") if key in payload]
    if len(forms) != 1:
        raise InvalidRequest('give exactly one of "accounts", "user_name" (one person who left) and "users" '
                             '(a list of {"user_name", "domain"})', field="accounts")
    if "user_name" in payload:
        return [_person(payload, "")]
    if "users" in payload:
        people = fields.string_list(payload, "users", allow_empty=True) or []  # nobody left today
        return _unique([_person(person, f"users[{index}]") for index, person in enumerate(people)])
    if "domain" in payload:
        raise InvalidRequest('"domain" goes with "user_name"; inside "accounts" give it per account', field="domain")
    entries = fields.string_list(payload, "accounts", allow_empty=True) or []  # 0 accounts: 0 calls
    return _unique([_account(entry, f"accounts[{index}]") for index, entry in enumerate(entries)])


def _person(person: Any, where: str) -> Account:
    """A person who left: ``{"user_name": ..., "domain": ...}`` -> a USER account."""
    prefix = f"{where}." if where else ""
    if not isinstance(person, dict):
        raise InvalidRequest(f"{where} must be an object with user_name and optional domain", field=where)
    if where:
        fields.reject_unknown(person, ("user_name", "domain"), where)
    account = {"account": fields.name(person.get("user_name"), prefix + "user_name"), "account_type": "USER"}
    if person.get("domain") is not None:
        account["domain"] = fields.name(person["domain"], prefix + "domain")
    return account


def _account(entry: Any, where: str) -> Account:
    """An AccountInfo-shaped object, or a plain string meaning a USER account name."""
    if isinstance(entry, str):
        entry = {"account": entry, "account_type": "USER"}
    if not isinstance(entry, dict):
        raise InvalidRequest(f"{where} must be an account name or an AccountInfo object", field=where)
    fields.reject_unknown(entry, ACCOUNT_FIELDS, where)
    account = {key: fields.name(entry[key], f"{where}.{key}") for key in ACCOUNT_FIELDS if entry.get(key) is not None}
    if "account" not in account:
        raise InvalidRequest(f"{where}.account (the user or user group name) is required", field=f"{where}.account")
    if account.get("account_type") not in ACCOUNT_TYPES:
        raise InvalidRequest(f"{where}.account_type must be USER or USER_GROUP", field=f"{where}.account_type")
    if account.get("platform_type", "AD") not in PLATFORM_TYPES:
        raise InvalidRequest(f"{where}.platform_type must be AD, LOCAL or SYSTEM", field=f"{where}.platform_type")
    return account



def _unique(accounts: List[Account]) -> List[Account]:
    seen: Dict[Tuple[str, str], Account] = {}
    for account in accounts:
        seen.setdefault((account["account_type"], account["account"]), account)
    return list(seen.values())


def _target(group: str, account: Account) -> Dict[str, Any]:
    return {"app_group_id": group, "account": account["account"], "account_type": account["account_type"]}

