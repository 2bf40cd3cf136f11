"""TARGETS' promises over generated scopes, requests and upstream answers (real SDK, real HTTP, the emulator):
no call ever reaches a project outside the scope, and a target that was denied, unreachable or not attempted
never yields a ``succeeded`` report."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FAST, REGION, load_function, make_context
from fgrevoke.testkit import eventgrid_event
from shared.errors import RevokeError

modelarts = load_function("modelarts_delete_authorizations")
workspaceapp = load_function("workspaceapp_batch_delete_app_group_authorization")
OTHER = "ap-southeast-1"
PROJECTS = [(REGION, f"{index:x}" * 32) for index in range(1, 4)] + [(OTHER, f"{index:x}" * 32) for index in (8, 9)]
PROPERTY = settings(max_examples=10 if FAST else 300, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FAILING = {"denied", "unreachable", "not_attempted", "failed"}
ROUTES = {"modelarts": ("modelarts.get_authorizations", "modelarts.delete_authorizations"),
          "workspaceapp": ("workspaceapp.list_app_group_authorization",
                           "workspaceapp.batch_delete_app_group_authorization")}


@pytest.fixture
def regions(emulator, region_endpoints):
    """Each region at an endpoint of its own: the journal tells where every call went."""
    region_endpoints(REGION, OTHER)
    return emulator


def entry_text(region: str, project: Optional[str]) -> str:
    return f"{region}/{project or '*'}"


scopes = st.lists(st.sampled_from(PROJECTS), min_size=1, max_size=5, unique=True)
asked = st.one_of(st.none(), st.lists(st.one_of(
    st.sampled_from(PROJECTS).map(lambda p: entry_text(*p)),
    st.sampled_from([REGION, OTHER]).map(lambda region: entry_text(region, None)),
    st.just("*")), min_size=1, max_size=3, unique=True))
answers = st.dictionaries(st.sampled_from([p for _, p in PROJECTS]),
                          st.tuples(st.sampled_from(["list", "write"]), st.sampled_from([401, 403, 500, 503])),
                          max_size=3)


def configure(emulator: Any, service: str, holders: List[str]) -> None:
    for _, project in PROJECTS:
        if project in holders:
            if service == "modelarts":
                emulator.modelarts.seed(project, "u-leaver")
            else:
                emulator.workspaceapp.seed_group(project, "apps", "7001")
                emulator.workspaceapp.grant(project, "7001", "leaver")


def run(service: str, request: Dict[str, Any], scope: List[Tuple[str, str]], trigger: str) -> Tuple[Any, Any]:
    settings_ = {"TARGETS": ",".join(entry_text(*p) for p in scope), "MAX_ATTEMPTS": "2",
                 "RETRY_BASE_DELAY": "0.01", "APP_GROUP_IDS": "*"}
    handler = modelarts.handler if service == "modelarts" else workspaceapp.handler
    event = eventgrid_event(request) if trigger == "eventgrid" else request
    try:
        return handler(event, make_context(**settings_)), None
    except RevokeError as raised:
        return None, raised


@PROPERTY
@given(service=st.sampled_from(["modelarts", "workspaceapp"]), scope=scopes, targets=asked,
       holders=st.lists(st.sampled_from([p for _, p in PROJECTS]), unique=True), faults=answers,
       trigger=st.sampled_from(["direct", "eventgrid"]))
def test_no_call_outside_the_scope_and_no_success_over_a_failing_target(regions, service, scope, targets, holders,
                                                                        faults, trigger):
    regions.reset()
    for region, project in PROJECTS:
        regions.add_project(region, project)
    configure(regions, service, holders)
    for project, (kind, status) in faults.items():
        route = ROUTES[service][0 if kind == "list" else 1]
        regions.inject(route, status=status, times=None, when=lambda request, p=project: request.project_id == p)
    request: Dict[str, Any] = {"user_id": "u-leaver"} if service == "modelarts" else {"user_name": "leaver"}
    if targets is not None:
        request["targets"] = targets
    result, raised = run(service, request, scope, trigger)
    scoped = {project for _, project in scope}
    assert {(call["region"], call["project_id"]) for call in regions.calls()} <= set(scope), "a call left its region"
    called = {call["project_id"] for call in regions.calls()}
    assert called <= scoped, f"calls reached {sorted(called - scoped)} outside the scope {sorted(scoped)}"
    if targets is not None:
        wanted = {project for region, project in scope
                  if any(t == "*" or t == f"{region}/*" or t == f"{region}/{project}" for t in targets)}
        assert called <= wanted, f"calls reached {sorted(called - wanted)} beyond the request's {targets}"
    body = result if result is not None else None
    if raised is not None:  # asynchronous: raised while a target is unfinished, or a request refused
        assert trigger == "eventgrid" or raised.status == 403
        return
    if body.get("status") == "rejected":
        assert called == set() and body["error_code"] == "FGR.Refused"
        return
    rows = body.get("requests", [body])[0]["targets"]
    assert {row["project_id"] for row in rows} <= scoped
    if any(row["status"] in FAILING for row in rows):
        assert body["status"] != "succeeded", json.dumps(rows)
    for row in rows:  # a fault that was met decides the verdict
        fault = faults.get(row["project_id"])
        met = fault is not None and any(call["project_id"] == row["project_id"] and call["status"] == fault[1]
                                        for call in regions.calls())
        if met and fault[1] in (401, 403):
            assert row["status"] == "denied", row
        # a 5xx may still end done or nothing_held: a complete listing read afterwards is evidence (reconcile)
