"""Workspace access policies: CreateAccessPolicy, ListAccessPolicies, BatchDeleteAccessPolicies.

Shapes from the Workspace API reference. ``policy_id_list`` takes 1 to 100 ids (the API
definition's ``maxItems``). The docs do not say what deleting an unknown id does; the emulator
answers 404 ``WKS.EMU404`` naming the unknown ids and deletes nothing of that batch (choice
documented in the README), which the handler treats as "already gone" after checking.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

from fgrevoke.emulator.server import Emulator, Reply, Request, error

BASE = "/v2/{project_id}/access-policy"
MAX_BATCH = 100


class Workspace:
    def __init__(self, emulator: Emulator) -> None:
        self.policies: Dict[str, Dict[str, Dict[str, Any]]] = {}
        emulator.route("POST", BASE, "workspace.create_access_policy", self.create,
                       "workspace:accessPolicies:create")
        emulator.route("GET", BASE, "workspace.list_access_policies", self.list, "workspace:accessPolicies:get")
        emulator.route("DELETE", BASE, "workspace.batch_delete_access_policies", self.delete,
                       "workspace:accessPolicies:delete")

    def reset(self) -> None:
        self.policies.clear()

    def seed(self, project_id: str, policy_name: str = "PRIVATE_ACCESS", *, access_control_type: str = "ACCESS_TYPE",
             is_enable: bool = True, age_days: float = 0.0, policy_id: Optional[str] = None,
             create_time: Optional[str] = None) -> str:
        policy_id = policy_id or str(uuid.uuid4())
        created = datetime.now(timezone.utc) - timedelta(days=age_days)
        self._project(project_id)[policy_id] = {
            "policy_id": policy_id, "policy_name": policy_name, "blacklist_type": "INTERNET",
            "access_control_type": access_control_type, "ip_list": [], "is_enable": is_enable,
            "is_block_all": False, "ip_total_count": 0,
            "create_time": create_time or created.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"}
        return policy_id

    def policy_ids(self, project_id: str) -> List[str]:
        return sorted(self._project(project_id))

    def _project(self, project_id: str) -> Dict[str, Dict[str, Any]]:
        return self.policies.setdefault(project_id, {})

    def create(self, request: Request) -> Reply:
        body = request.json() or {}
        policy = body.get("policy")
        if not isinstance(policy, dict) or not policy.get("policy_name") or not policy.get("blacklist_type"):
            return error(400, "WKS.EMU400", "policy.policy_name and policy.blacklist_type are required")
        self.seed(request.project_id, policy["policy_name"],
                  access_control_type=policy.get("access_control_type") or "ACCESS_TYPE",
                  is_enable=policy.get("is_enable", True))
        return Reply(200, None)

    def list(self, request: Request) -> Reply:
        limit = int(request.arg("limit") or 100)
        offset = int(request.arg("offset") or 0)
        if not 0 <= limit <= 100 or offset < 0:
            return error(400, "WKS.EMU400", "limit must be 0..100 and offset >= 0")
        kind = request.arg("access_control_type")
        entries = [p for _, p in sorted(self._project(request.project_id).items())
                   if kind is None or p["access_control_type"] == kind]
        return Reply(200, {"policies": entries[offset:offset + limit], "total": len(entries)})

    def delete(self, request: Request) -> Reply:
        ids = (request.json() or {}).get("policy_id_list")
        if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_BATCH or \
                not all(isinstance(i, str) and i for i in ids):
            return error(400, "WKS.EMU400", f"policy_id_list must hold 1 to {MAX_BATCH} ids")
        policies = self._project(request.project_id)
        unknown = [i for i in ids if i not in policies]
        if unknown:
            return error(404, "WKS.EMU404", "access policies not found: " + ",".join(unknown))
        for policy_id in ids:
            policies.pop(policy_id, None)
        return Reply(200, None)
