"""Workspace App application groups and their authorizations.

CreateAppGroup, ListAppGroup, AddAppGroupAuthorization, ListAppGroupAuthorization and
BatchDeleteAppGroupAuthorization. Sources, named where each behaviour is played:
- [API] the Workspace App API reference, https://support.huaweicloud.com/api-workspace/ (pages
  BatchDeleteAppGroupAuthorization.html, ListAppGroupAuthorization.html, ListAppGroup.html);
- [SDK] huaweicloudsdkworkspaceapp 3.1.219, ``v1/model/*.py`` docstrings;
- [TF] huaweicloud/terraform-provider-huaweicloud,
  ``huaweicloud/services/workspace/resource_huaweicloud_workspace_app_group_authorization.go`` and
  ``huaweicloud/services/acceptance/workspace/*app_group_authorization*_test.go``.

Readings where the sources leave it open (``READINGS``; set ``reading`` per test):
- ``account_filter``: ListAppGroupAuthorization's ``account`` filter is ``exact`` ([SDK]
  ``list_app_group_authorization_request.py``: "精确查询") or ``contains`` ([TF] data source
  ``data_source_huaweicloud_workspace_app_group_authorizations.go`` calls it fuzzy, and its
  acceptance test asserts ``strcontains``);
- ``unknown_group``: a removal naming an application group that does not exist is answered
  ``400`` or ``404`` (the codes are the emulator's own, ``WKS.EMU400``/``WKS.EMU404``: no source
  documents one) and removes nothing, or is ``ignored`` (200; the groups that exist are served);
- ``domain``: a removal's ``AccountInfo.domain`` is ``ignored`` (a name matches in any domain) or
  ``matched`` (a named domain removes only that domain's entry); real-account question, see [API].
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Set, Tuple

from fgrevoke.emulator.service import EmulatedService, Reply, Request, Route, ServiceError

MAX_GROUPS, MAX_ACCOUNTS = 10, 50  # [API] BatchDeleteAppGroupAuthorization; [TF] resource lines 135-152
READINGS = {"account_filter": ("exact", "contains"), "unknown_group": ("400", "404", "ignored"),
            "domain": ("ignored", "matched")}
# (app group id, account name, account type, domain (any case), user group id): two users of one name in
# two domains, or two user groups named alike, are two authorizations ([SDK] account_info.py: id, domain).
Key = Tuple[str, str, str, str, str]
GROUPS = "/v1/{project_id}/app-groups"


class WorkspaceApp(EmulatedService):
    name = "workspaceapp"
    routes = (
        Route("POST", GROUPS, "workspaceapp.create_app_group", "workspace:appGroup:create", "create_group"),
        Route("GET", GROUPS, "workspaceapp.list_app_group", "workspace:appGroup:list", "list_groups"),
        Route("POST", GROUPS + "/authorizations", "workspaceapp.add_app_group_authorization",
              "workspace:appGroup:addAuthorization", "add"),
        Route("GET", GROUPS + "/actions/list-authorizations", "workspaceapp.list_app_group_authorization",
              "workspace:appGroup:listAuthorization", "list"),
        Route("POST", GROUPS + "/actions/batch-delete-authorization",
              "workspaceapp.batch_delete_app_group_authorization", "workspace:appGroup:batchDeleteAuthorization",
              "delete"),
    )
    state = ("groups", "authorizations", "_by_name", "_by_group")
    groups: Dict[str, Dict[str, Dict[str, Any]]]  # project -> group id -> AppGroup
    authorizations: Dict[str, Dict[Key, Dict[str, Any]]]  # project -> key -> Authorization
    _by_name: Dict[str, Dict[str, Set[Key]]]  # project -> account name -> keys: fast listings
    # project -> group id -> its keys in the order they were granted (a dict: ordered): a group's listing
    # and a removal read one group's entries, not every authorization of the project
    _by_group: Dict[str, Dict[str, Dict[Key, None]]]
    readings = READINGS
    bad_request_code = "WKS.EMU400"

    # -- seeding and inspection ------------------------------------------------------------
    def seed_group(self, project_id: str, name: str, group_id: str = "") -> str:
        group_id = group_id or str(uuid.uuid4().int)[:18]
        self.groups.setdefault(project_id, {})[group_id] = {  # [API] ListAppGroup: AppGroup
            "id": group_id, "name": name, "app_server_group_id": "", "description": "",
            "authorization_type": "APP_GROUP", "app_type": "SESSION_DESKTOP_APP", "create_at": _now(), "app_count": 0}
        return group_id

    def remove_group(self, project_id: str, group_id: str) -> None:
        """The group goes, its authorizations stay listed: a group deleted after a listing was read."""
        self.groups.get(project_id, {}).pop(group_id, None)

    def grant(self, project_id: str, group_id: str, account: str, account_type: str = "USER", domain: str = "",
              account_id: Optional[str] = None, platform_type: str = "LOCAL", age_hours: float = 0.0) -> None:
        """``account_id``: a user group's id ([SDK] ``authorization.py``: account_id is the user or group id);
        ``create_at`` is ``age_hours`` ago."""
        entries = self.authorizations.setdefault(project_id, {})
        key = _key(group_id, account, account_type, domain, account_id)
        if key in entries:
            return
        group = self.groups.get(project_id, {}).get(group_id, {})
        entries[key] = {  # [SDK] authorization.py, [API] ListAppGroupAuthorization
            "id": uuid.uuid4().hex, "account_id": account_id or uuid.uuid5(uuid.NAMESPACE_DNS, account).hex,
            "account": account, "app_id": "", "app_name": "", "app_group_id": group_id,
            "app_group_name": group.get("name", ""), "authorization_type": "APP_GROUP",
            "account_type": account_type, "platform_type": platform_type, "domain": domain,
            "create_at": _now(timedelta(hours=age_hours))}
        self._by_name.setdefault(project_id, {}).setdefault(account, set()).add(key)
        self._by_group.setdefault(project_id, {}).setdefault(group_id, {})[key] = None

    def _forget(self, project_id: str, key: Key) -> None:
        self.authorizations.get(project_id, {}).pop(key, None)
        self._by_name.get(project_id, {}).get(key[1], set()).discard(key)
        self._by_group.get(project_id, {}).get(key[0], {}).pop(key, None)

    def revoke(self, project_id: str, group_id: str, account: str) -> None:
        """Another revocation removes every authorization of ``account`` in the group (e.g. between two pages)."""
        for key in [key for key in self._by_name.get(project_id, {}).get(account, ()) if key[0] == group_id]:
            self._forget(project_id, key)

    def pairs(self, project_id: str) -> set:
        return {(key[0], key[1]) for key in self.authorizations.get(project_id, {})}

    # -- routes ----------------------------------------------------------------------------
    def create_group(self, request: Request) -> Reply:
        """[API] CreateAppGroup (CreateAppGroup.html): ``name`` required, the AppGroup answered."""
        body = request.json() or {}
        if not body.get("name"):
            raise self.bad_request("name is required")
        group_id = self.seed_group(request.project_id, body["name"])
        return Reply(200, self.groups[request.project_id][group_id])

    def list_groups(self, request: Request) -> Reply:
        """[API] ListAppGroup: ``GET /v1/{project_id}/app-groups``, ``limit`` 1-100 ([SDK]), ``{count, items}``."""
        window = self.page(request, default_limit=10, max_limit=100)
        groups = sorted(self.groups.get(request.project_id, {}).values(), key=lambda g: g["id"])
        if request.arg("app_group_id"):
            groups = [g for g in groups if g["id"] == request.arg("app_group_id")]
        if request.arg("name"):
            groups = [g for g in groups if request.arg("name") in g["name"]]
        return Reply(200, {"count": len(groups), "items": groups[window]})

    def add(self, request: Request) -> Reply:
        """AddAppGroupAuthorization (``POST /v1/{project_id}/app-groups/authorizations``, [API]
        AddAppGroupAuthorization.html): 1-10 ``app_group_ids`` x 1-50 ``accounts`` (AccountInfo: id, account,
        account_type, domain, platform_type AD|LOCAL|SYSTEM). Any name is authorized and the answer is 200 even for
        an account that does not exist ([TF] resource lines 94-95 and its ``_expectErr`` test); a user group is
        recorded by its id; a pair already held stays as it is."""
        groups, accounts = self._body(request)
        for group_id in groups:
            for account in accounts:
                if account["account_type"] == "USER_GROUP" and not account.get("id"):
                    continue  # [SDK] account_info.py: "for the user group type, the user group ID is required"
                self.grant(request.project_id, group_id, account["account"], account["account_type"],
                           account.get("domain") or "", account.get("id"), account.get("platform_type") or "LOCAL")
        return Reply(200, None)

    def list(self, request: Request) -> Reply:
        """[API] ListAppGroupAuthorization: ``limit`` 1-100 (default 10), ``offset`` an item offset ([SDK]
        ``list_app_group_authorization_request.py``), ``count`` the total; the ``account`` filter per reading."""
        window = self.page(request, default_limit=10, max_limit=100)
        held = self.authorizations.get(request.project_id, {})
        named, group = request.arg("account"), request.arg("app_group_id")
        if named and self.reading["account_filter"] == "exact":
            entries = [held[key] for key in sorted(self._by_name.get(request.project_id, {}).get(named, ()))]
        elif group:  # the project's order, one group's entries
            entries = [held[key] for key in self._by_group.get(request.project_id, {}).get(group, {})]
        else:
            entries = list(held.values())
        for name in ("app_group_id", "account_id", "account", "account_type"):
            wanted = request.arg(name)
            if not wanted:
                continue
            if name == "account" and self.reading["account_filter"] == "contains":
                entries = [e for e in entries if wanted in e[name]]
            else:
                entries = [e for e in entries if e[name] == wanted]
        return Reply(200, {"count": len(entries), "authorizations": entries[window]})

    def delete(self, request: Request) -> Reply:
        """200 whether or not a pair existed: "if the operation is repeated, the operation is successful"
        ([API] BatchDeleteAppGroupAuthorization; [TF] resource line 213: "in any case, the delete interface
        response status is 200"). A user group is matched by its id: without one nothing is removed ([SDK]
        ``account_info.py`` docstring of ``id``; [TF] acceptance ``testAccAppGroupAuthorization_basic`` passes
        ``id`` for every USER_GROUP and removes USER accounts by name alone)."""
        groups, accounts = self._body(request)
        known = self.groups.get(request.project_id, {})
        unknown = [group for group in groups if group not in known]
        if unknown and self.reading["unknown_group"] != "ignored":
            status = int(self.reading["unknown_group"])
            raise ServiceError(status, f"WKS.EMU{status}", f"app group {unknown[0]} does not exist")
        entries = self.authorizations.get(request.project_id, {})
        live = {group for group in groups if group in known}
        by_group = self._by_group.get(request.project_id, {})
        user_groups = [key for group in live for key in by_group.get(group, {}) if key[2] == "USER_GROUP"]
        for account in accounts:  # each account's own entries (a user's by its name), in the groups named
            candidates = user_groups if account["account_type"] == "USER_GROUP" else \
                sorted(self._by_name.get(request.project_id, {}).get(account["account"], ()))
            for key in candidates:
                if key[0] in live and key in entries and self._matches(entries[key], account):
                    self._forget(request.project_id, key)
        return Reply(200, None)

    def _matches(self, entry: Dict[str, Any], account: Dict[str, Any]) -> bool:
        if entry["account_type"] != account["account_type"]:
            return False
        if account["account_type"] == "USER_GROUP":
            return bool(account.get("id")) and entry["account_id"] == account["id"]
        if entry["account"] != account["account"]:
            return False
        wanted = account.get("domain")
        return not (self.reading["domain"] == "matched" and wanted and entry["domain"]
                    and entry["domain"].casefold() != wanted.casefold())

    def _body(self, request: Request) -> Tuple[List[str], List[Dict[str, Any]]]:
        """[SDK] ``app_group_authorize_req.py``: 1-10 group ids, 1-50 AccountInfo (account, account_type)."""
        body = request.json() or {}
        groups, accounts = body.get("app_group_ids"), body.get("accounts")
        if not isinstance(groups, list) or not groups or len(groups) > MAX_GROUPS:
            raise self.bad_request(f"app_group_ids must hold 1 to {MAX_GROUPS} ids")
        if not isinstance(accounts, list) or not accounts or len(accounts) > MAX_ACCOUNTS:
            raise self.bad_request(f"accounts must hold 1 to {MAX_ACCOUNTS} users or user groups")
        for account in accounts:
            if not isinstance(account, dict) or not account.get("account") or \
                    account.get("account_type") not in ("USER", "USER_GROUP"):
                raise self.bad_request("each account needs account and account_type USER|USER_GROUP")
        return groups, accounts


def _key(group_id: str, account: str, account_type: str, domain: str, account_id: Optional[str]) -> Key:
    return group_id, account, account_type, domain.casefold(), (account_id or "") if account_type == "USER_GROUP" \
        else ""


def _now(ago: timedelta = timedelta()) -> str:
    return (datetime.now(timezone.utc) - ago).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
