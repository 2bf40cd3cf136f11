"""IAM users: KeystoneListUsers, the listing the ModelArts sweep reads to tell who still exists.

``GET /v3/users`` (SDK ``huaweicloudsdkiam.v3`` ``IamClient.keystone_list_users``; IAM API reference
https://support.huaweicloud.com/intl/en-us/api-iam/iam_08_0001.html) answers ``{links, users}``:
``links`` holds ``self``, ``previous`` and ``next`` (SDK ``links.py``), each user ``id``, ``name``,
``domain_id``, ``enabled``, ... (SDK ``keystone_list_users_result.py``). The request has no page
parameters (SDK ``keystone_list_users_request.py``: ``domain_id``, ``enabled``, ``name``,
``password_expires_at``), so a whole listing is one answer whose ``links.next`` is null.

Readings where the docs leave it open (``READINGS``; set ``reading`` per test):
- ``paging``: ``whole`` (every user, ``links.next`` null) or ``paged`` (the first ``PAGE`` users and a
  ``links.next``: the answer a caller must not take as complete).
"""

from __future__ import annotations

import uuid
from typing import Any, Dict, List, Optional

from fgrevoke.emulator.service import EmulatedService, Reply, Request, Route

USERS = "/v3/users"
PAGE = 2
READINGS = {"paging": ("whole", "paged")}
DOMAIN_ID = "d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f"


class Iam(EmulatedService):
    name = "iam"
    routes = (
        Route("GET", USERS, "iam.keystone_list_users", "iam:users:listUsers", "list_users"),
    )
    state = ("users",)
    users: Dict[str, Dict[str, Any]]  # user id -> KeystoneListUsersResult
    readings = READINGS
    bad_request_code = "IAM.0001"

    def seed_user(self, user_id: Optional[str] = None, name: Optional[str] = None) -> str:
        user_id = user_id or uuid.uuid4().hex
        self.users[user_id] = {"id": user_id, "name": name or user_id, "domain_id": DOMAIN_ID, "enabled": True,
                               "description": "", "pwd_status": True, "password_expires_at": None,
                               "links": {"self": f"https://iam.myhuaweicloud.com{USERS}/{user_id}"}}
        return user_id

    def remove_user(self, user_id: str) -> None:
        """The user is deleted from IAM."""
        self.users.pop(user_id, None)

    def user_ids(self) -> List[str]:
        return sorted(self.users)

    def list_users(self, request: Request) -> Reply:
        users = sorted(self.users.values(), key=lambda user: user["id"])
        if request.arg("name"):
            users = [user for user in users if user["name"] == request.arg("name")]
        here = f"https://iam.myhuaweicloud.com{USERS}"
        paged = self.reading["paging"] == "paged" and len(users) > PAGE
        return Reply(200, {"links": {"self": here, "previous": None, "next": f"{here}?page=2" if paged else None},
                           "users": users[:PAGE] if paged else users})
