"""``make demo``: the main jobs on the embedded emulator, no cloud account needed."""

from __future__ import annotations

import json
import os
from typing import Any, Dict

from fgrevoke import functions
from fgrevoke.context import LocalContext
from fgrevoke.emulator import Emulator

REGION = "cn-north-4"
PROJECT = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
DEMO_AK, DEMO_SK, DEMO_TOKEN = "DEMOACCESSKEY000001", "demo-secret-key-0123456789abcdefghijkl", "demo-token=="


def banner(text: str) -> None:
    print(f"\n=== {text} ", flush=True)


def show(label: str, value: Any) -> None:
    print(f"--> {label}: {json.dumps(value, ensure_ascii=False)}", flush=True)


def context(**settings: str) -> LocalContext:
    user_data = {"REGION": REGION, "PROJECT_ID": PROJECT, "DRY_RUN": "false", **settings}
    return LocalContext(user_data, function_name="fgrevoke-demo", security_access_key=DEMO_AK,
                        security_secret_key=DEMO_SK, security_token=DEMO_TOKEN)


def start_emulator() -> Emulator:
    emulator = Emulator().start()
    emulator.add_credentials(DEMO_AK, DEMO_SK, DEMO_TOKEN)
    for service in functions.service_names():
        os.environ[f"HUAWEICLOUD_SDK_REGION_{service}_{REGION.upper().replace('-', '_')}"] = emulator.endpoint
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    return emulator


def modelarts(emulator: Emulator) -> None:
    handler = functions.load("modelarts_delete_authorizations").handler
    banner("ModelArts DeleteAuthorizations: seed five users' authorizations")
    for user_id in ("u-alice", "u-bob", "u-carol", "u-dave", "u-admin"):
        emulator.modelarts.seed(PROJECT, user_id)
    show("authorized before", emulator.modelarts.user_ids(PROJECT))

    banner("1. direct invocation {\"user_id\": \"u-alice\"}")
    show("result", handler({"user_id": "u-alice"}, context()))

    banner("2. API Gateway: DELETE /revoke?user_id=u-bob")
    apig: Dict[str, Any] = {"httpMethod": "DELETE", "path": "/revoke", "headers": {},
                            "queryStringParameters": {"user_id": "u-bob"}, "body": "", "isBase64Encoded": True,
                            "requestContext": {"apiId": "demo", "requestId": "apig-demo-1", "stage": "RELEASE"}}
    show("APIG response", handler(apig, context()))

    banner("3. CTS trigger: IAM deleteUser of u-carol (offboarding, verified afterwards)")
    cts = {"cts": {"service_type": "IAM", "resource_type": "user", "trace_name": "deleteUser", "code": 204,
                   "resource_id": "u-carol", "resource_name": "carol", "trace_id": "trace-demo-1",
                   "time": 1765788999507, "user": {"name": "hr-admin"}}}
    show("result", handler(cts, context()))

    banner("4. user_id \"all\" without ALLOW_ALL_USERS is refused before any call")
    apig_all = dict(apig, queryStringParameters={"user_id": "all"})
    show("APIG response", handler(apig_all, context(PROTECTED_USER_IDS="u-admin")))

    banner("5. dry run (the default when DRY_RUN is not set): reports, changes nothing")
    show("result", handler({"user_ids": ["u-dave", "u-admin"]}, context(DRY_RUN="true", PROTECTED_USER_IDS="u-admin")))

    show("authorized after", emulator.modelarts.user_ids(PROJECT))
    show("calls the emulator received", [f"{c['method']} {c['path']}?{_query(c)} -> {c['status']}"
                                        for c in emulator.calls()])


def workspaceapp(emulator: Emulator) -> None:
    handler = functions.load("workspaceapp_batch_delete_app_group_authorization").handler
    banner("Workspace App offboarding: 25 application groups, 120 users authorized in each")
    group_ids = [emulator.workspaceapp.seed_group(PROJECT, f"apps-{i:02d}", f"{7100 + i}") for i in range(25)]
    people = [f"user{i:03d}" for i in range(119)] + ["departing.employee"]
    for group_id in group_ids:
        for person in people:
            emulator.workspaceapp.grant(PROJECT, group_id, person)
    before = emulator.workspaceapp.pairs(PROJECT)
    show("authorizations before", len(before))
    emulator.journal.clear()

    banner("CTS trigger: IAM deleteUser of departing.employee, APP_GROUP_IDS = the 25 groups")
    cts = {"cts": {"service_type": "IAM", "resource_type": "user", "trace_name": "deleteUser", "code": 204,
                   "resource_id": "0b8d4c6f1a2e4f3b9c7d6e5f4a3b2c1d", "resource_name": "departing.employee",
                   "trace_id": "trace-demo-2", "time": 1765788999507}}
    result = handler(cts, context(APP_GROUP_IDS=",".join(group_ids)))
    show("result summary", {"status": result["status"], "summary": result["summary"],
                            "upstream_calls": result["upstream_calls"]})
    calls = emulator.calls("workspaceapp.batch_delete_app_group_authorization")
    show("calls made", [f"POST …/batch-delete-authorization groups={len(c['body']['app_group_ids'])} "
                        f"accounts={[a['account'] for a in c['body']['accounts']]} -> {c['status']}" for c in calls])
    after = emulator.workspaceapp.pairs(PROJECT)
    show("departing.employee still authorized in", sorted(g for g, a in after if a == "departing.employee"))
    show("everyone else untouched", after == {pair for pair in before if pair[1] != "departing.employee"})
    show("authorizations after", len(after))


def workspace(emulator: Emulator) -> None:
    handler = functions.load("workspace_batch_delete_access_policies").handler
    banner("Workspace scheduled cleanup: access policies of several ages and types")
    seeded = [("PRIVATE_ACCESS", "IP_WHITE_LIST", True, 120), ("PRIVATE_ACCESS", "IP_WHITE_LIST", False, 45),
              ("PRIVATE_ACCESS", "IP_WHITE_LIST", True, 5), ("PRIVATE_ACCESS", "ACCESS_TYPE", True, 400),
              ("PRIVATE_ACCESS", "IP_WHITE_LIST", False, 2)]
    names = {}
    for index, (name, kind, enabled, age) in enumerate(seeded):
        policy_id = emulator.workspace.seed(PROJECT, name, access_control_type=kind, is_enable=enabled,
                                            age_days=age, policy_id=f"policy-{index + 1}")
        names[policy_id] = f"{kind}, {'enabled' if enabled else 'disabled'}, {age} days old"
    show("policies before", names)
    emulator.journal.clear()

    select = {"older_than_days": 30, "access_control_type": "IP_WHITE_LIST"}
    banner(f"TIMER trigger (nightly) with user_event {json.dumps({'select': select})}")
    timer = {"version": "v1.0", "time": "2026-11-24T02:00:00+08:00", "trigger_type": "TIMER",
             "trigger_name": "nightly-policy-cleanup", "user_event": json.dumps({"select": select})}
    result = handler(timer, context())
    show("deleted and why", {item["policy_id"]: f"{item['outcome']}: {item.get('reason')}" for item in result["items"]})
    show("selection", result["selection"])
    show("policies after", {p: names[p] for p in emulator.workspace.policy_ids(PROJECT)})
    show("calls made", [f"{c['method']} {c['path']}?{_query(c)} -> {c['status']}" for c in emulator.calls()])


def _query(call: Dict[str, Any]) -> str:
    return "&".join(f"{k}={v}" for k, v in call["query"].items())


def run() -> int:
    emulator = start_emulator()
    try:
        modelarts(emulator)
        workspaceapp(emulator)
        workspace(emulator)
    finally:
        emulator.stop()
    banner("demo finished")
    return 0
