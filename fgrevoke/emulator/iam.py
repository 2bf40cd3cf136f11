"""IAM: the users of each account (KeystoneListUsers, ListUsersV5) and the projects a caller can reach
(KeystoneListAuthProjects).

The caller's account is the one its signing key belongs to (``Emulator.add_credentials``); IAM is global, so no
project is in the path. Shapes from the SDK models (huaweicloudsdkiam 3.1.219: ``v3/model/keystone_list_users_*``,
``links.py``, ``auth_project_result.py``, ``v5/model/list_users_v5_*``, ``user.py``, ``page_info.py``) and
docs/reference/account-wide.md §2:
- KeystoneListAuthProjects lists every project of the caller's account: each region's own project (named after the
  region, parent the account), its sub-projects (``<region>_<suffix>``, parent the region's project) and ``MOS``,
  a built-in project that is no region (whoever reads regions from names must skip it);
- ListUsersV5 pages with ``limit`` (1..200, default 100) and ``marker``; ``page_info.next_marker`` is null on the
  last page.

Reading where a listing may be incomplete (``READINGS``; set ``reading`` per test):
- ``users``: KeystoneListUsers answers ``complete``; ``next_link``: every user but the last, with a non-null
  ``links.next``; ``short``: every user but the last, ``links.next`` null (a listing that lost one silently).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from fgrevoke.emulator.accounts import DEFAULT_ACCOUNT
from fgrevoke.emulator.service import EmulatedService, Reply, Request, Route

if TYPE_CHECKING:
    from fgrevoke.emulator.server import Emulator

READINGS = {"users": ("complete", "next_link", "short")}
BUILT_IN = "MOS"  # listed by KeystoneListAuthProjects alongside the regions' projects; not a region
IAM_BASE = "https://iam.myhuaweicloud.com"  # what the links name (the SDK's default global endpoint)


class Iam(EmulatedService):
    name = "iam"
    routes = (
        Route("GET", "/v3/users", "iam.keystone_list_users", "iam:users:listUsers", "list_users"),
        Route("GET", "/v5/users", "iam.list_users_v5", "iam:users:listUsersV5", "list_users_v5"),
        # needs no permission (docs/reference/account-wide.md §2): no action
        Route("GET", "/v3/auth/projects", "iam.keystone_list_auth_projects", "", "list_auth_projects"),
    )
    state = ("users",)
    users: Dict[str, Dict[str, Dict[str, Any]]]  # account -> user id -> user
    readings = READINGS
    bad_request_code = "IAM.0001"

    def __init__(self, emulator: "Emulator") -> None:
        self._directory = emulator.directory
        super().__init__(emulator)

    # -- seeding and inspection ------------------------------------------------------------
    def seed_user(self, account_id: Optional[str], user_id: str, name: str, enabled: bool = True) -> None:
        """A user of ``account_id`` (``None``: the default account)."""
        self.users.setdefault(account_id or DEFAULT_ACCOUNT, {})[user_id] = {
            "id": user_id, "name": name, "domain_id": account_id or DEFAULT_ACCOUNT, "enabled": enabled,
            "description": "", "password_expires_at": None, "pwd_status": False, "pwd_strength": "high",
            "last_project_id": None, "access_mode": "default", "created_at": _now(),
            "links": {"self": f"{IAM_BASE}/v3/users/{user_id}"}}

    def remove_user(self, account_id: Optional[str], user_id: str) -> None:
        self.users.get(account_id or DEFAULT_ACCOUNT, {}).pop(user_id, None)

    def _of(self, account_id: str) -> List[Dict[str, Any]]:
        return sorted(self.users.get(account_id, {}).values(), key=lambda user: str(user["id"]))

    # -- routes ----------------------------------------------------------------------------
    def list_users(self, request: Request) -> Reply:
        users = [user for user in self._of(request.account_id)
                 if request.arg("name") in (None, user["name"])
                 and request.arg("enabled") in (None, str(user["enabled"]).lower())
                 and request.arg("domain_id") in (None, user["domain_id"])]
        listed = [{key: value for key, value in user.items() if key != "created_at"} for user in users]
        links: Dict[str, Any] = {"self": f"{IAM_BASE}/v3/users", "next": None, "previous": None}
        if self.reading["users"] != "complete" and listed:
            listed = listed[:-1]
            if self.reading["users"] == "next_link":
                links["next"] = f"{IAM_BASE}/v3/users?page=2"
        return Reply(200, {"users": listed, "links": links})

    def list_users_v5(self, request: Request) -> Reply:
        try:
            limit = int(request.arg("limit") or 100)
        except ValueError:
            raise self.bad_request("limit must be an integer") from None
        if not 1 <= limit <= 200:
            raise self.bad_request("limit must be 1..200")
        users = self._of(request.account_id)
        marker = request.arg("marker")
        start = 0
        if marker is not None:
            ids = [_marker(user["id"]) for user in users]
            if marker not in ids:
                raise self.bad_request("marker is invalid")
            start = ids.index(marker) + 1
        page = users[start:start + limit]
        more = start + limit < len(users)
        return Reply(200, {
            "users": [{"user_id": user["id"], "user_name": user["name"], "description": user["description"],
                       "is_root_user": False, "created_at": user["created_at"], "enabled": user["enabled"],
                       "urn": f"iam::{user['domain_id']}:user:{user['name']}"} for user in page],
            "page_info": {"next_marker": _marker(page[-1]["id"]) if more else None, "current_count": len(page)}})

    def list_auth_projects(self, request: Request) -> Reply:
        account = request.account_id
        projects = [{"id": project.project_id, "name": project.name, "domain_id": account, "enabled": True,
                     "is_domain": False, "parent_id": project.parent_id, "description": "",
                     "links": {"self": f"{IAM_BASE}/v3/projects/{project.project_id}"}}
                    for project in sorted(self._directory.of(account), key=lambda p: (p.name, p.project_id))]
        if projects:
            built_in = uuid.uuid5(uuid.NAMESPACE_OID, f"{account}:{BUILT_IN}").hex
            projects.append({"id": built_in, "name": BUILT_IN, "domain_id": account, "enabled": True,
                             "is_domain": False, "parent_id": account, "description": "",
                             "links": {"self": f"{IAM_BASE}/v3/projects/{built_in}"}})
        return Reply(200, {"projects": projects, "links": {"self": f"{IAM_BASE}/v3/auth/projects"}})


def _marker(user_id: str) -> str:
    # 4..400 characters of letters, digits and +/=-_ (ListUsersV5Request.marker)
    return f"mk-{user_id}"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
