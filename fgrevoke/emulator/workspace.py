"""Workspace access policies (CreateAccessPolicy, ListAccessPolicies, ListAccessPolicyObjects,
BatchDeleteAccessPolicies), and the Workspace users and user groups the Workspace App sweep reads
(ListUsers, ListUserGroups).

Shapes from the Workspace API reference and the SDK models (huaweicloudsdkworkspace v2
``access_policy_detail_info.py``, ``access_policy_object.py``, ``ip_info.py``):
- ListAccessPolicies: ``GET /v2/{project_id}/access-policy``, ``limit`` 0-100 (default 100), ``offset``
  0-99 (default 0); answers ``{policies, total}``
  (https://support.huaweicloud.com/intl/en-us/api-workspace/ListAccessPolicies.html; SDK
  ``list_access_policies_request.py``: "每页数量,范围0-100" / "偏移量,范围0-99"). Beyond the bounds the
  emulator answers 400 ``WKS.EMU400``: the service's code for it is not documented.
- ListAccessPolicyObjects: ``GET /v2/{project_id}/access-policy/{access_policy_id}/objects``, ``limit``
  0-2000 (default 10), ``offset`` 0-1999; answers ``{policy_objects_list: [{object_id, object_name,
  object_type USER|USERGROUP, object_domain}], total}``; IAM action ``workspace:accessPolicies:getTarget``
  (https://support.huaweicloud.com/intl/th-th/api-workspace/ListAccessPolicyObjects.html; SDK
  ``list_access_policy_objects_request.py``).
- BatchDeleteAccessPolicies: ``DELETE /v2/{project_id}/access-policy`` with 1 to 100 ids (the API
  definition's ``maxItems``; https://support.huaweicloud.com/api-workspace/BatchDeleteAccessPolicies.md,
  IAM action ``workspace:accessPolicies:delete``). The page lists 404 "No resources found" without a code.
- CreateAccessPolicy takes ``{policy, policy_objects_list}`` (huaweicloud/terraform-provider-huaweicloud
  huaweicloud/services/workspace/resource_huaweicloud_workspace_access_policy.go).
- ``is_enable`` is documented as "whether the IP whitelist takes effect", default false (SDK
  ``access_policy_detail_info.py``: "IP白名单是否生效"); ``access_control_type`` defaults to ACCESS_TYPE.

- ListUsers: ``GET /v2/{project_id}/users`` answers ``{total_count, users: [User]}``; ``limit`` absent
  returns every user, ``offset`` is the first item's index (SDK ``list_users_request.py``: "如果不指定，则返回
  所有符合条件的用户" / "分页查询起始条数"; response example https://support.huaweicloud.com/api-workspace/ListUsers.html).
  The SDK gives no largest ``limit``: the emulator takes 1-1000.
- ListUserGroups: ``GET /v2/{project_id}/groups`` answers ``{total_count, user_groups: [UserGroupInfo]}``;
  ``limit`` 1-100 (0 or absent: 100), ``offset`` the first item's index from 0 (SDK
  ``list_user_groups_request.py``, ``list_user_groups_response.py``, ``user_group_info.py``).
- Workspace serves these on ``workspace.{region}``; Workspace App (``appstream.{region}`` in mainland regions)
  is another SDK and endpoint (SDK ``workspace_region.py``, ``workspaceapp_region.py``).

Error bodies are ``{error_code, error_msg}`` with ``WKS.`` codes (Workspace "Application Error Codes",
https://support.huaweicloud.com/intl/th-th/api-workspace/ErrorCode_0.html); where no code is
documented the emulator's own code says so (``WKS.EMU…``).

Readings where the docs leave it open (``READINGS``; set ``reading`` per test):
- ``unknown_id``: a delete batch holding an id the project does not have answers 404 or 400
  (``WKS.EMU404`` / ``WKS.EMU400``: no code is documented), and deletes none or the rest of the batch;
- ``access_type_is_enable``: what the listing reports as ``is_enable`` of an ACCESS_TYPE policy
  (``true``, ``false`` or ``absent``), a field the docs give the IP whitelist only;
- ``offset``: ``item`` (an item index, as golangsdk's generic pager reads offsets) or ``page`` (a page
  number), for both listings;
- ``create_time``: ``documented`` (``2022-10-24T17:24:56.000+00:00``, the ListAccessPolicies response
  example), ``utc_z`` (``…56.000Z``) or ``plain`` (``2022-10-24 17:24:56``, UTC); SDK and API definition
  type it only as a string.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

from fgrevoke.emulator.service import EmulatedService, Reply, Request, Route, ServiceError

BASE = "/v2/{project_id}/access-policy"
USERS = "/v2/{project_id}/users"
USER_GROUPS = "/v2/{project_id}/groups"
OBJECTS = BASE + "/{access_policy_id}/objects"
MAX_BATCH = 100
MAX_OBJECTS, OBJECT_TYPES = 2000, ("USER", "USERGROUP")  # CreateAccessPolicy's policy_objects_list
READINGS = {
    "unknown_id": ("404_none_deleted", "400_none_deleted", "404_rest_deleted", "400_rest_deleted"),
    "access_type_is_enable": ("true", "false", "absent"),
    "offset": ("item", "page"),
    "create_time": ("documented", "utc_z", "plain"),
}
TIME_FORMATS = {"documented": "%Y-%m-%dT%H:%M:%S.{ms}+00:00", "utc_z": "%Y-%m-%dT%H:%M:%S.{ms}Z",
                "plain": "%Y-%m-%d %H:%M:%S"}
Policy = Dict[str, Any]


class Workspace(EmulatedService):
    name = "workspace"
    routes = (
        Route("POST", BASE, "workspace.create_access_policy", "workspace:accessPolicies:create", "create"),
        Route("GET", BASE, "workspace.list_access_policies", "workspace:accessPolicies:get", "list"),
        Route("GET", OBJECTS, "workspace.list_access_policy_objects", "workspace:accessPolicies:getTarget",
              "list_objects"),
        Route("DELETE", BASE, "workspace.batch_delete_access_policies", "workspace:accessPolicies:delete",
              "delete"),
        Route("GET", USERS, "workspace.list_users", "workspace:users:list", "list_users"),
        Route("GET", USER_GROUPS, "workspace.list_user_groups", "workspace:userGroups:list", "list_user_groups"),
    )
    state = ("policies", "users", "user_groups")
    policies: Dict[str, Dict[str, Policy]]  # project -> policy id -> policy
    users: Dict[str, Dict[str, Dict[str, Any]]]  # project -> user name -> User
    user_groups: Dict[str, Dict[str, Dict[str, Any]]]  # project -> group id -> UserGroupInfo
    readings = READINGS
    bad_request_code = "WKS.EMU400"

    def seed(self, project_id: str, policy_name: str = "PRIVATE_ACCESS", *,
             access_control_type: Optional[str] = "IP_WHITE_LIST", is_enable: Optional[bool] = False,
             age_days: float = 0.0, policy_id: Optional[str] = None, create_time: Optional[str] = None,
             objects: Optional[List[Dict[str, str]]] = None, ip_list: Optional[List[Dict[str, str]]] = None,
             is_block_all: bool = False) -> str:
        """One policy. The default is a switched-off IP whitelist: the one kind not in force.

        ``is_enable`` applies to an IP whitelist (None: the field is absent); what an ACCESS_TYPE
        policy reports is the ``access_type_is_enable`` reading. ``access_control_type`` None: the
        field is absent. ``create_time`` text replaces the reading's format (odd formats).
        """
        policy_id = policy_id or str(uuid.uuid4())
        self._project(project_id)[policy_id] = {
            "policy_id": policy_id, "policy_name": policy_name, "blacklist_type": "INTERNET",
            "access_control_type": access_control_type, "ip_list": list(ip_list or []), "is_enable": is_enable,
            "is_block_all": is_block_all, "created": datetime.now(timezone.utc) - timedelta(days=age_days),
            "create_time": create_time, "objects": [dict(entry) for entry in objects or []]}
        return policy_id

    def policy_ids(self, project_id: str) -> List[str]:
        return sorted(self._project(project_id))

    def remove(self, project_id: str, policy_id: str) -> None:
        """Another actor deletes a policy (a race between the handler's listing and its delete)."""
        self._project(project_id).pop(policy_id, None)

    def seed_user(self, project_id: str, user_name: str) -> str:
        """A Workspace user (SDK ``user.py``); answers its id."""
        user_id = uuid.uuid5(uuid.NAMESPACE_DNS, f"{project_id}/{user_name}").hex
        self.users.setdefault(project_id, {})[user_name] = {
            "id": user_id, "user_name": user_name, "user_email": f"{user_name}@example.com", "total_desktops": 0,
            "account_expires": "0", "enable_change_password": True, "next_login_change_password": True,
            "locked": False, "disabled": False}
        return user_id

    def seed_user_group(self, project_id: str, name: str, group_id: Optional[str] = None) -> str:
        """A Workspace user group (SDK ``user_group_info.py``); answers its id."""
        group_id = group_id or uuid.uuid4().hex
        self.user_groups.setdefault(project_id, {})[group_id] = {
            "id": group_id, "name": name, "description": "", "user_quantity": 0, "platform_type": "LOCAL",
            "create_time": _time_text(datetime.now(timezone.utc), "documented")}
        return group_id

    def remove_user(self, project_id: str, user_name: str) -> None:
        self.users.get(project_id, {}).pop(user_name, None)

    def remove_user_group(self, project_id: str, group_id: str) -> None:
        self.user_groups.get(project_id, {}).pop(group_id, None)

    def list_users(self, request: Request) -> Reply:
        users = [user for _, user in sorted(self.users.get(request.project_id, {}).items())]
        if request.arg("limit") is None:  # no limit: every user (from offset)
            window = slice(self._offset(request), None)
        else:
            window = self.page(request, default_limit=1000, max_limit=1000)
        return Reply(200, {"total_count": len(users), "users": users[window]})

    def list_user_groups(self, request: Request) -> Reply:
        if request.arg("limit") in (None, "0"):
            request.query["limit"] = ["100"]
        window = self.page(request, default_limit=100, max_limit=100)
        groups = [group for _, group in sorted(self.user_groups.get(request.project_id, {}).items())]
        return Reply(200, {"total_count": len(groups), "user_groups": groups[window]})

    def _offset(self, request: Request) -> int:
        try:
            offset = int(request.arg("offset") or 0)
        except ValueError:
            raise self.bad_request("offset must be an integer") from None
        if offset < 0:
            raise self.bad_request("offset must be >= 0")
        return offset

    def _project(self, project_id: str) -> Dict[str, Policy]:
        return self.policies.setdefault(project_id, {})

    def create(self, request: Request) -> Reply:
        """CreateAccessPolicy: ``policy`` (policy_name, blacklist_type, access_control_type default ACCESS_TYPE,
        ip_list, is_enable, is_block_all) and ``policy_objects_list`` (at most 2000 USER|USERGROUP objects); a new
        policy_id, which the answer does not carry (SDK ``create_access_policy_response.py`` has no field)."""
        body = request.json() or {}
        policy = body.get("policy")
        if not isinstance(policy, dict) or not policy.get("policy_name") or not policy.get("blacklist_type"):
            raise self.bad_request("policy.policy_name and policy.blacklist_type are required")
        objects = body.get("policy_objects_list") or []
        if not isinstance(objects, list) or len(objects) > MAX_OBJECTS or \
                not all(isinstance(o, dict) and o.get("object_id") and o.get("object_type") in OBJECT_TYPES
                        for o in objects):
            raise self.bad_request(f"policy_objects_list holds at most {MAX_OBJECTS} objects, each with object_id "
                                   "and object_type USER or USERGROUP")
        policy_id = self.seed(request.project_id, policy["policy_name"],
                              access_control_type=policy.get("access_control_type") or "ACCESS_TYPE",
                              is_enable=policy.get("is_enable", False), ip_list=policy.get("ip_list"),
                              is_block_all=bool(policy.get("is_block_all")), objects=objects)
        self._project(request.project_id)[policy_id]["blacklist_type"] = policy["blacklist_type"]
        return Reply(200, None)

    def list(self, request: Request) -> Reply:
        window = self.page(request, default_limit=100, min_limit=0, max_limit=100, max_offset=99)
        kind = request.arg("access_control_type")
        entries = [self._shown(p) for _, p in sorted(self._project(request.project_id).items())
                   if kind is None or (p["access_control_type"] or "ACCESS_TYPE") == kind]
        return Reply(200, {"policies": entries[window], "total": len(entries)})

    def list_objects(self, request: Request) -> Reply:
        policy = self._project(request.project_id).get(request.path.rstrip("/").split("/")[-2])
        if policy is None:  # the page lists 404 without a code
            raise ServiceError(404, "WKS.EMU404", "access policy not found")
        window = self.page(request, default_limit=10, min_limit=0, max_limit=2000, max_offset=1999)
        return Reply(200, {"policy_objects_list": policy["objects"][window], "total": len(policy["objects"])})

    def delete(self, request: Request) -> Reply:
        ids = (request.json() or {}).get("policy_id_list")
        if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_BATCH or \
                not all(isinstance(i, str) and i for i in ids):
            raise self.bad_request(f"policy_id_list must hold 1 to {MAX_BATCH} ids")
        policies = self._project(request.project_id)
        unknown = [i for i in ids if i not in policies]
        reading = self.reading["unknown_id"]
        if unknown and not reading.endswith("rest_deleted"):
            raise _unknown(reading, unknown)
        for policy_id in ids:
            policies.pop(policy_id, None)
        if unknown:
            raise _unknown(reading, unknown)
        return Reply(200, None)

    def _shown(self, policy: Policy) -> Dict[str, Any]:
        """A policy as ListAccessPolicies shows it (AccessPolicyDetailInfo)."""
        shown = {key: policy[key] for key in ("policy_id", "policy_name", "blacklist_type", "ip_list",
                                              "is_block_all")}
        shown["ip_total_count"] = len(policy["ip_list"])
        if policy["access_control_type"] is not None:
            shown["access_control_type"] = policy["access_control_type"]
        if (policy["access_control_type"] or "ACCESS_TYPE") == "IP_WHITE_LIST":
            is_enable: Any = policy["is_enable"]
        else:
            is_enable = {"true": True, "false": False, "absent": None}[self.reading["access_type_is_enable"]]
        if is_enable is not None:
            shown["is_enable"] = is_enable
        shown["create_time"] = policy["create_time"] or _time_text(policy["created"], self.reading["create_time"])
        return shown


def _unknown(reading: str, unknown: List[str]) -> ServiceError:
    status = int(reading[:3])
    return ServiceError(status, f"WKS.EMU{status}", "access policies not found: " + ",".join(unknown))


def _time_text(when: datetime, reading: str) -> str:
    return when.strftime(TIME_FORMATS[reading].replace("{ms}", f"{when.microsecond // 1000:03d}"))
