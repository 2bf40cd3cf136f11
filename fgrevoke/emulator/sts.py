"""STS AssumeAgency: a member account's session keys for a caller its agency trusts.

Shapes and limits from docs/reference/account-wide.md §3 (the AssumeAgency API reference, the IAM 5.0 response
page, huaweicloudsdksts 3.1.219 ``assume_agency_req_body.py``, ``credentials_dto.py``):
- the body names ``agency_urn`` ``iam::<account_id>:agency:<agency_name>``, ``agency_session_name`` (2-128 of
  letters, digits and ``_+=,.@-``) and ``duration_seconds`` (900..43200, default 3600; at most 3600 when the caller
  signs with temporary keys, i.e. sends X-Security-Token);
- an agency that does not exist answers ``STS5.1106`` "the agency '<urn>' cannot be found" (status 404: the page
  gives no status, UNVERIFIED);
- an agency that does not trust the caller's account answers 403 in the IAM 5.0 permission-error format (the code
  is the emulator's own: no source names one).

The session's keys become credentials of the member account (``Emulator.add_credentials``): requests they sign
act there. The journal and the request log show them masked (``server.MASKED_FIELDS``).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Dict, Optional, Set, Tuple

from fgrevoke.emulator.accounts import DEFAULT_ACCOUNT
from fgrevoke.emulator.service import EmulatedService, Reply, Request, Route, ServiceError

if TYPE_CHECKING:
    from fgrevoke.emulator.server import Emulator

URN = re.compile(r"^iam::([A-Za-z0-9]{1,64}):agency:([^:]{1,64})$")
SESSION_NAME = re.compile(r"^[A-Za-z0-9_+=,.@-]{2,128}$")
MIN_SECONDS, MAX_SECONDS, CHAINED_MAX_SECONDS = 900, 43200, 3600
NOT_FOUND = "STS5.1106"


class Sts(EmulatedService):
    name = "sts"
    routes = (Route("POST", "/v5/agencies/assume", "sts.assume_agency", "sts:agencies:assume", "assume_agency"),)
    state = ("agencies",)
    agencies: Dict[Tuple[str, str], Set[str]]  # (account, agency name) -> the accounts it trusts
    bad_request_code = "STS5.0400"

    def __init__(self, emulator: "Emulator") -> None:
        self._emulator = emulator
        super().__init__(emulator)

    def add_agency(self, account_id: str, agency_name: str, trusts: Optional[str] = None) -> None:
        """``account_id``'s agency ``agency_name``, trusting ``trusts`` (default: the default account)."""
        self.agencies.setdefault((account_id, agency_name), set()).add(trusts or DEFAULT_ACCOUNT)

    def assume_agency(self, request: Request) -> Reply:
        body = request.json() or {}
        urn, session = body.get("agency_urn"), body.get("agency_session_name")
        found = URN.match(urn) if isinstance(urn, str) else None
        if found is None:
            raise self.bad_request("agency_urn must be iam::<account_id>:agency:<agency_name>")
        if not isinstance(session, str) or not SESSION_NAME.match(session):
            raise self.bad_request("agency_session_name must be 2-128 of letters, digits and _+=,.@-")
        seconds = body.get("duration_seconds", 3600)
        chained = bool(request.headers.get("x-security-token"))
        longest = CHAINED_MAX_SECONDS if chained else MAX_SECONDS
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not MIN_SECONDS <= seconds <= longest:
            raise self.bad_request(f"duration_seconds must be {MIN_SECONDS}..{longest}"
                                   + (" with temporary credentials (X-Security-Token)" if chained else ""))
        account_id, agency = found.groups()
        trusted = self.agencies.get((account_id, agency))
        if trusted is None:
            raise ServiceError(404, NOT_FOUND, f"the agency '{urn}' cannot be found")
        if request.account_id not in trusted:
            raise ServiceError(403, "STS5.EMU403", f"access denied: account {request.account_id} is not trusted "
                                                    f"by the agency '{urn}'")
        keys = ("ST" + secrets.token_hex(10).upper(), secrets.token_urlsafe(30), secrets.token_urlsafe(60))
        self._emulator.add_credentials(*keys, account_id=account_id)
        expiration = datetime.now(timezone.utc) + timedelta(seconds=seconds)
        return Reply(200, {
            "credentials": {"access_key_id": keys[0], "secret_access_key": keys[1], "security_token": keys[2],
                            "expiration": expiration.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"},
            "assumed_agency": {"urn": f"sts::{account_id}:assumed-agency:{agency}/{session}",
                               "id": f"{account_id}{agency}:{session}"}})
