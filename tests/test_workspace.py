"""Workspace BatchDeleteAccessPolicies end to end against the emulator."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import PROJECT, load_function, make_context, reference_event
from fgrevoke.testkit import apig_body, apig_event
from shared.errors import InvalidRequest, TransientUpstreamFailure

fn = load_function("workspace_batch_delete_access_policies")
DELETE = "workspace.batch_delete_access_policies"
LIST = "workspace.list_access_policies"


def seed(emulator, count, prefix="p", **options):
    return [emulator.workspace.seed(PROJECT, policy_id=f"{prefix}-{i:04d}", **options) for i in range(count)]


def outcomes(result):
    return {item["policy_id"]: item["outcome"] for item in result["items"]}


def test_ids_are_deleted_in_one_call(emulator, context):
    ids = seed(emulator, 3)
    result = fn.handler({"policy_id_list": ids[:2] + ids[:1]}, context())
    assert outcomes(result) == {ids[0]: "deleted", ids[1]: "deleted"}
    (call,) = emulator.calls(DELETE)
    assert call["method"] == "DELETE" and call["body"] == {"policy_id_list": ids[:2]}
    assert emulator.workspace.policy_ids(PROJECT) == ids[2:]


@pytest.mark.parametrize("request_body, field", [
    ({"policy_id_list": []}, "policy_id_list"), ({"policy_id_list": [""]}, "policy_id_list[0]"),
    ({"policy_id_list": ["ok", 5]}, "policy_id_list[1]"), ({"policy_id_list": "p-1"}, "policy_id_list"),
    ({}, "policy_id_list"), ({"select": {}}, "select"), ({"select": {"only_disabled": False}}, "select"),
    ({"select": {"older_than_days": -1}}, "select.older_than_days"), ({"select": {"colour": 1}}, "select.colour"),
    ({"select": {"access_control_type": "X"}}, "select.access_control_type"),
    ({"policy_id_list": ["a"], "select": {"policy_name": "x"}}, "policy_id_list"),
])
def test_invalid_requests_name_the_field_and_call_nothing(emulator, context, request_body, field):
    result = fn.handler(request_body, context())
    assert result["error_code"] == "FGR.InvalidRequest" and result["field"] == field
    assert emulator.calls() == []


def test_large_lists_are_split_into_batches_with_an_outcome_each(emulator, context):
    ids = seed(emulator, 250)
    result = fn.handler({"policy_id_list": ids}, context())
    assert sorted(len(c["body"]["policy_id_list"]) for c in emulator.calls(DELETE)) == [50, 100, 100]
    assert outcomes(result) == {p: "deleted" for p in ids} and emulator.workspace.policy_ids(PROJECT) == []


def test_batch_size_is_a_setting(emulator, context):
    ids = seed(emulator, 7)
    fn.handler({"policy_id_list": ids}, context(POLICY_BATCH_SIZE="3"))
    assert sorted(len(c["body"]["policy_id_list"]) for c in emulator.calls(DELETE)) == [1, 3, 3]
    assert fn.handler({"policy_id_list": ids}, context(POLICY_BATCH_SIZE="101"))["field"] == "POLICY_BATCH_SIZE"


def test_unknown_ids_are_already_gone_and_the_rest_still_deleted(emulator, context):
    ids = seed(emulator, 2)
    result = fn.handler({"policy_id_list": [ids[0], "p-unknown", ids[1]]}, context())
    assert outcomes(result) == {ids[0]: "deleted", ids[1]: "deleted", "p-unknown": "already_absent"}
    assert emulator.workspace.policy_ids(PROJECT) == []
    assert [c["status"] for c in emulator.calls(DELETE)] == [404, 200]


def test_protected_policies_are_never_deleted(emulator, context):
    ids = seed(emulator, 3)
    result = fn.handler({"policy_id_list": ids}, context(PROTECTED_POLICY_IDS=ids[1]))
    assert outcomes(result)[ids[1]] == "skipped_protected"
    assert emulator.workspace.policy_ids(PROJECT) == [ids[1]]


def test_dry_run_deletes_nothing(emulator, context):
    ids = seed(emulator, 2)
    result = fn.handler({"policy_id_list": ids, "dry_run": True}, context())
    assert set(outcomes(result).values()) == {"would_delete"} and emulator.calls() == []


def test_partial_failure_names_each_ids_true_state(emulator, context):
    ids = seed(emulator, 250)
    failing = set(ids[100:200])
    emulator.inject(DELETE, status=500, times=None, when=lambda r: ids[100] in r.json()["policy_id_list"])
    response = fn.handler(apig_event("DELETE", {"policy_id_list": ids}), context(MAX_ATTEMPTS="2"))
    assert response["statusCode"] == 207
    result = apig_body(response)
    assert {p for p, o in outcomes(result).items() if o == "failed"} == failing
    assert {p for p, o in outcomes(result).items() if o == "deleted"} == set(ids) - failing
    assert set(emulator.workspace.policy_ids(PROJECT)) == failing


def test_timer_select_by_age_and_type_pages_through_the_list(emulator, context):
    old_ips = [emulator.workspace.seed(PROJECT, "PRIVATE_ACCESS", access_control_type="IP_WHITE_LIST", age_days=40)
               for _ in range(130)]
    young = emulator.workspace.seed(PROJECT, access_control_type="IP_WHITE_LIST", age_days=2)
    old_access = emulator.workspace.seed(PROJECT, access_control_type="ACCESS_TYPE", age_days=90)
    event = reference_event("timer.json")
    event["user_event"] = json.dumps({"select": {"older_than_days": 30, "access_control_type": "IP_WHITE_LIST"}})
    result = fn.handler(event, context())
    assert set(outcomes(result)) == set(old_ips) and result["selection"]["matched"] == 130
    assert all("older_than_days=30" in item["reason"] and "access_control_type" in item["reason"]
               for item in result["items"])
    assert [c["query"]["offset"] for c in emulator.calls(LIST)] == ["0", "100"]
    assert sorted(emulator.workspace.policy_ids(PROJECT)) == sorted([young, old_access])


@pytest.mark.parametrize("select, expected", [
    ({"policy_name": "PRIVATE_ACCESS"}, {"a", "c"}),
    ({"only_disabled": True}, {"b", "c"}),
    ({"only_disabled": True, "policy_name": "PRIVATE_ACCESS"}, {"c"}),
    ({"older_than_days": 10, "only_disabled": True}, {"c"}),
    ({"older_than_days": 0.5}, {"b", "c"}),
])
def test_each_filter_and_combinations(emulator, context, select, expected):
    emulator.workspace.seed(PROJECT, "PRIVATE_ACCESS", policy_id="a", age_days=0)
    emulator.workspace.seed(PROJECT, "INTERNET_ACCESS", policy_id="b", is_enable=False, age_days=3)
    emulator.workspace.seed(PROJECT, "PRIVATE_ACCESS", policy_id="c", is_enable=False, age_days=20)
    result = fn.handler({"select": select}, context())
    assert set(outcomes(result)) == expected
    assert set(emulator.workspace.policy_ids(PROJECT)) == {"a", "b", "c"} - expected


def test_unreadable_create_time_is_never_selected_by_age(emulator, context):
    emulator.workspace.seed(PROJECT, policy_id="odd", create_time="last tuesday")
    emulator.workspace.seed(PROJECT, policy_id="old", create_time="2020-01-01 00:00:00")
    result = fn.handler({"select": {"older_than_days": 1}}, context())
    assert set(outcomes(result)) == {"old"}


@pytest.mark.parametrize("text, expected", [
    ("2025-01-02T03:04:05Z", "2025-01-02T03:04:05+00:00"),
    ("2025-01-02T03:04:05.1234Z", "2025-01-02T03:04:05.123400+00:00"),
    ("2025-01-02T11:04:05+08:00", "2025-01-02T03:04:05+00:00"),
    ("2025-01-02 03:04:05", "2025-01-02T03:04:05+00:00"),
    (1735787045, "2025-01-02T03:04:05+00:00"), (1735787045000, "2025-01-02T03:04:05+00:00"),
    ("1735787045000", "2025-01-02T03:04:05+00:00"),
])
def test_accepted_timestamp_formats(text, expected):
    parsed = fn.parse_time(text)
    assert parsed is not None and parsed.astimezone(timezone.utc) == datetime.fromisoformat(expected)


def test_dry_run_select_lists_but_deletes_nothing(emulator, context):
    emulator.workspace.seed(PROJECT, policy_id="old", age_days=100)
    result = fn.handler({"select": {"older_than_days": 30}}, context(DRY_RUN="true"))
    assert outcomes(result) == {"old": "would_delete"} and "matched older_than_days=30" in result["items"][0]["reason"]
    assert [c["route"] for c in emulator.calls()] == [LIST]


@pytest.mark.parametrize("event_kind", ["apig", "eventgrid", "smn", "direct"])
def test_every_trigger_kind(emulator, context, event_kind):
    ids = seed(emulator, 2)
    request = {"policy_id_list": ids}
    if event_kind == "apig":
        event = apig_event("POST", request, base64_body=True)
    elif event_kind == "eventgrid":
        event = dict(reference_event("eg_cloudevent.json"), data=request)
    elif event_kind == "smn":
        event = reference_event("smn.json")
        event["record"][0]["smn"]["message"] = json.dumps(request)
    else:
        event = request
    result = fn.handler(event, context())
    body = apig_body(result) if event_kind == "apig" else result
    assert body["status"] == "succeeded" and emulator.workspace.policy_ids(PROJECT) == []


def test_an_iam_user_deletion_is_ignored_with_its_reason(emulator, context):
    ids = seed(emulator, 2)
    result = fn.handler(reference_event("cts_iam_deleteUser_RECONSTRUCTED.json"), context())
    assert result["status"] == "ignored" and "does not act on IAM user deletions" in result["reason"]
    assert emulator.calls() == [] and emulator.workspace.policy_ids(PROJECT) == sorted(ids)


def test_async_transient_failure_raises(emulator, context):
    ids = seed(emulator, 1)
    emulator.inject(DELETE, status=502, times=None)
    event = reference_event("timer.json")
    event["user_event"] = json.dumps({"policy_id_list": ids})
    with pytest.raises(TransientUpstreamFailure):
        fn.handler(event, context(MAX_ATTEMPTS="2"))


ids_strategy = st.lists(st.one_of(st.text(max_size=12), st.integers(), st.none(),
                                  st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,20}\Z")), max_size=6)


@given(ids=ids_strategy)
def test_request_validation_property(ids):
    """Valid iff a non-empty list of well-formed id strings; the result is deduplicated, order kept."""
    valid = bool(ids) and all(isinstance(i, str) and fn.fields.ID_PATTERN.match(i) for i in ids)
    try:
        parsed, selection = fn._request({"policy_id_list": ids})
    except InvalidRequest:
        assert not valid
        return
    assert valid and selection is None and parsed == list(dict.fromkeys(ids))


def test_other_project_is_refused(emulator, context):
    result = fn.handler({"policy_id_list": ["p"], "project_id": "someone-else"}, make_context())
    assert result["error_code"] == "FGR.Refused" and emulator.calls() == []
