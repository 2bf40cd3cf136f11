"""Workspace BatchDeleteAccessPolicies end to end against the emulator, under every emulator reading.

Every test runs under each reading profile (``reading`` fixture): together the profiles play every
option of every reading the docs leave open (fgrevoke/emulator/workspace.py ``READINGS``). Tests about
one reading also run under each of its options.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkworkspace.v2 import (
    ListAccessPoliciesRequest,
    ListAccessPolicyObjectsRequest,
    WorkspaceClient,
)
from hypothesis import given
from hypothesis import strategies as st

from conftest import AK, FAST, PROJECT, SK, TOKEN, load_function, make_context, reference_event
from fgrevoke.emulator.workspace import READINGS
from fgrevoke.testkit import apig_body, apig_event, audit_records
from shared.errors import InvalidRequest, TransientUpstreamFailure, UpstreamFailure

fn = load_function("workspace_batch_delete_access_policies")
DELETE = "workspace.batch_delete_access_policies"
LIST = "workspace.list_access_policies"
OBJECTS = "workspace.list_access_policy_objects"
OPT_IN = {"ALLOW_ENABLED_POLICY_DELETION": "true"}
PROFILES = [{name: options[index % len(options)] for name, options in READINGS.items()}
            for index in range(max(len(options) for options in READINGS.values()))][:1 if FAST else None]
DOMAIN = "corp.example"
USERS = [{"object_id": "u-1", "object_name": "alice", "object_type": "USER", "object_domain": DOMAIN},
         {"object_id": "g-1", "object_name": "contractors", "object_type": "USERGROUP", "object_domain": DOMAIN}]


@pytest.fixture(params=PROFILES, ids=lambda profile: "-".join(profile.values()))
def reading(request, emulator):
    emulator.workspace.reading.update(request.param)
    return emulator.workspace.reading


@pytest.fixture
def ws(emulator, reading):
    """The emulator, under the reading profile of this run."""
    return emulator


def seed(emulator, count, prefix="p", **options):
    return [emulator.workspace.seed(PROJECT, policy_id=f"{prefix}-{i:04d}", **options) for i in range(count)]


def outcomes(result):
    return {item["policy_id"]: item["outcome"] for item in result["items"]}


def items(result):
    return {item["policy_id"]: item for item in result["items"]}


def writes(emulator):
    return [call for call in emulator.calls() if call["method"] != "GET"]


def sdk_client(emulator):
    credentials = BasicCredentials(AK, SK, PROJECT).with_security_token(TOKEN)
    return WorkspaceClient.new_builder().with_credentials(credentials).with_endpoints([emulator.endpoint]).build()


# -- deleting by id: list first, then delete what exists and may go -------------------------------
def test_ids_are_listed_then_deleted_in_one_call(ws, context):
    ids = seed(ws, 3)
    result = fn.handler({"policy_id_list": ids[:2] + ids[:1]}, context())
    assert outcomes(result) == {ids[0]: "deleted", ids[1]: "deleted"}
    assert [call["route"] for call in ws.calls()][-1] == DELETE and {c["route"] for c in ws.calls()} == {LIST, DELETE}
    (call,) = ws.calls(DELETE)
    assert call["method"] == "DELETE" and call["body"] == {"policy_id_list": ids[:2]}
    assert ws.workspace.policy_ids(PROJECT) == ids[2:]


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


def test_large_lists_are_split_into_batches_with_an_outcome_each(ws, context):
    ids = seed(ws, 150)
    result = fn.handler({"policy_id_list": ids}, context())
    assert sorted(len(c["body"]["policy_id_list"]) for c in ws.calls(DELETE)) == [50, 100]
    assert outcomes(result) == {p: "deleted" for p in ids} and ws.workspace.policy_ids(PROJECT) == []


def test_batch_size_is_a_setting(ws, context):
    ids = seed(ws, 7)
    fn.handler({"policy_id_list": ids}, context(POLICY_BATCH_SIZE="3"))
    assert sorted(len(c["body"]["policy_id_list"]) for c in ws.calls(DELETE)) == [1, 3, 3]
    assert fn.handler({"policy_id_list": ids}, context(POLICY_BATCH_SIZE="101"))["field"] == "POLICY_BATCH_SIZE"


def test_ids_the_listing_does_not_hold_are_already_absent_and_never_sent(ws, context):
    ids = seed(ws, 2)
    result = fn.handler({"policy_id_list": [ids[0], "p-unknown", ids[1]]}, context())
    assert outcomes(result) == {ids[0]: "deleted", ids[1]: "deleted", "p-unknown": "already_absent"}
    assert "complete listing" in items(result)["p-unknown"]["reason"]
    assert [c["body"]["policy_id_list"] for c in ws.calls(DELETE)] == [ids]
    assert ws.workspace.policy_ids(PROJECT) == []


@pytest.mark.parametrize("unknown_id", READINGS["unknown_id"])
def test_an_id_that_vanishes_before_the_delete_leaves_the_rest_deleted(ws, context, unknown_id):
    """Under each reading of a batch with an unknown id (404 or 400; none or the rest deleted)."""
    ws.workspace.reading["unknown_id"] = unknown_id
    ids = seed(ws, 3)
    vanished = []

    def another_actor_deletes_one(_request):
        if not vanished:
            vanished.append(ids[1])
            ws.workspace.remove(PROJECT, ids[1])
        return False  # no fault: the emulator serves the delete

    ws.inject(DELETE, times=None, when=another_actor_deletes_one)
    result = fn.handler({"policy_id_list": ids}, context())
    assert ws.workspace.policy_ids(PROJECT) == []
    assert outcomes(result) == {p: "deleted" for p in ids} and result["status"] == "succeeded"
    assert "no longer holds this policy" in items(result)[ids[1]]["reason"]
    assert all(item["effect"]["access_control_type"] == "IP_WHITE_LIST" for item in result["items"])
    status = int(unknown_id[:3])
    sent = [(c["status"], c["body"]["policy_id_list"]) for c in ws.calls(DELETE)]
    if unknown_id.endswith("none_deleted"):  # listed again, then the rest retried
        assert sent == [(status, ids), (200, [ids[0], ids[2]])]
    else:
        assert sent == [(status, ids)]
        assert items(result)[ids[0]]["reason"].startswith("the batch call failed")


@pytest.mark.parametrize("unknown_id", READINGS["unknown_id"])
def test_a_failed_relisting_reports_nothing_gone(ws, context, unknown_id):
    ws.workspace.reading["unknown_id"] = unknown_id
    ids = seed(ws, 2)
    lists = []

    def after_the_first(_request):
        lists.append(1)
        return len(lists) > 1

    ws.inject(LIST, status=500, times=None, when=after_the_first)
    ws.inject(DELETE, status=int(unknown_id[:3]), times=None,
              body={"error_code": f"WKS.EMU{unknown_id[:3]}", "error_msg": "access policies not found"})
    result = fn.handler({"policy_id_list": ids}, context(MAX_ATTEMPTS="2"))
    assert set(outcomes(result).values()) == {"failed"} and result["status"] == "failed"
    assert ws.workspace.policy_ids(PROJECT) == ids


def test_a_gateway_404_is_never_taken_for_gone(ws, context):
    ids = seed(ws, 2)
    ws.inject(DELETE, status=404, times=None, body={"error_code": "APIG.0101", "error_msg": "no such API"})
    result = fn.handler({"policy_id_list": ids}, context(MAX_ATTEMPTS="2"))
    assert set(outcomes(result).values()) == {"failed"}
    assert all("REGION" in item["error_msg"] for item in result["items"])
    assert ws.workspace.policy_ids(PROJECT) == ids


def test_a_listing_that_fails_up_front_is_an_upstream_failure_and_nothing_is_sent(ws, context):
    ids = seed(ws, 2)
    ws.inject(LIST, status=503, times=None)
    result = fn.handler({"policy_id_list": ids}, context(MAX_ATTEMPTS="2"))
    assert result["error_code"] == "FGR.UpstreamFailure" and result["retryable"] is True
    assert writes(ws) == [] and ws.workspace.policy_ids(PROJECT) == ids
    event = reference_event("timer.json")
    event["user_event"] = json.dumps({"policy_id_list": ids})
    with pytest.raises(UpstreamFailure):
        fn.handler(event, context(MAX_ATTEMPTS="2"))


def test_a_listing_that_is_an_error_object_is_not_empty(ws, context):
    ids = seed(ws, 1)
    ws.inject(LIST, status=200, times=None, body={"error_code": "WKS.0001", "error_msg": "oops"})
    result = fn.handler({"policy_id_list": ids}, context())
    assert result["error_code"] == "FGR.UpstreamFailure" and result["upstream_error_code"] == "FGR.IncompleteListing"
    assert writes(ws) == []


def test_protected_policies_are_never_deleted(ws, context):
    ids = seed(ws, 3)
    result = fn.handler({"policy_id_list": ids}, context(PROTECTED_POLICY_IDS=ids[1].upper()))
    assert outcomes(result)[ids[1]] == "skipped_protected"
    assert ws.workspace.policy_ids(PROJECT) == [ids[1]]


def test_partial_failure_names_each_ids_true_state(ws, context):
    ids = seed(ws, 150)
    failing = set(ids[50:100])
    ws.inject(DELETE, status=500, times=None, when=lambda r: ids[50] in r.json()["policy_id_list"])
    response = fn.handler(apig_event("DELETE", {"policy_id_list": ids}), context(MAX_ATTEMPTS="2",
                                                                                 POLICY_BATCH_SIZE="50"))
    assert response["statusCode"] == 207
    result = apig_body(response)
    assert {p for p, o in outcomes(result).items() if o == "failed"} == failing
    assert {p for p, o in outcomes(result).items() if o == "deleted"} == set(ids) - failing
    assert set(ws.workspace.policy_ids(PROJECT)) == failing


def test_async_transient_failure_raises(ws, context):
    ids = seed(ws, 1)
    ws.inject(DELETE, status=502, times=None)
    event = reference_event("timer.json")
    event["user_event"] = json.dumps({"policy_id_list": ids})
    with pytest.raises(TransientUpstreamFailure):
        fn.handler(event, context(MAX_ATTEMPTS="2"))


# -- an access policy is a restriction: in force, and what deleting it lifts -----------------------
@pytest.mark.parametrize("is_enable", READINGS["access_type_is_enable"])
def test_a_blacklist_is_never_deleted_without_the_opt_in_whatever_is_enable_says(ws, context, is_enable):
    ws.workspace.reading["access_type_is_enable"] = is_enable
    policy = ws.workspace.seed(PROJECT, access_control_type="ACCESS_TYPE", objects=USERS, age_days=400)
    for request in ({"policy_id_list": [policy]}, {"select": {"older_than_days": 30}},
                    {"select": {"policy_name": "PRIVATE_ACCESS"}}, {"select": {"access_control_type": "ACCESS_TYPE"}}):
        for dry_run in (True, False):
            result = fn.handler(dict(request, dry_run=dry_run), context())
            item = items(result)[policy]
            assert item["outcome"] == "skipped_in_force" and "ALLOW_ENABLED_POLICY_DELETION=true" in item["reason"]
            assert item["effect"]["users_and_groups"] == USERS and item["effect"]["in_force"] is True
    result = fn.handler({"select": {"only_disabled": True}}, context(**OPT_IN))
    assert result["status"] == "nothing_to_do" and result["selection"]["matched"] == 0
    assert writes(ws) == [] and ws.workspace.policy_ids(PROJECT) == [policy]


@pytest.mark.parametrize("is_enable", READINGS["access_type_is_enable"])
def test_with_the_opt_in_a_blacklist_is_deleted_and_the_report_names_who_it_held(ws, context, is_enable):
    ws.workspace.reading["access_type_is_enable"] = is_enable
    policy = ws.workspace.seed(PROJECT, access_control_type="ACCESS_TYPE", objects=USERS)
    result = fn.handler({"policy_id_list": [policy]}, context(**OPT_IN))
    item = items(result)[policy]
    assert item["outcome"] == "deleted" and ws.workspace.policy_ids(PROJECT) == []
    assert item["effect"] == {
        "policy_name": "PRIVATE_ACCESS", "access_control_type": "ACCESS_TYPE", "blacklist_type": "INTERNET",
        "in_force": True, "users_and_groups": USERS,
        "lifts": "a blacklist (INTERNET): its users and groups may then reach desktops from that network"}
    (objects,) = ws.calls(OBJECTS)
    assert objects["path"] == f"/v2/{PROJECT}/access-policy/{policy}/objects"


def test_the_audit_record_says_what_each_deletion_lifted(ws, context, capsys):
    blacklist = ws.workspace.seed(PROJECT, access_control_type="ACCESS_TYPE", objects=USERS)
    whitelist = ws.workspace.seed(PROJECT, ip_list=[{"ip_address": "192.0.2.1", "subnet_mask": "255.255.255.255"}])
    fn.handler({"policy_id_list": [blacklist, whitelist]}, context(**OPT_IN))
    audit = {record["policy_id"]: record for record in audit_records(capsys.readouterr().out)}
    assert audit[blacklist]["outcome"] == "deleted" and audit[blacklist]["effect"]["users_and_groups"] == USERS
    assert audit[whitelist]["effect"]["ip_list"][0]["ip_address"] == "192.0.2.1"


@pytest.mark.parametrize("is_enable, deleted", [(True, False), (None, False), (False, True)])
def test_an_ip_whitelist_is_in_force_unless_it_says_is_enable_false(ws, context, is_enable, deleted):
    addresses = [{"ip_address": "10.0.0.0", "subnet_mask": "255.0.0.0"}]
    policy = ws.workspace.seed(PROJECT, is_enable=is_enable, ip_list=addresses)
    result = fn.handler({"policy_id_list": [policy]}, context())
    item = items(result)[policy]
    assert item["outcome"] == ("deleted" if deleted else "skipped_in_force")
    assert item["effect"]["ip_list"] == addresses and item["effect"]["ip_total_count"] == 1
    assert item["effect"]["in_force"] is not deleted and "users_and_groups" not in item["effect"]
    assert ws.calls(OBJECTS) == []  # a whitelist holds addresses, not users
    if not deleted:
        assert fn.handler({"policy_id_list": [policy]}, context(**OPT_IN))["items"][0]["outcome"] == "deleted"


def test_a_policy_without_access_control_type_is_a_blacklist_in_force(ws, context):
    policy = ws.workspace.seed(PROJECT, access_control_type=None, is_enable=False, objects=USERS)
    result = fn.handler({"policy_id_list": [policy]}, context())
    assert outcomes(result) == {policy: "skipped_in_force"}
    assert items(result)[policy]["effect"]["users_and_groups"] == USERS


def test_a_blacklist_whose_users_cannot_be_read_is_not_deleted(ws, context):
    policy = ws.workspace.seed(PROJECT, access_control_type="ACCESS_TYPE", objects=USERS)
    ws.inject(OBJECTS, status=503, times=None)
    result = fn.handler({"policy_id_list": [policy]}, context(MAX_ATTEMPTS="2", **OPT_IN))
    item = items(result)[policy]
    assert item["outcome"] == "failed" and item["retryable"] is True
    assert "what deleting it lifts is unknown" in item["reason"]
    assert item["effect"]["users_and_groups"] is None and "users_and_groups_unread" in item["effect"]
    assert writes(ws) == [] and ws.workspace.policy_ids(PROJECT) == [policy]
    skipped = fn.handler({"policy_id_list": [policy]}, context(MAX_ATTEMPTS="2"))
    assert outcomes(skipped) == {policy: "skipped_in_force"}


def test_a_blacklist_with_thousands_of_users_is_read_whole(ws, context):
    many = [{"object_id": f"u-{i}", "object_name": f"user{i}", "object_type": "USER", "object_domain": "d"}
            for i in range(2500)]
    policy = ws.workspace.seed(PROJECT, access_control_type="ACCESS_TYPE", objects=many)
    result = fn.handler({"policy_id_list": [policy], "dry_run": True}, context(**OPT_IN))
    assert items(result)[policy]["effect"]["users_and_groups"] == many
    assert all(int(c["query"]["offset"]) <= 1999 and int(c["query"]["limit"]) <= 2000 for c in ws.calls(OBJECTS))


# -- a dry run is a preview ------------------------------------------------------------------------
def test_dry_run_lists_and_reports_what_would_happen_without_writing(ws, context):
    allowed = ws.workspace.seed(PROJECT, policy_id="allowed")
    blacklist = ws.workspace.seed(PROJECT, policy_id="blacklist", access_control_type="ACCESS_TYPE", objects=USERS)
    result = fn.handler({"policy_id_list": ["allowed", "blacklist", "gone"], "dry_run": True}, context())
    assert outcomes(result) == {allowed: "would_delete", blacklist: "skipped_in_force", "gone": "already_absent"}
    assert items(result)[allowed]["effect"]["access_control_type"] == "IP_WHITE_LIST"
    assert result["dry_run"] is True and writes(ws) == []
    assert result["upstream_calls"] == len(ws.calls()) == len(ws.calls(LIST)) + len(ws.calls(OBJECTS)) >= 2
    preview = fn.handler({"policy_id_list": ["allowed", "blacklist", "gone"]}, context(DRY_RUN="true", **OPT_IN))
    assert outcomes(preview) == {allowed: "would_delete", blacklist: "would_delete", "gone": "already_absent"}
    assert items(preview)[blacklist]["effect"]["users_and_groups"] == USERS
    assert writes(ws) == [] and ws.workspace.policy_ids(PROJECT) == sorted([allowed, blacklist])


def test_dry_run_select_lists_but_deletes_nothing(ws, context):
    ws.workspace.seed(PROJECT, policy_id="old", age_days=100)
    result = fn.handler({"select": {"older_than_days": 30}}, context(DRY_RUN="true"))
    assert outcomes(result) == {"old": "would_delete"} and "matched older_than_days=30" in result["items"][0]["reason"]
    assert {c["route"] for c in ws.calls()} == {LIST} and result["upstream_calls"] == len(ws.calls())


# -- selection ---------------------------------------------------------------------------------------
def test_timer_select_by_age_and_type_pages_through_the_list(ws, context, reading):
    old_ips = seed(ws, 130, "old", age_days=40)
    young = ws.workspace.seed(PROJECT, age_days=2)
    old_access = ws.workspace.seed(PROJECT, access_control_type="ACCESS_TYPE", age_days=90)
    event = reference_event("timer.json")
    event["user_event"] = json.dumps({"select": {"older_than_days": 30, "access_control_type": "IP_WHITE_LIST"}})
    result = fn.handler(event, context())
    assert set(outcomes(result)) == set(old_ips) and result["selection"]["matched"] == 130
    assert all("older_than_days=30" in item["reason"] and "access_control_type" in item["reason"]
               for item in result["items"])
    # offset is bounded to 0-99: under the item reading the last window overlaps, and the overlap is de-duplicated;
    # under the page reading the first page is read again after the last (shared/listing.py: nothing shifted)
    assert [c["query"]["offset"] for c in ws.calls(LIST)] == (["0", "1", "99"] if reading["offset"] == "item"
                                                              else ["0", "1", "0"])
    assert all(c["query"]["limit"] == "100" for c in ws.calls(LIST))
    assert sorted(ws.workspace.policy_ids(PROJECT)) == sorted([young, old_access])


SELECTIONS = [
    ({"policy_name": "PRIVATE_ACCESS"}, {"a", "c", "d"}),
    ({"only_disabled": True}, {"b", "c"}),
    ({"only_disabled": True, "policy_name": "PRIVATE_ACCESS"}, {"c"}),
    ({"older_than_days": 10, "only_disabled": True}, {"c"}),
    ({"older_than_days": 0.5}, {"b", "c", "d"}),
    ({"access_control_type": "ACCESS_TYPE"}, {"d"}),
]


def seed_four(emulator):
    emulator.workspace.seed(PROJECT, "PRIVATE_ACCESS", policy_id="a", is_enable=True, age_days=0)
    emulator.workspace.seed(PROJECT, "INTERNET_ACCESS", policy_id="b", is_enable=False, age_days=3)
    emulator.workspace.seed(PROJECT, "PRIVATE_ACCESS", policy_id="c", is_enable=False, age_days=20)
    emulator.workspace.seed(PROJECT, "PRIVATE_ACCESS", policy_id="d", access_control_type="ACCESS_TYPE", age_days=30)


@pytest.mark.parametrize("select, expected", SELECTIONS)
def test_each_filter_and_combinations_with_the_opt_in(ws, context, select, expected):
    seed_four(ws)
    result = fn.handler({"select": select}, context(**OPT_IN))
    assert outcomes(result) == {p: "deleted" for p in expected}
    assert set(ws.workspace.policy_ids(PROJECT)) == {"a", "b", "c", "d"} - expected


@pytest.mark.parametrize("select, expected", SELECTIONS)
def test_each_filter_without_the_opt_in_deletes_only_what_is_not_in_force(ws, context, select, expected):
    seed_four(ws)
    result = fn.handler({"select": select}, context())
    assert outcomes(result) == {p: "skipped_in_force" if p in {"a", "d"} else "deleted" for p in expected}
    assert set(ws.workspace.policy_ids(PROJECT)) == {"a", "b", "c", "d"} - (expected - {"a", "d"})


def test_unreadable_create_time_is_never_selected_by_age(ws, context):
    ws.workspace.seed(PROJECT, policy_id="odd", create_time="last tuesday")
    ws.workspace.seed(PROJECT, policy_id="old", create_time="2020-01-01 00:00:00")
    result = fn.handler({"select": {"older_than_days": 1}}, context())
    assert set(outcomes(result)) == {"old"}


@pytest.mark.parametrize("create_time", READINGS["create_time"])
def test_create_time_in_each_served_format_selects_by_age(ws, context, create_time):
    ws.workspace.reading["create_time"] = create_time
    ws.workspace.seed(PROJECT, policy_id="old", age_days=31)
    ws.workspace.seed(PROJECT, policy_id="young", age_days=29)
    shown = sdk_client(ws).list_access_policies(ListAccessPoliciesRequest()).to_json_object()["policies"]
    assert {p["policy_id"]: fn.parse_time(p["create_time"]) is not None for p in shown} == {"old": True, "young": True}
    result = fn.handler({"select": {"older_than_days": 30}}, context())
    assert outcomes(result) == {"old": "deleted"}


@pytest.mark.parametrize("text, expected", [
    ("2022-10-24T17:24:56.000+00:00", "2022-10-24T17:24:56+00:00"),  # the ListAccessPolicies response example
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


# -- ListAccessPolicies bounds: offset 0-99, limit 0-100 --------------------------------------------
@pytest.mark.parametrize("query, ok", [({"offset": 99, "limit": 100}, True), ({"offset": 100}, False),
                                       ({"limit": 101}, False), ({"offset": -1}, False), ({"limit": 0}, True)])
def test_the_emulator_bounds_list_access_policies_as_documented(ws, query, ok):
    request = ListAccessPoliciesRequest(**query)
    if ok:
        assert "total" in sdk_client(ws).list_access_policies(request).to_json_object()
        return
    with pytest.raises(ClientRequestException) as raised:
        sdk_client(ws).list_access_policies(request)
    assert raised.value.status_code == 400 and raised.value.error_code == "WKS.EMU400"


def test_the_emulator_bounds_list_access_policy_objects_as_documented(ws):
    policy = ws.workspace.seed(PROJECT, access_control_type="ACCESS_TYPE", objects=USERS)
    client = sdk_client(ws)
    page = client.list_access_policy_objects(ListAccessPolicyObjectsRequest(access_policy_id=policy)).to_json_object()
    assert page == {"policy_objects_list": USERS, "total": 2}
    for query in ({"offset": 2000}, {"limit": 2001}):
        with pytest.raises(ClientRequestException) as raised:
            client.list_access_policy_objects(ListAccessPolicyObjectsRequest(access_policy_id=policy, **query))
        assert raised.value.status_code == 400


def test_the_emulator_reports_is_enable_of_a_blacklist_per_reading(ws, reading):
    ws.workspace.seed(PROJECT, policy_id="b", access_control_type="ACCESS_TYPE")
    (shown,) = sdk_client(ws).list_access_policies(ListAccessPoliciesRequest()).to_json_object()["policies"]
    assert shown.get("is_enable", "absent") == {"true": True, "false": False, "absent": "absent"}[
        reading["access_type_is_enable"]]


def test_more_policies_than_the_bounds_reach(ws, context, reading):
    """Item offsets reach 199 policies (offset 99 + limit 100), page offsets 10,000: past that the
    listing cannot be read whole, and nothing is deleted on its word."""
    ids = seed(ws, 250, age_days=40)
    by_id = fn.handler({"policy_id_list": ids[:3]}, context())
    by_selection = fn.handler({"select": {"older_than_days": 30}}, context())
    assert all(int(c["query"]["offset"]) <= 99 and int(c["query"]["limit"]) <= 100 for c in ws.calls(LIST))
    if reading["offset"] == "page":
        assert outcomes(by_id) == {p: "deleted" for p in ids[:3]}
        assert outcomes(by_selection) == {p: "deleted" for p in ids[3:]}
        return
    for result in (by_id, by_selection):
        assert result["error_code"] == "FGR.UpstreamFailure"
        assert result["upstream_error_code"] == "FGR.IncompleteListing"
        assert "offset at most 99" in result["error_msg"] and result["retryable"] is False
    assert writes(ws) == [] and ws.workspace.policy_ids(PROJECT) == sorted(ids)


# -- triggers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("event_kind", ["apig", "eventgrid", "smn", "direct"])
def test_every_trigger_kind(ws, context, event_kind):
    ids = seed(ws, 2)
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
    assert body["status"] == "succeeded" and ws.workspace.policy_ids(PROJECT) == []


def test_an_iam_user_deletion_is_ignored_with_its_reason(emulator, context):
    ids = seed(emulator, 2)
    result = fn.handler(reference_event("cts_iam_deleteUser_RECONSTRUCTED.json"), context())
    assert result["status"] == "ignored" and "does not act on IAM user deletions" in result["reason"]
    assert emulator.calls() == [] and emulator.workspace.policy_ids(PROJECT) == sorted(ids)


ids_strategy = st.lists(st.one_of(st.text(max_size=12), st.integers(), st.none(),
                                  st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,20}\Z")), max_size=6)


@given(ids=ids_strategy)
def test_request_validation_property(ids):
    """Valid iff a non-empty list of well-formed id strings; the result is deduplicated, order kept."""
    valid = bool(ids) and all(isinstance(i, str) and fn.fields.ID_PATTERN.fullmatch(i) for i in ids)
    try:
        parsed, selection = fn._request({"policy_id_list": ids})
    except InvalidRequest:
        assert not valid
        return
    assert valid and selection is None and parsed == list(dict.fromkeys(ids))


def test_other_project_is_refused(emulator, context):
    result = fn.handler({"policy_id_list": ["p"], "project_id": "someone-else"}, make_context())
    assert result["error_code"] == "FGR.Refused" and emulator.calls() == []


def exercise_every_call(emulator):
    """For the least-privilege check (test_permissions.py): a request that makes every kind of call."""
    emulator.workspace.seed(PROJECT, policy_id="p-1", access_control_type="ACCESS_TYPE", age_days=9)
    return {"select": {"older_than_days": 1}}, {"ALLOW_ENABLED_POLICY_DELETION": "true"}


PERMISSIONS = {"workspace_batch_delete_access_policies": exercise_every_call}
