"""What the invariant properties generate (events of every trigger kind, settings, upstream answers) and
the oracles they check after each invocation: the wire (the emulator's journal), the service's true state
and what the handler said (result, raised exception, log lines)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Tuple

from hypothesis import strategies as st

from conftest import PROJECT

MODELARTS = "modelarts_delete_authorizations"
WORKSPACE = "workspace_batch_delete_access_policies"
WORKSPACEAPP = "workspaceapp_batch_delete_app_group_authorization"
FUNCTIONS = (MODELARTS, WORKSPACE, WORKSPACEAPP)
KINDS = ("direct", "apig_query", "apig_body", "timer", "cts", "eventgrid", "smn")
ASYNCHRONOUS = ("timer", "cts", "eventgrid", "smn")
WRITES = {MODELARTS: "modelarts.delete_authorizations", WORKSPACE: "workspace.batch_delete_access_policies",
          WORKSPACEAPP: "workspaceapp.batch_delete_app_group_authorization"}
READS = {MODELARTS: ("modelarts.get_authorizations",), WORKSPACE: ("workspace.list_access_policies",
                                                                    "workspace.list_access_policy_objects"),
         WORKSPACEAPP: ("workspaceapp.list_app_group_authorization", "workspaceapp.list_app_group")}

# Ids that look alike: letter case, surrounding spaces, a final newline, control characters, and
# every spelling of "everyone" (docs/reference/real-services.md §1.3).
# Plain values (what the service holds) are drawn twice as often as the look-alikes.
PLAIN_USERS = ["u-alice", "u-bob", "u-admin"]
USER_IDS = PLAIN_USERS * 4 + [
    "U-ADMIN", "u-admin\n", " u-admin", "u-admin ", "u\x00x", "u-bob\t", "all", "ALL", "All", "all-users",
    "ALL-USERS", "All_Users", "all.users", "ALL\n", " all", "allusers"]
PLAIN_POLICIES = ["p-1", "p-2", "p-admin"]
POLICY_IDS = PLAIN_POLICIES * 3 + ["P-ADMIN", "p-admin\n", "p-1 ", "p\x7f1", "p-gone"]
PLAIN_ACCOUNTS = ["alice", "bob", "straße", "leaver"]
ACCOUNTS = PLAIN_ACCOUNTS * 3 + ["STRASSE", "Leaver", "leaver\n", " bob", "al\x00ice"]
GROUP_IDS = ["g-1", "g-2", "g-3", "g-1", "g-2", "g-3", "g-stale", "g-1\n"]


@dataclass
class Case:
    """One generated invocation: which function, which trigger, what it asks, and the world it meets."""

    function: str
    kind: str
    requests: List[Dict[str, Any]]
    settings: Dict[str, str]
    cts_user: Tuple[str, str] = ("u-alice", "alice")  # (resource_id, resource_name) of a CTS deletion
    faults: List[Tuple[str, Dict[str, Any]]] = field(default_factory=list)
    seed: Dict[str, Any] = field(default_factory=dict)

    @property
    def asynchronous(self) -> bool:
        return self.kind in ASYNCHRONOUS

    def event(self) -> Any:
        return event_of(self.kind, self.requests, self.cts_user)


def event_of(kind: str, requests: List[Dict[str, Any]], cts_user: Tuple[str, str]) -> Any:
    first = requests[0]
    if kind == "direct":
        return first
    if kind in ("apig_query", "apig_body"):
        query = {key: value for key, value in first.items() if isinstance(value, str)} if kind == "apig_query" else {}
        body = {key: value for key, value in first.items() if key not in query}
        text = json.dumps(body) if body else ""
        return {"httpMethod": "DELETE" if query else "POST", "path": "/revoke", "headers": {},
                "queryStringParameters": query, "pathParameters": {},
                "requestContext": {"requestId": "apig-1"}, "body": base64.b64encode(text.encode()).decode(),
                "isBase64Encoded": True}
    if kind == "timer":
        return {"trigger_type": "TIMER", "trigger_name": "t", "time": "2026-11-25T00:00:00Z",
                "user_event": json.dumps(first)}
    if kind == "cts":
        return {"cts": {"service_type": "IAM", "resource_type": "user", "trace_name": "deleteUser", "code": 204,
                        "resource_id": cts_user[0], "resource_name": cts_user[1], "trace_id": "trace-1"}}
    if kind == "eventgrid":
        return {"events": [{"id": f"e{i}", "specversion": "1.0", "type": "t", "data": r}
                           for i, r in enumerate(requests)]}
    return {"record": [{"smn": {"message": json.dumps(r), "message_id": f"m{i}"}} for i, r in enumerate(requests)]}


def some(values: List[str], most: int = 3) -> st.SearchStrategy[List[str]]:
    return st.lists(st.sampled_from(values), min_size=1, max_size=most)


def listed(values: List[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(values), max_size=2).map(",".join)


dry_run = st.sampled_from([None, True, False])


def with_dry_run(request: Dict[str, Any], asked: Optional[bool]) -> Dict[str, Any]:
    return request if asked is None else {**request, "dry_run": asked}


modelarts_requests = st.one_of(
    st.builds(lambda user_id, asked: with_dry_run({"user_id": user_id}, asked), st.sampled_from(USER_IDS), dry_run),
    st.builds(lambda ids, asked, verify: with_dry_run({"user_ids": ids, "verify": verify}, asked),
              some(USER_IDS), dry_run, st.booleans()))
workspace_requests = st.one_of(
    st.builds(lambda ids, asked: with_dry_run({"policy_id_list": ids}, asked), some(POLICY_IDS), dry_run),
    st.builds(lambda days, asked: with_dry_run({"select": {"older_than_days": days}}, asked),
              st.sampled_from([0, 1, 30]), dry_run),
    st.builds(lambda asked: with_dry_run({"select": {"only_disabled": True}}, asked), dry_run))
workspaceapp_requests = st.one_of(
    st.builds(lambda names, groups, asked: with_dry_run(
        {"accounts": names, **({"app_group_ids": groups} if groups else {})}, asked),
        some(ACCOUNTS), st.one_of(st.none(), some(GROUP_IDS)), dry_run),
    st.builds(lambda name, asked: with_dry_run({"user_name": name}, asked), st.sampled_from(ACCOUNTS), dry_run))
REQUESTS = {MODELARTS: modelarts_requests, WORKSPACE: workspace_requests, WORKSPACEAPP: workspaceapp_requests}

# DRY_RUN None: not set, so the function's default (dry run) holds.
common_settings = st.fixed_dictionaries({"DRY_RUN": st.sampled_from([None, "true", "false", "false", "false"])},
                                        optional={"MAX_ATTEMPTS": st.sampled_from(["1", "2"])})
SETTINGS = {
    MODELARTS: st.fixed_dictionaries({}, optional={
        "PROTECTED_USER_IDS": listed(["u-admin", "U-ADMIN", "u-bob"]),
        "ALLOW_ALL_USERS": st.sampled_from(["true", "false"])}),
    WORKSPACE: st.fixed_dictionaries({}, optional={
        "PROTECTED_POLICY_IDS": listed(["p-admin", "P-ADMIN", "p-2"]),
        "ALLOW_ENABLED_POLICY_DELETION": st.sampled_from(["true", "false"])}),
    WORKSPACEAPP: st.fixed_dictionaries({"APP_GROUP_IDS": st.sampled_from(["g-1,g-2", "*", "g-1,g-stale"])},
                                        optional={"PROTECTED_ACCOUNTS": listed(["straße", "BOB", "leaver"])}),
}

# Upstream answers that are not what they seem. None of them lies with a 2xx to a delete or with a
# documented not-found code: those are evidence by contract, so the true state can judge every report.
READ_FAULTS = [
    {"status": 302, "body": {"moved": True}, "times": None},
    {"status": 200, "body": {"error_code": "APIG.0201", "error_msg": "backend unavailable"}, "times": None},
    {"status": 200, "raw_body": b'{"auth": [{"user_id": "u-al', "times": None},
    {"status": 200, "raw_body": b'{"policies": [', "times": None},
    {"status": 404, "body": {"error_code": "APIG.0101", "error_msg": "The API does not exist"}, "times": None},
    {"status": 503, "times": 1},
    {"drop": True, "times": 1},
]
WRITE_FAULTS = [
    {"status": 404, "body": {"error_code": "APIG.0101", "error_msg": "The API does not exist"}, "times": None},
    {"status": 404, "body": {"error_code": "SVC.0404", "error_msg": "not found"}, "times": None},
    {"status": 404, "body": {"error_code": "APIGW.0101", "error_msg": "The API does not exist"}, "times": 1},
    {"status": 302, "body": None, "times": None},
    {"status": 500, "times": None},
    {"status": 503, "times": 1},
    {"serve_first": True, "drop": True, "times": 1},
    {"drop": True, "times": 1},
]


@st.composite
def faults(draw: Any, function: str) -> List[Tuple[str, Dict[str, Any]]]:
    chosen = []
    if draw(st.booleans()):
        chosen.append((draw(st.sampled_from(READS[function])), draw(st.sampled_from(READ_FAULTS))))
    if draw(st.booleans()):
        chosen.append((WRITES[function], draw(st.sampled_from(WRITE_FAULTS))))
    return chosen


@st.composite
def seeds(draw: Any, function: str) -> Dict[str, Any]:
    if function == MODELARTS:
        return {"users": [u for u in PLAIN_USERS + ["U-ADMIN"] if draw(st.integers(0, 3))],
                "all_users": draw(st.booleans()), "federated": draw(st.booleans()),
                "offset": draw(st.sampled_from(["page", "item"])), "all": draw(st.sampled_from(["everything",
                                                                                             "iam_only"]))}
    if function == WORKSPACE:
        policies = [p for p in PLAIN_POLICIES if draw(st.integers(0, 3))]
        return {"policies": [(p, draw(st.sampled_from(["ACCESS_TYPE", "IP_WHITE_LIST"])), draw(st.booleans()),
                              draw(st.sampled_from([0, 10, 400]))) for p in policies]}
    grants = [(g, a) for g in ("g-1", "g-2", "g-3") for a in PLAIN_ACCOUNTS + ["STRASSE"] if draw(st.integers(0, 2))]
    return {"grants": grants}


@st.composite
def cases(draw: Any, function: Optional[str] = None, kinds: Tuple[str, ...] = KINDS,
          with_faults: bool = True) -> Case:
    function = function or draw(st.sampled_from(FUNCTIONS))
    kind = draw(st.sampled_from(kinds))
    count = draw(st.integers(1, 3)) if kind in ("eventgrid", "smn") else 1
    requests = draw(st.lists(REQUESTS[function], min_size=count, max_size=count))
    settings = {**draw(common_settings), **draw(SETTINGS[function])}
    cts_user = (draw(st.sampled_from(USER_IDS)), draw(st.sampled_from(ACCOUNTS)))
    return Case(function, kind, requests, settings, cts_user,
                draw(faults(function)) if with_faults else [], draw(seeds(function)))


def plant(emulator: Any, case: Case) -> None:
    """The service's state and faults for this case."""
    seed = case.seed
    if case.function == MODELARTS:
        for user_id in seed["users"]:
            emulator.modelarts.seed(PROJECT, user_id)
        if seed["all_users"]:
            emulator.modelarts.seed_all_users(PROJECT)
        if seed["federated"]:
            emulator.modelarts.seed_federated(PROJECT, None)
        emulator.modelarts.reading.update(offset=seed["offset"], all=seed["all"])
    elif case.function == WORKSPACE:
        for policy_id, kind, enabled, age in seed["policies"]:
            emulator.workspace.seed(PROJECT, policy_id=policy_id, access_control_type=kind, is_enable=enabled,
                                    age_days=age)
    else:
        for group in ("g-1", "g-2", "g-3"):
            emulator.workspaceapp.seed_group(PROJECT, group, group_id=group)
        for group, account in seed["grants"]:
            emulator.workspaceapp.grant(PROJECT, group, account)
    for route, options in case.faults:
        emulator.inject(route, **options)


def state(emulator: Any, function: str) -> Set[Any]:
    """The grants the service holds now."""
    if function == MODELARTS:
        entries = emulator.modelarts.authorizations.get(PROJECT, {}).values()
        held = {entry["user_id"] for entry in entries if entry.get("user_id")}
        if any(entry.get("user_type") == "iam" for entry in entries):
            held.add("all")
        return held
    if function == WORKSPACE:
        return set(emulator.workspace.policy_ids(PROJECT))
    return set(emulator.workspaceapp.pairs(PROJECT))


def wire_targets(emulator: Any, function: str) -> List[Any]:
    """What every delete call that reached the service asked to delete."""
    sent: List[Any] = []
    for call in emulator.calls(WRITES[function]):
        if function == MODELARTS:
            sent.append(call["query"].get("user_id"))
        elif function == WORKSPACE:
            sent.extend((call["body"] or {}).get("policy_id_list") or [])
        else:
            body = call["body"] or {}
            sent.extend((group, account.get("account")) for group in body.get("app_group_ids") or []
                        for account in body.get("accounts") or [])
    return sent


def item_key(function: str, item: Dict[str, Any]) -> Any:
    if function == MODELARTS:
        return item.get("user_id")
    if function == WORKSPACE:
        return item.get("policy_id")
    return item.get("app_group_id"), item.get("account")


def body_of(result: Any) -> Dict[str, Any]:
    if isinstance(result, dict) and "statusCode" in result:
        return json.loads(result["body"])  # type: ignore[no-any-return]
    return result  # type: ignore[no-any-return]


def items_of(body: Dict[str, Any]) -> List[Dict[str, Any]]:
    items = list(body.get("items") or [])
    done = body.get("completed_before_the_error") or {}
    return items + list(done.get("items") or [])
