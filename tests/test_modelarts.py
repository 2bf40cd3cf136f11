"""ModelArts DeleteAuthorizations end to end: real handler, real SDK, real HTTP, emulator."""

from __future__ import annotations

import copy
import json

import pytest

from conftest import PROJECT, REGION, load_function, reference_event
from fgrevoke.testkit import apig_body, apig_event, log_lines
from shared.errors import ConfigurationError, PermissionDenied, TransientUpstreamFailure

fn = load_function("modelarts_delete_authorizations")
DELETE = "modelarts.delete_authorizations"
LIST = "modelarts.get_authorizations"


def seed(emulator, *user_ids):
    for user_id in user_ids:
        emulator.modelarts.seed(PROJECT, user_id)


def by_user(result):
    return {item["user_id"]: item for item in result["items"]}


def test_direct_single_user_is_deleted_and_reported(emulator, context):
    seed(emulator, "u-alice", "u-bob")
    result = fn.handler({"user_id": "u-alice"}, context())
    assert result["status"] == "succeeded"
    assert by_user(result)["u-alice"]["outcome"] == "deleted"
    assert by_user(result)["u-alice"]["upstream_request_id"] == emulator.calls(DELETE)[0]["request_id"]
    assert emulator.modelarts.user_ids(PROJECT) == ["u-bob"]
    wire = emulator.calls(DELETE)[0]
    assert wire["method"] == "DELETE" and wire["query"] == {"user_id": "u-alice"}
    assert wire["path"] == f"/v2/{PROJECT}/authorizations"


def test_list_of_users_one_call_each_and_duplicates_removed(emulator, context):
    seed(emulator, "u-1", "u-2", "u-3", "u-keep")
    result = fn.handler({"user_ids": ["u-1", "u-2", "u-3", "u-2"]}, context(MAX_CONCURRENCY="2"))
    assert [i["user_id"] for i in result["items"]] == ["u-1", "u-2", "u-3"]
    assert sorted(c["query"]["user_id"] for c in emulator.calls(DELETE)) == ["u-1", "u-2", "u-3"]
    assert emulator.modelarts.user_ids(PROJECT) == ["u-keep"]
    assert emulator.max_in_flight[DELETE] <= 2


def test_unknown_user_answered_modelarts_0429_is_already_absent(emulator, context):
    result = fn.handler({"user_id": "u-gone"}, context())
    assert result["status"] == "succeeded"
    assert by_user(result)["u-gone"]["outcome"] == "already_absent"
    assert "ModelArts.0429" in by_user(result)["u-gone"]["reason"]
    assert emulator.calls(DELETE)[0]["status"] == 400
    # the documented not-found code is evidence enough: no listing after it (the one before is the restore recipe's)
    assert [c["route"] for c in emulator.calls()] == [LIST, DELETE]


def test_dry_run_is_the_default_reads_and_never_writes(emulator, context):
    seed(emulator, "u-alice")
    result = fn.handler({"user_ids": ["u-alice", "u-never"]}, context(DRY_RUN=None))
    assert result["dry_run"] is True and by_user(result)["u-alice"]["outcome"] == "would_delete"
    assert by_user(result)["u-never"]["outcome"] == "already_absent"
    assert {call["method"] for call in emulator.calls()} == {"GET"}
    assert result["upstream_calls"] == len(emulator.calls()) == 1
    assert emulator.modelarts.user_ids(PROJECT) == ["u-alice"]


def test_request_can_turn_dry_run_on_but_never_off(emulator, context):
    seed(emulator, "u-alice")
    assert fn.handler({"user_id": "u-alice", "dry_run": True}, context())["dry_run"] is True
    result = fn.handler({"user_id": "u-alice", "dry_run": False}, context(DRY_RUN="true"))
    assert result["dry_run"] is True and "never off" in result["notes"][0]
    assert emulator.calls(DELETE) == []


def test_protected_users_are_skipped(emulator, context):
    seed(emulator, "u-admin", "u-bob")
    result = fn.handler({"user_ids": ["u-admin", "u-bob"]}, context(PROTECTED_USER_IDS="u-admin, u-other"))
    assert by_user(result)["u-admin"]["outcome"] == "skipped_protected"
    assert by_user(result)["u-bob"]["outcome"] == "deleted"
    assert [c["query"]["user_id"] for c in emulator.calls(DELETE)] == ["u-bob"]
    assert emulator.modelarts.user_ids(PROJECT) == ["u-admin"]


def test_all_users_refused_without_allow_all(emulator, context):
    seed(emulator, "u-1")
    response = fn.handler(apig_event("DELETE", query={"user_id": "all"}), context())
    assert response["statusCode"] == 403
    body = apig_body(response)
    assert body["error_code"] == "FGR.Refused" and "ALLOW_ALL_USERS" in body["error_msg"]
    assert emulator.calls() == []


def test_all_users_refused_while_users_are_protected(emulator, context):
    result = fn.handler({"user_id": "all"}, context(ALLOW_ALL_USERS="true", PROTECTED_USER_IDS="u-admin"))
    assert result["error_code"] == "FGR.Refused" and "PROTECTED_USER_IDS" in result["error_msg"]
    assert emulator.calls() == []


def test_all_users_with_allow_all(emulator, context):
    seed(emulator, "u-1", "u-2")
    result = fn.handler({"user_id": "all", "verify": True}, context(ALLOW_ALL_USERS="true"))
    assert result["status"] == "succeeded"
    assert [c["query"] for c in emulator.calls(DELETE)] == [{"user_id": "all"}]
    assert emulator.modelarts.user_ids(PROJECT) == []


def test_all_inside_a_list_is_invalid(emulator, context):
    result = fn.handler({"user_ids": ["u-1", "ALL"]}, context(ALLOW_ALL_USERS="true"))
    assert result["error_code"] == "FGR.InvalidRequest" and result["field"] == "user_ids[1]"
    assert emulator.calls() == []


@pytest.mark.parametrize("base64_body", [False, True])
def test_apig_post_body(emulator, context, base64_body):
    seed(emulator, "u-1", "u-2")
    response = fn.handler(apig_event("POST", {"user_ids": ["u-1"]}, base64_body=base64_body), context())
    assert response["statusCode"] == 200
    assert apig_body(response)["items"][0] == {"user_id": "u-1", "region": REGION, "project_id": PROJECT,
                                               "outcome": "deleted",
                                               "upstream_request_id": emulator.calls(DELETE)[0]["request_id"],
                                               "restore": {"user_id": "u-1", "user_name": "u-1", "user_type": "iam",
                                                           "type": "agency", "content": "modelarts_agency"}}


def test_apig_get_is_not_allowed(emulator, context):
    response = fn.handler(reference_event("apig.json"), context())
    assert response["statusCode"] == 405 and apig_body(response)["error_code"] == "FGR.MethodNotAllowed"
    assert emulator.calls() == []


def test_apig_invalid_json_is_400(emulator, context):
    response = fn.handler(apig_event("POST", "{not json"), context())
    assert response["statusCode"] == 400 and apig_body(response)["field"] == "body"


def test_apig_refuses_another_project(emulator, context):
    response = fn.handler(apig_event("POST", {"user_id": "u-1", "project_id": "other"}), context())
    assert response["statusCode"] == 403 and emulator.calls() == []


def test_timer_user_event(emulator, context):
    seed(emulator, "u-1")
    event = reference_event("timer.json")
    event["user_event"] = json.dumps({"user_ids": ["u-1"]})
    result = fn.handler(event, context())
    assert by_user(result)["u-1"]["outcome"] == "deleted"


def test_timer_plain_text_is_a_clear_error(emulator, context):
    result = fn.handler(reference_event("timer_plain_text.json"), context())
    assert result["error_code"] == "FGR.InvalidRequest" and "not JSON" in result["error_msg"]
    assert emulator.calls() == []


def test_cts_delete_user_revokes_and_verifies(emulator, context, capsys):
    event = reference_event("cts_iam_deleteUser_RECONSTRUCTED.json")
    user_id = event["cts"]["resource_id"]
    seed(emulator, user_id, "u-other")
    result = fn.handler(event, context())
    assert by_user(result)[user_id]["outcome"] == "deleted"
    assert [c["route"] for c in emulator.calls()] == [LIST, DELETE, LIST]  # before: the restore recipe; after: verify
    assert emulator.modelarts.user_ids(PROJECT) == ["u-other"]
    out = capsys.readouterr().out
    assert {line["correlation_id"] for line in log_lines(out)} == {event["cts"]["trace_id"]}
    audit = [line for line in log_lines(out) if line["event"] == "revocation"]
    restore = {"user_id": user_id, "user_name": user_id, "user_type": "iam", "type": "agency",
               "content": "modelarts_agency"}  # the audit log is a recipe for fgrevoke restore too
    assert len(audit) == 1 and audit[0]["user_id"] == user_id
    assert audit[0]["targets"] == [{"user_id": user_id, "region": REGION, "project_id": PROJECT, "restore": restore}]
    assert audit[0]["outcome"] == "deleted" and audit[0]["upstream_request_id"]


def test_cts_delete_user_v5_is_handled_too(emulator, context):
    event = copy.deepcopy(reference_event("cts_iam_deleteUser_RECONSTRUCTED.json"))
    event["cts"]["trace_name"] = "deleteUserV5"
    event["cts"]["resource_id"] = "u-v5"
    seed(emulator, "u-v5")
    assert by_user(fn.handler(event, context()))["u-v5"]["outcome"] == "deleted"


def test_other_cts_traces_are_ignored_with_a_reason(emulator, context, capsys):
    result = fn.handler(reference_event("cts_real_capture_createFunction.json"), context())
    assert result["status"] == "ignored" and "not an IAM user deletion" in result["reason"]
    assert emulator.calls() == []
    assert any(line["event"] == "invocation.ignored" for line in log_lines(capsys.readouterr().out))


def test_verify_reports_access_that_remains(emulator, context):
    seed(emulator, "u-sticky")
    # The delete "succeeds" but the authorization stays: the result must say so.
    emulator.inject(DELETE, status=200, body={"result": "true"})
    result = fn.handler({"user_id": "u-sticky", "verify": True}, context())
    item = by_user(result)["u-sticky"]
    assert item["outcome"] == "failed" and item["error_code"] == "FGR.StillAuthorized"


@pytest.mark.parametrize("name", ["eg_cloudevent.json", "eg_putevents_envelope.json"])
def test_eventgrid_events(emulator, context, name):
    seed(emulator, "u-eg")
    event = reference_event(name)
    for cloud_event in event.get("events", [event]):
        cloud_event["data"] = {"user_id": "u-eg"}
    assert by_user(fn.handler(event, context()))["u-eg"]["outcome"] == "deleted"


def test_smn_message(emulator, context):
    seed(emulator, "u-smn")
    event = reference_event("smn.json")
    event["record"][0]["smn"]["message"] = json.dumps({"user_ids": ["u-smn"]})
    assert by_user(fn.handler(event, context()))["u-smn"]["outcome"] == "deleted"


def test_503_then_success_is_retried(emulator, context):
    seed(emulator, "u-1")
    emulator.inject(DELETE, status=503, times=1)
    result = fn.handler({"user_id": "u-1"}, context())
    assert by_user(result)["u-1"]["outcome"] == "deleted"
    assert [c["status"] for c in emulator.calls(DELETE)] == [503, 200]


def test_429_with_retry_after_keeps_the_server_error_and_waits(emulator, context):
    seed(emulator, "u-1")
    emulator.inject(DELETE, status=429, retry_after="1", times=1,
                    body={"error_code": "APIG.0308", "error_msg": "The request is throttled."})
    result = fn.handler({"user_id": "u-1"}, context())
    calls = emulator.calls(DELETE)
    assert [c["status"] for c in calls] == [429, 200]
    assert calls[1]["time"] - calls[0]["time"] >= 0.95
    assert by_user(result)["u-1"]["outcome"] == "deleted"


def test_endless_500_stops_within_the_time_budget_and_reports(emulator, context):
    seed(emulator, "u-1")
    emulator.inject(DELETE, status=500, times=None)
    response = fn.handler(apig_event("DELETE", query={"user_id": "u-1"}),
                          context(timeout_seconds=2.0, MAX_ATTEMPTS="10", HTTP_CONNECT_TIMEOUT="0.2",
                                  HTTP_READ_TIMEOUT="0.3"))
    assert response["statusCode"] == 502
    item = apig_body(response)["items"][0]
    assert item["outcome"] == "failed" and item["error_code"] == "EMU.500" and item["retryable"] is True
    assert 1 <= len(emulator.calls(DELETE)) < 10


def test_async_trigger_raises_on_transient_failure(emulator, context):
    seed(emulator, "u-1")
    emulator.inject(DELETE, status=503, times=None)
    event = reference_event("timer.json")
    event["user_event"] = json.dumps({"user_id": "u-1"})
    with pytest.raises(TransientUpstreamFailure) as raised:
        fn.handler(event, context(MAX_ATTEMPTS="2"))
    assert "retried safely" in str(raised.value)
    assert len(emulator.calls(DELETE)) == 2


def test_async_trigger_reports_permanent_failure_without_retry_help(emulator, context):
    seed(emulator, "u-1")
    emulator.inject(DELETE, status=400, times=None, body={"error_code": "ModelArts.0001", "error_msg": "bad"})
    event = reference_event("timer.json")
    event["user_event"] = json.dumps({"user_id": "u-1"})
    result = fn.handler(event, context())
    assert result["status"] == "failed" and result["targets"][0]["status"] == "failed"
    assert result["items"][0]["error_code"] == "ModelArts.0001" and result["items"][0]["retryable"] is False


def test_async_trigger_raises_a_denied_target_to_the_failure_destination(emulator, context):
    seed(emulator, "u-1")
    emulator.inject(DELETE, status=403, times=None, body={"error_code": "ModelArts.0001", "error_msg": "denied"})
    event = reference_event("timer.json")
    event["user_event"] = json.dumps({"user_id": "u-1"})
    with pytest.raises(PermissionDenied, match=f"cn-north-4/{PROJECT} lacks modelarts:authorization:delete"):
        fn.handler(event, context())
    assert len(emulator.calls(DELETE)) == 1  # a 403 is not retried within the invocation


def test_missing_region_is_a_configuration_error(emulator, context):
    result = fn.handler({"user_id": "u-1"}, context(REGION=None))
    assert result["error_code"] == "FGR.ConfigurationError" and result["field"] == "REGION"


def test_configuration_error_raises_on_async_triggers(emulator, context):
    event = reference_event("timer.json")
    event["user_event"] = json.dumps({"user_id": "u-1"})
    with pytest.raises(ConfigurationError):
        fn.handler(event, context(REGION=None))


def test_no_credentials_never_reaches_the_metadata_service(emulator, context):
    result = fn.handler({"user_id": "u-1"}, context(agency=False))
    assert result["error_code"] == "FGR.ConfigurationError" and "agency" in result["error_msg"]
    assert emulator.calls() == []


def test_sdk_environment_credentials_are_the_fallback(emulator, context, monkeypatch):
    from conftest import AK, SK, TOKEN

    seed(emulator, "u-1")
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", TOKEN)
    assert by_user(fn.handler({"user_id": "u-1"}, context(agency=False)))["u-1"]["outcome"] == "deleted"


def test_wrong_secret_key_is_a_401_failure(emulator, context):
    emulator.add_credentials("AKFGREVOKETESTKEY0001", "a-different-secret-key", "TOKENfgrevoke-test-security-token==")
    result = fn.handler({"user_id": "u-1"}, context())
    assert result["items"][0]["error_code"] == "APIG.0301"


def test_project_id_defaults_to_the_runtime_project(emulator, context, monkeypatch):
    monkeypatch.setenv("RUNTIME_PROJECT_ID", PROJECT)
    seed(emulator, "u-1")
    fn.handler({"user_id": "u-1"}, context(PROJECT_ID=None))
    assert emulator.calls(DELETE)[0]["project_id"] == PROJECT


def test_logs_are_json_bound_to_the_invocation_and_cleared(emulator, context, capsys):
    seed(emulator, "u-1")
    fn.handler(apig_event("DELETE", query={"user_id": "u-1"}), context())
    fn.handler({"user_id": "u-2"}, context())
    lines = log_lines(capsys.readouterr().out)
    first = [line for line in lines if line["trigger"] == "apig"]
    second = [line for line in lines if line["trigger"] == "direct"]
    assert first and second
    assert {line["correlation_id"] for line in first} == {"apig-req-1"}
    assert "apig-req-1" not in {line["correlation_id"] for line in second}
    done = [line for line in first if line["event"] == "invocation.done"][0]
    assert done["summary"] == {"deleted": 1} and done["upstream_calls"] == 2  # the listing before, the deletion


def test_log_level_follows_the_setting_between_warm_invocations(emulator, context, capsys):
    fn.handler({"user_id": "u-quiet"}, context(LOG_LEVEL="ERROR"))
    assert log_lines(capsys.readouterr().out) == []
    fn.handler({"user_id": "u-loud"}, context(LOG_LEVEL="INFO"))
    events = [line["event"] for line in log_lines(capsys.readouterr().out)]
    assert events[0] == "invocation.start" and events[-1] == "invocation.done"
    fn.handler({"user_id": ["not", "a", "string"]}, context(LOG_LEVEL="ERROR"))
    assert [line["event"] for line in log_lines(capsys.readouterr().out)] == ["invocation.rejected"]


def test_a_bad_request_in_an_envelope_is_refused_alone(emulator, context, capsys):
    seed(emulator, "u-first", "u-third")
    event = {"events": [{"id": "e1", "specversion": "1.0", "type": "t", "data": {"user_id": "u-first"}},
                        {"id": "e2", "specversion": "1.0", "type": "t", "data": {"user_id": "bad/id"}},
                        {"id": "e3", "specversion": "1.0", "type": "t", "data": {"user_id": "u-third"}}]}
    result = fn.handler(event, context())
    assert result["status"] == "partially_failed"
    assert [r["status"] for r in result["requests"]] == ["succeeded", "rejected", "succeeded"]
    assert result["requests"][1]["error_code"] == "FGR.InvalidRequest"
    assert by_user(result)["u-first"]["outcome"] == "deleted" and by_user(result)["u-third"]["request"] == 2
    assert emulator.modelarts.user_ids(PROJECT) == []
    audit = [line for line in log_lines(capsys.readouterr().out) if line["event"] == "revocation"]
    assert [line["user_id"] for line in audit] == ["u-first", "u-third"]


# -- the real service's behaviour (docs/reference/real-services.md §1), under each emulator reading -----

@pytest.mark.parametrize("sentinel", ["all-users", "ALL-USERS", "All_Users", "all", "ALL"])
def test_every_spelling_of_everyone_is_guarded(emulator, context, sentinel):
    seed(emulator, "u-1")
    emulator.modelarts.seed_all_users(PROJECT)
    for settings in ({}, {"ALLOW_ALL_USERS": "true", "PROTECTED_USER_IDS": "u-admin"}):
        result = fn.handler({"user_id": sentinel}, context(**settings))
        assert result["error_code"] == "FGR.Refused"
    result = fn.handler({"user_ids": ["u-1", sentinel]}, context(ALLOW_ALL_USERS="true"))
    assert result["error_code"] == "FGR.InvalidRequest"
    assert emulator.calls(DELETE) == []


def test_all_users_grant_is_deleted_by_its_own_name_when_allowed(emulator, context):
    seed(emulator, "u-1")
    emulator.modelarts.seed_all_users(PROJECT)
    result = fn.handler({"user_id": "All-Users", "verify": True}, context(ALLOW_ALL_USERS="true"))
    assert by_user(result)["all-users"]["outcome"] == "deleted"
    assert [c["query"]["user_id"] for c in emulator.calls(DELETE)] == ["all-users"]
    assert emulator.modelarts.user_ids(PROJECT) == ["u-1"]


def test_verify_reports_access_kept_through_the_all_users_grant(emulator, context):
    seed(emulator, "u-1")
    emulator.modelarts.seed_all_users(PROJECT)
    item = by_user(fn.handler({"user_id": "u-1", "verify": True}, context()))["u-1"]
    assert item["outcome"] == "failed" and item["error_code"] == "FGR.AuthorizedThroughAllUsers"
    assert item["retryable"] is False and '{"user_id": "all-users"}' in item["error_msg"]
    assert "u-1" not in emulator.modelarts.user_ids(PROJECT)


@pytest.mark.parametrize("reading", ["everything", "iam_only"])
def test_all_is_verified_against_every_kind_of_entry(emulator, context, reading):
    emulator.modelarts.reading["all"] = reading
    seed(emulator, "u-1")
    emulator.modelarts.seed_federated(PROJECT, None)
    item = by_user(fn.handler({"user_id": "all", "verify": True}, context(ALLOW_ALL_USERS="true")))["all"]
    if reading == "everything":
        assert item["outcome"] == "deleted"
    else:  # federated grants survive: said so, with what to do, and no endless retry
        assert item["outcome"] == "failed" and item["error_code"] == "FGR.StillAuthorized"
        assert "federate" in item["error_msg"] and item["retryable"] is False


@pytest.mark.parametrize("reading", ["page", "item"])
def test_the_listing_is_complete_under_both_offset_readings(emulator, context, reading):
    emulator.modelarts.reading["offset"] = reading
    for index in range(2300):
        emulator.modelarts.seed(PROJECT, f"u-{index:04d}")
    emulator.modelarts.seed_federated(PROJECT, None)
    emulator.modelarts.seed_all_users(PROJECT)
    emulator.modelarts.authorizations[PROJECT].pop("all-users")
    emulator.inject(DELETE, status=500, times=None)  # the deletion fails: only a complete listing may judge it
    result = fn.handler({"user_ids": ["u-2299", "u-9999"]}, context(MAX_ATTEMPTS="1"))
    assert by_user(result)["u-2299"]["outcome"] == "failed", "an entry past the first pages was missed"
    assert by_user(result)["u-9999"]["outcome"] == "deleted"  # the listing shows no access remains
    routes = [call["route"] for call in emulator.calls()]
    after = emulator.calls()[routes.index(DELETE):]  # the listing after the failure judges it
    offsets = [call["query"]["offset"] for call in after if call["route"] == LIST]
    # page reading: three pages, then the first two once more (shared/listing.py: nothing moved before a seam)
    assert offsets[:2] == ["0", "1"] and len(offsets) <= (5 if reading == "page" else 4)


def test_listing_entries_without_user_id_or_name_do_not_break_anything(emulator, context):
    seed(emulator, "u-1")
    emulator.modelarts.seed_federated(PROJECT, None)
    emulator.modelarts.seed(PROJECT, "grp-1", None, user_type="federation-group")
    result = fn.handler({"user_ids": ["u-1", "u-2"], "verify": True}, context())
    assert [i["outcome"] for i in result["items"]] == ["deleted", "already_absent"]


def exercise_every_call(emulator):
    """For the least-privilege check (test_permissions.py): a request that makes every kind of call
    (a sweep lists, reads IAM users and deletes; verify and reconcile list again)."""
    emulator.iam.seed_user(None, "u-1", "one")
    emulator.modelarts.seed(PROJECT, "u-1", age_hours=48)
    emulator.modelarts.seed(PROJECT, "u-gone", age_hours=48)
    return {"sweep": {}}, {"SWEEP_MAX_FRACTION": "1"}


PERMISSIONS = {"modelarts_delete_authorizations": exercise_every_call}
