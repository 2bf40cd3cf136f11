"""Reaching beyond the function's own project: member accounts (STS AssumeAgency) and project discovery
(IAM KeystoneListAuthProjects). Imported only when TARGETS names them; the SDKs load on first use.

Facts and sources: docs/reference/account-wide.md §2 (discovery), §3 (AssumeAgency).
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any, Callable, Dict, List, Optional

from shared import clients, redaction, retry, scope
from shared.credentials import Credentials

ASSUME_ACTION = "sts:agencies:assume"  # what the function's agency needs on each member account's agency
# AssumeAgency with temporary keys (an agency's, X-Security-Token): 900 to 3600 seconds.
SESSION_MIN, SESSION_MAX = 900, 3600
# Sub-projects are named <region>_<suffix>; names that are no region (e.g. MOS) are not regional projects.
Read = Callable[..., Dict[str, Any]]


def agency_urn(account_id: str, agency: str) -> str:
    return f"iam::{account_id}:agency:{agency}"


def session_seconds(remaining: float) -> int:
    """Long enough for the rest of the invocation, within what AssumeAgency allows chained from an agency."""
    wanted = SESSION_MIN if not math.isfinite(remaining) else math.ceil(remaining) + 60
    return max(SESSION_MIN, min(SESSION_MAX, wanted))


def assume_agency(read: Read, client: Any, account_id: str, agency: str, session_name: str,
                  remaining: float) -> Credentials:
    """The member account's session keys; masked everywhere before they are returned."""
    sdk = clients.STS.sdk()
    body = sdk.AssumeAgencyReqBody(agency_urn=agency_urn(account_id, agency), agency_session_name=session_name,
                                   duration_seconds=session_seconds(remaining))
    answer = read(partial(client.assume_agency, sdk.AssumeAgencyRequest(body=body)), operation="sts.assume_agency")
    keys = answer.get("credentials") if isinstance(answer, dict) else None
    values = [keys.get(name) if isinstance(keys, dict) else None
              for name in ("access_key_id", "secret_access_key", "security_token")]
    redaction.register(*[value for value in values if isinstance(value, str)])
    if not all(isinstance(value, str) and value for value in values[:2]):
        raise retry.UpstreamCallFailed(retry.UpstreamError(
            "FGR.UnreadableAnswer", f"AssumeAgency for {agency_urn(account_id, agency)} answered without "
            "credentials", clients.last_request_id(), 200, True), 1)
    return Credentials(str(values[0]), str(values[1]), values[2] if isinstance(values[2], str) else None,
                       f"agency {agency} of account {account_id}", account_id)


def projects(read: Read, client: Any, account_id: Optional[str], agency: Optional[str]) -> List[scope.Target]:
    """Every enabled regional project the keys can reach (KeystoneListAuthProjects; it needs no permission)."""
    sdk = clients.IAM.sdk()
    answer = read(partial(client.keystone_list_auth_projects, sdk.KeystoneListAuthProjectsRequest()),
                  operation="iam.keystone_list_auth_projects")
    entries = answer.get("projects") if isinstance(answer, dict) else None
    if not isinstance(entries, list):
        raise retry.UpstreamCallFailed(retry.UpstreamError(
            "FGR.UnreadableAnswer", "KeystoneListAuthProjects answered without a projects list",
            clients.last_request_id(), 200, True), 1)
    found: List[scope.Target] = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("enabled") is False:
            continue
        project_id, name = entry.get("id"), entry.get("name")
        if not isinstance(project_id, str) or not scope.PROJECT_PATTERN.fullmatch(project_id):
            continue
        region = name.split("_", 1)[0] if isinstance(name, str) else ""
        if scope.REGION_PATTERN.fullmatch(region):
            found.append(scope.Target(region, project_id, account_id, agency))
    return found
