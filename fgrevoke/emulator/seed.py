"""Initial state and faults for a standalone or embedded emulator, from files and command lines.

A seed is a JSON object, or a list of them, one per project; ``docs/examples/seed.json`` uses every field and a
test runs it::

    [{"project_id": "0f1e…", "region": "cn-north-4",
      "modelarts": {"authorizations": ["u-alice", {"user_id": "u-bob", "user_name": "bob"}]},
      "workspace": {"policies": [{"policy_id": "policy-1", "access_control_type": "IP_WHITE_LIST",
                                  "is_enable": false, "age_days": 120}]},
      "workspaceapp": {"groups": [{"id": "7001", "name": "apps-1"}],
                       "authorizations": [{"app_group_id": "7001", "account": "alice"}]},
      "iam": {"users": [{"id": "u-alice", "name": "alice"}]}},
     {"project_id": "1a2b…", "region": "ap-southeast-1", "account_id": "0c1d…",
      "iam": {"agencies": [{"name": "fgrevoke_member", "trusts": "e51d…"}]}}]

``region`` makes the project one the emulator knows: it belongs to ``account_id`` (default: the account every key
signs for unless told otherwise, ``accounts.DEFAULT_ACCOUNT``) and to that region, IAM KeystoneListAuthProjects
lists it, and a request from another account or to another region's endpoint is refused. The first project of a
region in an account is the region's own, the next ones its sub-projects (``name`` overrides). Without ``region``
(a seed written before regions existed) the project is served wherever it is asked for. ``iam`` holds the account's
users (KeystoneListUsers, ListUsersV5) and agencies (STS AssumeAgency; ``trusts``: the account allowed to assume it,
default the default account).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Tuple

from fgrevoke import user_files
from fgrevoke.emulator.accounts import DEFAULT_ACCOUNT
from fgrevoke.emulator.server import Emulator, Fault
from fgrevoke.errors import UsageError

EXAMPLE_PROJECT = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
EXAMPLE_FILE = "docs/examples/seed.json"  # every field, runnable: docs/local-development.md shows how
SECTIONS = {"project_id", "region", "account_id", "name", "modelarts", "workspace", "workspaceapp", "iam"}
WHITELIST = "IP_WHITE_LIST"


def example(project_id: str = EXAMPLE_PROJECT) -> Dict[str, Any]:
    """What the sample events (``fgrevoke event``) name exists: users, policies of several ages, groups."""
    return {
        "project_id": project_id,
        "modelarts": {"authorizations": ["u-example", "0b8d4c6f1a2e4f3b9c7d6e5f4a3b2c1d"]},
        # policy-1: a switched-off IP whitelist, the one kind deletable without ALLOW_ENABLED_POLICY_DELETION
        "workspace": {"policies": [{"policy_id": "policy-1", "access_control_type": WHITELIST, "is_enable": False},
                                   {"policy_id": "policy-2", "age_days": 30},
                                   {"policy_id": "policy-3", "age_days": 60},
                                   # what the template's nightly clean-up selects (disabled, over 90 days old)
                                   {"policy_id": "policy-4", "access_control_type": WHITELIST, "is_enable": False,
                                    "age_days": 120}]},
        "workspaceapp": {"groups": [{"id": f"700{index}", "name": f"apps-{index}"} for index in range(3)],
                         "authorizations": [{"app_group_id": f"700{index}", "account": account}
                                            for index in range(3)
                                            for account in ("departing.employee", "alice", "bob")]},
    }


def read(path: Path) -> List[Dict[str, Any]]:
    """The seed file's projects; a missing or malformed file is a usage error naming the place."""
    document = user_files.read_json(path, "--seed", f"; an example: {EXAMPLE_FILE}")
    projects = document if isinstance(document, list) else [document]
    for index, project in enumerate(projects):
        where = f"{path}[{index}]" if isinstance(document, list) else str(path)
        if not isinstance(project, dict):
            raise UsageError(f"{where}: a seed is a JSON object with {', '.join(sorted(SECTIONS))}")
        unknown = sorted(set(project) - SECTIONS)
        if unknown:
            raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)}; a seed has {', '.join(sorted(SECTIONS))}")
        _text(project, "project_id", where)
        for name in ("region", "account_id", "name"):
            if name in project:
                _text(project, name, where)
        if "region" not in project and ("account_id" in project or "name" in project):
            raise UsageError(f"{where}: account_id and name need the project's region")
    return projects


def regions(projects: List[Dict[str, Any]]) -> List[str]:
    """The regions the seed's projects name, in order of first mention."""
    return list(dict.fromkeys(str(project["region"]) for project in projects if project.get("region")))


def apply(emulator: Emulator, project: Dict[str, Any], where: str = "seed") -> None:
    """Create what ``project`` lists in the emulator; an entry it cannot use is a usage error naming it."""
    project_id = _text(project, "project_id", where)
    account_id = project.get("account_id") and _text(project, "account_id", where)
    if project.get("region"):
        emulator.add_project(_text(project, "region", where), project_id, account_id,
                             project.get("name") and _text(project, "name", where))
    iam = _section(project, "iam", ("users", "agencies"), where)
    for index, entry in enumerate(_list(iam, "users", f"{where}.iam")):
        at = f"{where}.iam.users[{index}]"
        user = _object(entry, at, ("id", "name", "enabled"))
        if not isinstance(user.get("enabled", True), bool):
            raise UsageError(f"{at}.enabled must be true or false")
        emulator.iam.seed_user(account_id, _text(user, "id", at), _text(user, "name", at), user.get("enabled", True))
    for index, entry in enumerate(_list(iam, "agencies", f"{where}.iam")):
        at = f"{where}.iam.agencies[{index}]"
        agency = _object(entry, at, ("name", "trusts"))
        emulator.sts.add_agency(account_id or DEFAULT_ACCOUNT, _text(agency, "name", at),
                                agency.get("trusts") and _text(agency, "trusts", at))
    modelarts = _section(project, "modelarts", ("authorizations",), where)
    for index, entry in enumerate(_list(modelarts, "authorizations", f"{where}.modelarts")):
        at = f"{where}.modelarts.authorizations[{index}]"
        entry = {"user_id": entry} if isinstance(entry, str) else _object(entry, at, ("user_id", "user_name"))
        emulator.modelarts.seed(project_id, _text(entry, "user_id", at), str(entry.get("user_name") or ""))
    workspace = _section(project, "workspace", ("policies",), where)
    for index, entry in enumerate(_list(workspace, "policies", f"{where}.workspace")):
        at = f"{where}.workspace.policies[{index}]"
        policy = _object(entry, at, ("policy_id", "policy_name", "access_control_type", "is_enable", "age_days"))
        age = policy.get("age_days", 0)
        if isinstance(age, bool) or not isinstance(age, (int, float)) or age < 0:
            raise UsageError(f"{at}.age_days must be a number of days >= 0")
        if not isinstance(policy.get("is_enable", True), bool):
            raise UsageError(f"{at}.is_enable must be true or false")
        emulator.workspace.seed(project_id, str(policy.get("policy_name", "PRIVATE_ACCESS")),
                                access_control_type=str(policy.get("access_control_type", "ACCESS_TYPE")),
                                is_enable=policy.get("is_enable", True), age_days=float(age),
                                policy_id=policy.get("policy_id") and _text(policy, "policy_id", at))
    apps = _section(project, "workspaceapp", ("groups", "authorizations"), where)
    for index, entry in enumerate(_list(apps, "groups", f"{where}.workspaceapp")):
        at = f"{where}.workspaceapp.groups[{index}]"
        group = _object(entry, at, ("id", "name"))
        emulator.workspaceapp.seed_group(project_id, _text(group, "name", at), _text(group, "id", at))
    for index, entry in enumerate(_list(apps, "authorizations", f"{where}.workspaceapp")):
        at = f"{where}.workspaceapp.authorizations[{index}]"
        grant = _object(entry, at, ("app_group_id", "account", "account_type", "domain"))
        account_type = grant.get("account_type", "USER")
        if account_type not in ("USER", "USER_GROUP"):
            raise UsageError(f"{at}.account_type must be USER or USER_GROUP")
        emulator.workspaceapp.grant(project_id, _text(grant, "app_group_id", at), _text(grant, "account", at),
                                    account_type, str(grant.get("domain") or ""))


def fault(spec: str, emulator: Emulator) -> Fault:
    """``ROUTE:STATUS[:COUNT]`` -> a fault on that route (``*``: every route); without COUNT, every request."""
    parts = spec.split(":")
    routes = sorted(emulator.actions)
    if len(parts) not in (2, 3):
        raise UsageError(f"--fault {spec!r}: give ROUTE:STATUS or ROUTE:STATUS:COUNT, e.g. "
                         "modelarts.delete_authorizations:503:2")
    route, status, count = parts[0], parts[1], parts[2] if len(parts) == 3 else None
    if route != "*" and route not in routes:
        raise UsageError(f"--fault {spec!r}: no route {route!r}; the routes are * and {', '.join(routes)}")
    if not status.isdigit() or not 100 <= int(status) <= 599:
        raise UsageError(f"--fault {spec!r}: the status must be an HTTP status from 100 to 599")
    if count is not None and (not count.isdigit() or int(count) < 1):
        raise UsageError(f"--fault {spec!r}: the count must be a whole number >= 1")
    return emulator.inject(route, status=int(status), times=int(count) if count else None)


def _section(project: Dict[str, Any], name: str, keys: Tuple[str, ...], where: str) -> Dict[str, Any]:
    return _object(project.get(name) or {}, f"{where}.{name}", keys)


def _object(value: Any, where: str, keys: Tuple[str, ...]) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise UsageError(f"{where} must be an object with {', '.join(keys)}")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)}; it takes {', '.join(keys)}")
    return value


def _list(section: Dict[str, Any], name: str, where: str) -> List[Any]:
    value = section.get(name) or []
    if not isinstance(value, list):
        raise UsageError(f"{where}.{name} must be a list")
    return value


def _text(entry: Dict[str, Any], name: str, where: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{where}.{name} must be a non-empty string")
    return value
