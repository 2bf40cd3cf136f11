"""ModelArts authorization management: CreateAuthorization, GetAuthorizations, DeleteAuthorizations.

Shapes from the ModelArts API reference (CreateAuthorization, GetAuthorizations,
DeleteAuthorizations) and the SDK models; behaviour from docs/reference/real-services.md §1:
- deleting an authorization that does not exist answers 400 ``ModelArts.0429`` (ModelArts error
  codes, opentelekomcloud-docs/modelarts api-ref/source/appendix/error_codes.rst);
- the grant for all IAM users is the entry ``user_id``/``user_name`` ``all-users``, deleted by
  ``DELETE ?user_id=all-users`` (same docs, use_cases/managing_modelarts_authorization.rst;
  terraform-provider-huaweicloud modelarts authorization acceptance test);
- listings also hold federated entries (no ``user_id``, ``user_name`` may be null) and other
  ``user_type``s (SDK ``authorization_response.py``).

Readings where the docs leave it open (``READINGS``; set ``reading`` per test):
- ``offset``: ``page`` (the API reference: the start page) or ``item`` (golangsdk's generic pager);
- ``all``: ``everything`` (every entry goes) or ``iam_only`` (federated and all-users entries stay).
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Optional

from fgrevoke.emulator.service import EmulatedService, Reply, Request, Route, ServiceError

BASE = "/v2/{project_id}/authorizations"
ALL_USERS = "all-users"
READINGS = {"offset": ("page", "item"), "all": ("everything", "iam_only")}
NOT_FOUND = ("ModelArts.0429", "The authorization does not exist. Check whether the user_id is correct.")


class ModelArts(EmulatedService):
    name = "modelarts"
    routes = (
        Route("POST", BASE, "modelarts.create_authorization", "modelarts:authorization:create", "create"),
        Route("GET", BASE, "modelarts.get_authorizations", "modelarts:authorization:list", "list"),
        Route("DELETE", BASE, "modelarts.delete_authorizations", "modelarts:authorization:delete", "delete"),
    )
    state = ("authorizations",)
    authorizations: Dict[str, Dict[str, Dict[str, Any]]]  # project -> key (user_id) -> entry
    readings = READINGS
    bad_request_code = "ModelArts.0001"

    def seed(self, project_id: str, user_id: str, user_name: Optional[str] = "", content: str = "modelarts_agency",
             user_type: str = "iam", kind: str = "agency", age_hours: float = 0.0) -> None:
        """``create_time``: milliseconds since the epoch, ``age_hours`` ago (the sweep's grace reads it)."""
        self._project(project_id)[user_id] = {
            "user_id": user_id, "type": kind, "content": content,
            "user_name": user_id if user_name == "" else user_name, "user_type": user_type,
            "create_time": int((time.time() - age_hours * 3600) * 1000)}

    def seed_all_users(self, project_id: str, age_hours: float = 0.0) -> None:
        """The grant for all IAM users, as the use-case docs list it."""
        self.seed(project_id, ALL_USERS, ALL_USERS, user_type=ALL_USERS, age_hours=age_hours)

    def seed_federated(self, project_id: str, user_name: Optional[str]) -> str:
        """A federated user's grant: no user_id; keyed here by a private id the API never shows."""
        key = f"federated:{user_name}:{len(self._project(project_id))}"
        self._project(project_id)[key] = {"type": "agency", "content": "modelarts_agency", "user_name": user_name,
                                          "user_type": "federate", "create_time": int(time.time() * 1000)}
        return key

    def user_ids(self, project_id: str) -> List[str]:
        return sorted(self._project(project_id))

    def _project(self, project_id: str) -> Dict[str, Dict[str, Any]]:
        return self.authorizations.setdefault(project_id, {})

    def create(self, request: Request) -> Reply:
        """CreateAuthorization: ``user_id`` (a federated user: ``user_name``), ``type`` agency|credential,
        ``content`` (agency name, or the AK), ``secret_key`` for a credential, ``user_name``, ``user_type``
        (iam|federate|federation-group|grant|all-users, default iam). An existing grant is updated ("if already
        authorized, the authorization is updated"); the secret key is kept out of every listing."""
        body = request.json() or {}
        user_id, user_type = body.get("user_id"), body.get("user_type") or "iam"
        kind, content = str(body.get("type") or "").lower(), body.get("content")
        if kind not in ("agency", "credential") or not isinstance(content, str) or not content:
            raise self.bad_request("type (agency or credential) and content are required")
        if kind == "credential" and not body.get("secret_key"):
            raise self.bad_request("secret_key is required for a credential authorization")
        if user_type == "federate":
            if not body.get("user_name"):
                raise self.bad_request("user_name is required for a federated user")
            key = f"federated:{body['user_name']}"
        elif not isinstance(user_id, str) or not user_id:
            raise self.bad_request("user_id is required")
        else:
            key = user_id
        entry = {"user_id": user_id, "type": kind, "content": content,
                 "user_name": body.get("user_name") if body.get("user_name") is not None else user_id,
                 "user_type": user_type, "create_time": int(time.time() * 1000)}
        self._project(request.project_id)[key] = {k: v for k, v in entry.items() if k != "user_id" or v}
        return Reply(200, {"result": "true"})

    def list(self, request: Request) -> Reply:
        window = self.page(request, default_limit=1000, max_limit=1000)
        entries = sorted(self._project(request.project_id).values(),
                         key=lambda e: (str(e.get("user_name")), str(e.get("user_id"))))
        if request.arg("order") == "DESC":
            entries.reverse()
        return Reply(200, {"total_count": len(entries), "auth": entries[window]})

    def delete(self, request: Request) -> Reply:
        user_id = request.arg("user_id")
        if not user_id:
            raise self.bad_request("user_id is required")
        authorizations = self._project(request.project_id)
        if user_id == "all":
            keep = self.reading["all"] == "iam_only"
            for key in [k for k, e in authorizations.items() if not keep or e.get("user_type") == "iam"]:
                del authorizations[key]
        elif authorizations.pop(user_id, None) is None:
            raise ServiceError(400, *NOT_FOUND)
        if user_id == ALL_USERS:
            return Reply(200, {"result": True, "success_message": "Delete all-users auth info successfully!"})
        return Reply(200, {"result": "true"})
