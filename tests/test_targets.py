"""TARGETS: one request in every project of the scope, a verdict per target (the real SDK over HTTP)."""

from __future__ import annotations

import json

import pytest

from conftest import PROJECT, REGION, load_function, reference_event
from fgrevoke.testkit import apig_body, apig_event, eventgrid_event
from shared.errors import PermissionDenied, TransientUpstreamFailure

modelarts = load_function("modelarts_delete_authorizations")
workspaceapp = load_function("workspaceapp_batch_delete_app_group_authorization")
DELETE, LIST = "modelarts.delete_authorizations", "modelarts.get_authorizations"
P2, P3 = "1b2c3d4e5f60718293a4b5c6d7e8f9a0", "2c3d4e5f60718293a4b5c6d7e8f9a0b1"
OTHER_REGION, P_OTHER = "ap-southeast-1", "3d4e5f60718293a4b5c6d7e8f9a0b1c2"
NOT_OFFERED = "eu-west-0"  # no ModelArts or Workspace App endpoint in the SDK 3.1.219 region tables
SCOPE = f"{REGION}/{PROJECT},{REGION}/{P2},{REGION}/{P3},{OTHER_REGION}/{P_OTHER}"


@pytest.fixture
def regions(emulator, monkeypatch):
    """The other region's endpoints at the emulator too (its projects are told apart by their ids)."""
    for service in ("MODELARTS", "WORKSPACE", "WORKSPACEAPP"):
        monkeypatch.setenv(f"HUAWEICLOUD_SDK_REGION_{service}_AP_SOUTHEAST_1", emulator.endpoint)
    return emulator


def rows(result):
    return {(row["region"], row["project_id"]): row for row in result["targets"]}


def test_one_person_is_offboarded_in_every_target_with_a_verdict_each(regions, context):
    for project in (PROJECT, P2, P_OTHER):
        regions.modelarts.seed(project, "u-leaver")
    regions.modelarts.seed(P3, "u-other")
    result = modelarts.handler({"user_id": "u-leaver"}, context(TARGETS=SCOPE))
    assert result["status"] == "succeeded"
    assert {(call["project_id"], call["query"]["user_id"], call["status"]) for call in regions.calls(DELETE)} == {
        (PROJECT, "u-leaver", 200), (P2, "u-leaver", 200), (P3, "u-leaver", 400), (P_OTHER, "u-leaver", 200)}
    verdicts = {key: row["status"] for key, row in rows(result).items()}
    assert verdicts == {(REGION, PROJECT): "done", (REGION, P2): "done", (REGION, P3): "nothing_held",
                        (OTHER_REGION, P_OTHER): "done"}
    assert result["summary"]["targets"] == {"done": 3, "nothing_held": 1}
    assert {(item["region"], item["project_id"], item["outcome"]) for item in result["items"]} == {
        (REGION, PROJECT, "deleted"), (REGION, P2, "deleted"), (REGION, P3, "already_absent"),
        (OTHER_REGION, P_OTHER, "deleted")}
    assert regions.modelarts.user_ids(P3) == ["u-other"]


def test_a_retry_is_idempotent_what_is_gone_is_already_absent(regions, context):
    for project in (PROJECT, P2):
        regions.modelarts.seed(project, "u-leaver")
    scope = f"{REGION}/{PROJECT},{REGION}/{P2}"
    modelarts.handler({"user_id": "u-leaver"}, context(TARGETS=scope))
    again = modelarts.handler({"user_id": "u-leaver"}, context(TARGETS=scope))
    assert again["status"] == "succeeded" and {row["status"] for row in again["targets"]} == {"nothing_held"}
    assert {item["outcome"] for item in again["items"]} == {"already_absent"}


def test_a_region_without_the_service_is_not_offered_and_no_call_goes_there(regions, context):
    regions.modelarts.seed(PROJECT, "u-leaver")
    result = modelarts.handler({"user_id": "u-leaver"},
                               context(TARGETS=f"{REGION}/{PROJECT},{NOT_OFFERED}/{P2}"))
    row = rows(result)[(NOT_OFFERED, P2)]
    assert row["status"] == "not_offered" and "no endpoint" in row["reason"]
    assert result["status"] == "succeeded"
    assert {call["project_id"] for call in regions.calls()} == {PROJECT}


def test_a_denied_target_is_partially_failed_and_names_the_action(regions, context):
    for project in (PROJECT, P2):
        regions.modelarts.seed(project, "u-leaver")
    regions.inject(DELETE, status=403, times=None, when=lambda request: request.project_id == P2,
                   body={"error_code": "ModelArts.0003", "error_msg": "no permission"})
    result = modelarts.handler({"user_id": "u-leaver"}, context(TARGETS=f"{REGION}/{PROJECT},{REGION}/{P2}"))
    assert result["status"] == "partially_failed"
    row = rows(result)[(REGION, P2)]
    assert row["status"] == "denied" and row["denied_actions"] == ["modelarts:authorization:delete"]
    assert rows(result)[(REGION, PROJECT)]["status"] == "done"
    assert result["summary"]["targets"] == {"done": 1, "denied": 1}


def test_a_denied_listing_is_a_denied_target_not_a_refused_request(regions, context):
    regions.modelarts.seed(PROJECT, "u-leaver")
    regions.inject(LIST, status=403, times=None, when=lambda request: request.project_id == P2,
                   body={"error_code": "ModelArts.0003", "error_msg": "no permission"})
    result = modelarts.handler({"user_ids": ["u-leaver"], "verify": True},
                               context(TARGETS=f"{REGION}/{PROJECT},{REGION}/{P2}"))
    row = rows(result)[(REGION, P2)]
    assert row["status"] == "denied" and row["denied_actions"] == ["modelarts:authorization:list"]
    assert result["status"] == "partially_failed"


def test_denied_on_an_asynchronous_trigger_reaches_the_failure_destination(regions, context):
    regions.modelarts.seed(P2, "u-leaver")
    regions.inject(DELETE, status=403, times=None, when=lambda request: request.project_id == P2,
                   body={"error_code": "ModelArts.0003", "error_msg": "no permission"})
    event = reference_event("timer.json")
    event["user_event"] = json.dumps({"user_id": "u-leaver"})
    with pytest.raises(PermissionDenied, match=f"{REGION}/{P2} lacks modelarts:authorization:delete"):
        modelarts.handler(event, context(TARGETS=f"{REGION}/{PROJECT},{REGION}/{P2}"))


def test_an_unreachable_target_raises_for_a_retry_on_asynchronous_triggers(regions, context):
    regions.modelarts.seed(P2, "u-leaver")
    regions.inject(DELETE, status=503, times=None, when=lambda request: request.project_id == P2)
    event = reference_event("timer.json")
    event["user_event"] = json.dumps({"user_id": "u-leaver"})
    with pytest.raises(TransientUpstreamFailure):
        modelarts.handler(event, context(TARGETS=f"{REGION}/{PROJECT},{REGION}/{P2}", MAX_ATTEMPTS="2",
                                         RETRY_BASE_DELAY="0.01"))


def test_unreachable_is_never_succeeded(regions, context):
    regions.modelarts.seed(P2, "u-leaver")
    regions.inject(LIST, status=500, times=None, when=lambda request: request.project_id == P2)
    result = modelarts.handler({"user_id": "u-leaver", "dry_run": True},
                               context(TARGETS=f"{REGION}/{PROJECT},{REGION}/{P2}", MAX_ATTEMPTS="1"))
    assert rows(result)[(REGION, P2)]["status"] == "unreachable" and result["status"] == "partially_failed"


def test_a_target_not_started_in_time_is_not_attempted(regions, context):
    regions.modelarts.seed(PROJECT, "u-leaver")
    result = modelarts.handler({"user_id": "u-leaver"},
                               context(timeout_seconds=2.0, TARGETS=f"{REGION}/{PROJECT},{REGION}/{P2}"))
    assert {row["status"] for row in result["targets"]} == {"not_attempted"}
    assert regions.calls() == [] and result["status"] == "failed"


def test_a_request_narrows_the_scope(regions, context):
    for project in (PROJECT, P2):
        regions.modelarts.seed(project, "u-leaver")
    result = modelarts.handler({"user_id": "u-leaver", "targets": [f"{REGION}/{P2}"]}, context(TARGETS=SCOPE))
    assert [(row["region"], row["project_id"]) for row in result["targets"]] == [(REGION, P2)]
    assert {call["project_id"] for call in regions.calls()} == {P2}


@pytest.mark.parametrize("asked, kept", [(f"{REGION}/*", {PROJECT, P2, P3}), ("*", {PROJECT, P2, P3, P_OTHER})])
def test_a_wildcard_request_keeps_the_configured_targets_it_covers(regions, context, asked, kept):
    result = modelarts.handler({"user_id": "u-leaver", "targets": [asked], "dry_run": True}, context(TARGETS=SCOPE))
    assert {row["project_id"] for row in result["targets"]} == kept


@pytest.mark.parametrize("asked", [f"{REGION}/ffffffffffffffffffffffffffffffff", f"{OTHER_REGION}/*",
                                   f"0123:Org@{REGION}/{PROJECT}"])
def test_a_request_never_widens_the_scope(regions, context, asked):
    response = modelarts.handler(apig_event("POST", {"user_id": "u-leaver", "targets": [asked]}),
                                 context(TARGETS=f"{REGION}/{PROJECT},{REGION}/{P2}"))
    assert response["statusCode"] == 403 and apig_body(response)["field"] == "targets"
    assert regions.calls() == []


def test_without_targets_a_request_may_only_name_the_own_project(regions, context):
    assert modelarts.handler({"user_id": "u", "targets": [f"{REGION}/{P2}"]}, context())["status"] == "rejected"
    result = modelarts.handler({"user_id": "u", "targets": [f"{REGION}/{PROJECT}"]}, context())
    assert result["status"] == "succeeded" and result["targets"][0]["status"] == "nothing_held"


@pytest.mark.parametrize("setting", ["cn-north-4", "cn-north-4/", "*/*", "CN-NORTH-4/abc", "x@cn-north-4/p",
                                     "0123:@cn-north-4/p", "cn-north-4/p q"])
def test_a_malformed_targets_setting_is_a_configuration_error(emulator, context, setting):
    result = modelarts.handler({"user_id": "u"}, context(TARGETS=setting))
    assert result["error_code"] == "FGR.ConfigurationError" and result["field"] == "TARGETS"
    assert emulator.calls() == []


def test_workspaceapp_offboards_in_every_target(regions, context):
    for project in (PROJECT, P2):
        regions.workspaceapp.seed_group(project, "apps", "7001")
        regions.workspaceapp.grant(project, "7001", "leaver")
    result = workspaceapp.handler({"user_name": "leaver"},
                                  context(TARGETS=f"{REGION}/{PROJECT},{REGION}/{P2}", APP_GROUP_IDS="*"))
    assert result["status"] == "succeeded"
    assert {row["status"] for row in result["targets"]} == {"done"}
    for project in (PROJECT, P2):
        assert regions.workspaceapp.pairs(project) == set()


REMOVE, WSA_LIST = "workspaceapp.batch_delete_app_group_authorization", "workspaceapp.list_app_group_authorization"


def test_an_offboarding_lists_each_person_again_after_the_removal(emulator, context):
    emulator.workspaceapp.seed_group(PROJECT, "apps", "7001")
    emulator.workspaceapp.grant(PROJECT, "7001", "leaver")
    result = workspaceapp.handler(eventgrid_event({"user_name": "leaver"}), context(APP_GROUP_IDS="*"))
    assert result["status"] == "succeeded" and [item["outcome"] for item in result["items"]] == ["deleted"]
    assert [call["route"] for call in emulator.calls()] == [WSA_LIST, REMOVE, WSA_LIST]


def test_a_200_that_removed_nothing_is_failed_on_an_offboarding(emulator, context):
    emulator.workspaceapp.seed_group(PROJECT, "apps", "7001")
    emulator.workspaceapp.grant(PROJECT, "7001", "leaver")
    emulator.inject(REMOVE, status=200, body={}, times=None)  # answered, not acted on
    with pytest.raises(TransientUpstreamFailure, match="FGR.StillAuthorized .* still lists this pair"):
        workspaceapp.handler(eventgrid_event({"user_name": "leaver"}), context(APP_GROUP_IDS="*"))
    assert emulator.workspaceapp.pairs(PROJECT) == {("7001", "leaver")}


def test_an_api_request_is_not_listed_again(emulator, context):
    emulator.workspaceapp.seed_group(PROJECT, "apps", "7001")
    emulator.workspaceapp.grant(PROJECT, "7001", "leaver")
    workspaceapp.handler({"user_name": "leaver"}, context(APP_GROUP_IDS="*"))
    assert [call["route"] for call in emulator.calls()] == [WSA_LIST, REMOVE]


def test_a_sweep_runs_per_target_and_a_tripped_breaker_is_that_targets_verdict(regions, context):
    for index in range(19):
        regions.iam.seed_user(None, f"u-{index}", f"name-{index}")
    for index in range(19):  # PROJECT: 19 held by existing users, one orphan (5 %)
        regions.modelarts.seed(PROJECT, f"u-{index}", age_hours=48)
    regions.modelarts.seed(PROJECT, "u-gone", age_hours=48)
    for index in range(10):  # P2: half its grants are orphans: the breaker trips there, and only there
        regions.modelarts.seed(P2, f"u-{index}", age_hours=48)
        regions.modelarts.seed(P2, f"u-gone-{index}", age_hours=48)
    result = modelarts.handler({"sweep": {}}, context(TARGETS=f"{REGION}/{PROJECT},{REGION}/{P2}"))
    assert {key[1]: row["status"] for key, row in rows(result).items()} == {PROJECT: "done", P2: "breaker_tripped"}
    assert rows(result)[(REGION, P2)]["sweep"]["status"] == "breaker_tripped"
    assert result["status"] == "partially_failed" and "sweep" not in result  # each target's sweep is in its row
    assert [(call["project_id"], call["query"]["user_id"]) for call in regions.calls(DELETE)] == [(PROJECT, "u-gone")]
    assert len(regions.modelarts.user_ids(P2)) == 20
