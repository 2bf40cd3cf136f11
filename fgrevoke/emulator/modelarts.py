"""ModelArts authorization management: CreateAuthorization, GetAuthorizations, DeleteAuthorizations.

Shapes from the ModelArts API reference (CreateAuthorization, GetAuthorizations,
DeleteAuthorizations) and the SDK models. Error codes for these cases are not documented; the
emulator's own are marked ``ModelArts.EMU*``.
"""

from __future__ import annotations

import time
from typing import Any, Dict

from fgrevoke.emulator.server import Emulator, Reply, Request, error

BASE = "/v2/{project_id}/authorizations"


class ModelArts:
    def __init__(self, emulator: Emulator) -> None:
        self.authorizations: Dict[str, Dict[str, Dict[str, Any]]] = {}
        emulator.route("POST", BASE, "modelarts.create_authorization", self.create,
                       "modelarts:authorization:create")
        emulator.route("GET", BASE, "modelarts.get_authorizations", self.list, "modelarts:authorization:list")
        emulator.route("DELETE", BASE, "modelarts.delete_authorizations", self.delete,
                       "modelarts:authorization:delete")

    def reset(self) -> None:
        self.authorizations.clear()

    def seed(self, project_id: str, user_id: str, user_name: str = "", content: str = "modelarts_agency") -> None:
        self._project(project_id)[user_id] = {
            "user_id": user_id, "type": "agency", "content": content, "user_name": user_name or user_id,
            "user_type": "iam", "create_time": int(time.time() * 1000)}

    def user_ids(self, project_id: str) -> list:
        return sorted(self._project(project_id))

    def _project(self, project_id: str) -> Dict[str, Dict[str, Any]]:
        return self.authorizations.setdefault(project_id, {})

    def create(self, request: Request) -> Reply:
        body = request.json() or {}
        user_id = body.get("user_id")
        if not isinstance(user_id, str) or not user_id:
            return error(400, "ModelArts.EMU400", "user_id is required")
        self.seed(request.project_id, user_id, body.get("user_name") or "", body.get("content") or "")
        return Reply(200, {"result": "true"})

    def list(self, request: Request) -> Reply:
        limit = int(request.arg("limit") or 1000)
        page = int(request.arg("offset") or 0)  # documented as the start page
        if not 1 <= limit <= 1000 or page < 0:
            return error(400, "ModelArts.EMU400", "limit must be 1..1000 and offset >= 0")
        entries = sorted(self._project(request.project_id).values(), key=lambda e: e["user_name"])
        if request.arg("order") == "DESC":
            entries.reverse()
        return Reply(200, {"total_count": len(entries), "auth": entries[page * limit:(page + 1) * limit]})

    def delete(self, request: Request) -> Reply:
        user_id = request.arg("user_id")
        if not user_id:
            return error(400, "ModelArts.EMU400", "user_id is required")
        authorizations = self._project(request.project_id)
        if user_id == "all":
            authorizations.clear()
        elif authorizations.pop(user_id, None) is None:
            return error(404, "ModelArts.EMU404", f"no authorization found for user {user_id}")
        return Reply(200, {"result": "true"})
