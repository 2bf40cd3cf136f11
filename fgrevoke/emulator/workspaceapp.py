"""Workspace App application groups and their authorizations.

CreateAppGroup, ListAppGroup, AddAppGroupAuthorization, ListAppGroupAuthorization and
BatchDeleteAppGroupAuthorization, shapes from the Workspace App API reference. Limits: at most
10 groups and 50 accounts per (add or remove) call; list ``limit`` 1..100 (default 10).
Removing an authorization that does not exist succeeds ("if the operation is repeated, the
operation is successful"). Accounts are matched by account name and type.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List, Tuple

from fgrevoke.emulator.server import Emulator, Reply, Request, error

MAX_GROUPS, MAX_ACCOUNTS = 10, 50


class WorkspaceApp:
    def __init__(self, emulator: Emulator) -> None:
        self.groups: Dict[str, Dict[str, Dict[str, Any]]] = {}
        self.authorizations: Dict[str, Dict[Tuple[str, str, str], Dict[str, Any]]] = {}
        emulator.route("POST", "/v1/{project_id}/app-groups", "workspaceapp.create_app_group", self.create_group,
                       "workspace:appGroup:create")
        emulator.route("GET", "/v1/{project_id}/app-groups", "workspaceapp.list_app_group", self.list_groups,
                       "workspace:appGroup:list")
        emulator.route("POST", "/v1/{project_id}/app-groups/authorizations",
                       "workspaceapp.add_app_group_authorization", self.add,
                       "workspace:appGroup:addAuthorization")
        emulator.route("GET", "/v1/{project_id}/app-groups/actions/list-authorizations",
                       "workspaceapp.list_app_group_authorization", self.list,
                       "workspace:appGroup:listAuthorization")
        emulator.route("POST", "/v1/{project_id}/app-groups/actions/batch-delete-authorization",
                       "workspaceapp.batch_delete_app_group_authorization", self.delete,
                       "workspace:appGroup:batchDeleteAuthorization")

    def reset(self) -> None:
        self.groups.clear()
        self.authorizations.clear()

    # -- seeding and inspection ------------------------------------------------------------
    def seed_group(self, project_id: str, name: str, group_id: str = "") -> str:
        group_id = group_id or str(uuid.uuid4().int)[:18]
        self.groups.setdefault(project_id, {})[group_id] = {
            "id": group_id, "name": name, "app_server_group_id": "", "description": "",
            "authorization_type": "APP_GROUP", "app_type": "SESSION_DESKTOP_APP", "create_at": _now(), "app_count": 0}
        return group_id

    def grant(self, project_id: str, group_id: str, account: str, account_type: str = "USER", domain: str = "") -> None:
        entries = self.authorizations.setdefault(project_id, {})
        if (group_id, account, account_type) in entries:
            return
        group = self.groups.get(project_id, {}).get(group_id, {})
        entries[(group_id, account, account_type)] = {
            "id": uuid.uuid4().hex, "account_id": uuid.uuid5(uuid.NAMESPACE_DNS, account).hex,
            "account": account, "app_id": "", "app_name": "", "app_group_id": group_id,
            "app_group_name": group.get("name", ""), "authorization_type": "APP_GROUP",
            "account_type": account_type, "platform_type": "LOCAL", "domain": domain, "create_at": _now()}

    def pairs(self, project_id: str) -> set:
        return {(group, account) for group, account, _type in self.authorizations.get(project_id, {})}

    # -- routes ----------------------------------------------------------------------------
    def create_group(self, request: Request) -> Reply:
        body = request.json() or {}
        if not body.get("name"):
            return error(400, "WKS.EMU400", "name is required")
        group_id = self.seed_group(request.project_id, body["name"])
        return Reply(200, self.groups[request.project_id][group_id])

    def list_groups(self, request: Request) -> Reply:
        limit, offset = _page(request)
        groups = sorted(self.groups.get(request.project_id, {}).values(), key=lambda g: g["id"])
        if request.arg("app_group_id"):
            groups = [g for g in groups if g["id"] == request.arg("app_group_id")]
        if request.arg("name"):
            groups = [g for g in groups if request.arg("name") in g["name"]]
        return Reply(200, {"count": len(groups), "items": groups[offset:offset + limit]})

    def add(self, request: Request) -> Reply:
        groups, accounts, problem = self._body(request)
        if problem is not None:
            return problem
        for group_id in groups:
            for account in accounts:
                self.grant(request.project_id, group_id, account["account"], account["account_type"],
                           account.get("domain") or "")
        return Reply(200, None)

    def list(self, request: Request) -> Reply:
        limit, offset = _page(request)
        entries = list(self.authorizations.get(request.project_id, {}).values())
        for name in ("app_group_id", "account_id", "account", "account_type"):
            wanted = request.arg(name)
            if wanted:
                entries = [e for e in entries if e[name] == wanted]
        return Reply(200, {"count": len(entries), "authorizations": entries[offset:offset + limit]})

    def delete(self, request: Request) -> Reply:
        groups, accounts, problem = self._body(request)
        if problem is not None:
            return problem
        entries = self.authorizations.get(request.project_id, {})
        for group in groups:
            for account in accounts:
                entries.pop((group, account["account"], account["account_type"]), None)
        return Reply(200, None)

    def _body(self, request: Request) -> Tuple[List[str], List[Dict[str, Any]], Any]:
        body = request.json() or {}
        groups, accounts = body.get("app_group_ids"), body.get("accounts")
        if not isinstance(groups, list) or not groups or len(groups) > MAX_GROUPS:
            return [], [], error(400, "WKS.EMU400", f"app_group_ids must hold 1 to {MAX_GROUPS} ids")
        if not isinstance(accounts, list) or not accounts or len(accounts) > MAX_ACCOUNTS:
            return [], [], error(400, "WKS.EMU400", f"accounts must hold 1 to {MAX_ACCOUNTS} users or user groups")
        for account in accounts:
            if not isinstance(account, dict) or not account.get("account") or \
                    account.get("account_type") not in ("USER", "USER_GROUP"):
                return [], [], error(400, "WKS.EMU400", "each account needs account and account_type USER|USER_GROUP")
        return groups, accounts, None


def _page(request: Request) -> Tuple[int, int]:
    limit = int(request.arg("limit") or 10)
    offset = int(request.arg("offset") or 0)
    if not 1 <= limit <= 100 or offset < 0:
        raise ValueError("limit must be 1..100 and offset >= 0")
    return limit, offset


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
