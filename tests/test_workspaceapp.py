"""Workspace App BatchDeleteAppGroupAuthorization end to end against the emulator."""

from __future__ import annotations

import json
import math

import pytest

from conftest import PROJECT, apig_body, apig_event, load_function, reference_event
from shared.errors import TransientUpstreamFailure

fn = load_function("workspaceapp_batch_delete_app_group_authorization")
DELETE = "workspaceapp.batch_delete_app_group_authorization"
LIST = "workspaceapp.list_app_group_authorization"


def groups(emulator, count, prefix="g"):
    return [emulator.workspaceapp.seed_group(PROJECT, f"{prefix}{i}", f"{prefix}{i:03d}") for i in range(count)]


def grant_all(emulator, group_ids, names):
    for group in group_ids:
        for name in names:
            emulator.workspaceapp.grant(PROJECT, group, name)


def wire_pairs(emulator):
    calls = emulator.calls(DELETE)
    return calls, [(g, a["account"]) for c in calls for g in c["body"]["app_group_ids"] for a in c["body"]["accounts"]]


@pytest.mark.parametrize("group_count", [1, 10, 11, 25])
@pytest.mark.parametrize("account_count", [1, 10, 11, 50, 51, 500])
def test_chunking_uses_the_fewest_calls_and_covers_every_pair_once(emulator, context, group_count, account_count):
    group_ids = groups(emulator, group_count)
    names = [f"user{i:04d}" for i in range(account_count)]
    grant_all(emulator, group_ids[:2], names[:3] + ["bystander"])
    result = fn.handler({"app_group_ids": group_ids, "accounts": names}, context(MAX_CONCURRENCY="8"))
    calls, pairs = wire_pairs(emulator)
    assert len(calls) == math.ceil(group_count / 10) * math.ceil(account_count / 50)
    assert all(len(c["body"]["app_group_ids"]) <= 10 and len(c["body"]["accounts"]) <= 50 for c in calls)
    assert all(c["status"] == 200 for c in calls)
    assert sorted(pairs) == sorted((g, a) for g in group_ids for a in names)
    assert len(result["items"]) == group_count * account_count and result["status"] == "succeeded"
    assert {(i["app_group_id"], i["account"]) for i in result["items"]} == set(pairs)
    assert emulator.workspaceapp.pairs(PROJECT) == {(g, "bystander") for g in group_ids[:2]}


@pytest.mark.parametrize("request_body", [{"app_group_ids": ["g1"], "accounts": []}, {"users": []}])
def test_zero_accounts_make_zero_calls_and_say_so(emulator, context, request_body):
    group_ids = groups(emulator, 1)
    grant_all(emulator, group_ids, ["bystander"])
    result = fn.handler(request_body, context(APP_GROUP_IDS=",".join(group_ids)))
    assert emulator.calls() == [] and result["items"] == [] and result["status"] == "nothing_to_do"
    assert result["notes"] == ["the request names no accounts: nothing to remove"]
    assert emulator.workspaceapp.pairs(PROJECT) == {(group_ids[0], "bystander")}


def test_duplicates_are_removed_and_accounts_sent_as_account_info(emulator, context):
    group_ids = groups(emulator, 2)
    accounts = ["alice", {"account": "alice", "account_type": "USER"},
                {"account": "ops", "account_type": "USER_GROUP", "id": "grp-9", "domain": "corp.example.com"}]
    fn.handler({"app_group_ids": group_ids + group_ids[:1], "accounts": accounts}, context())
    (call,) = emulator.calls(DELETE)
    assert call["body"] == {"app_group_ids": group_ids, "accounts": [
        {"account": "alice", "account_type": "USER"},
        {"id": "grp-9", "account": "ops", "account_type": "USER_GROUP", "domain": "corp.example.com"}]}


@pytest.mark.parametrize("accounts, field", [
    ([{"account_type": "USER"}], "accounts[0].account"),
    (["ok", {"account": "x", "account_type": "ADMIN"}], "accounts[1].account_type"),
    (["ok", "ok2", {"account": "x", "account_type": "USER", "platform_type": "MAC"}], "accounts[2].platform_type"),
    ([{"account": "x", "account_type": "USER", "color": "red"}], "accounts[0].color"),
    ([" padded"], "accounts[0].account"),
    ([7], "accounts[0]"),
])
def test_validation_names_the_field_and_index(emulator, context, accounts, field):
    result = fn.handler({"app_group_ids": ["g1"], "accounts": accounts}, context())
    assert result["error_code"] == "FGR.InvalidRequest" and result["field"] == field
    assert emulator.calls() == []


def test_groups_default_to_the_setting(emulator, context):
    group_ids = groups(emulator, 3)
    fn.handler({"accounts": ["alice"]}, context(APP_GROUP_IDS=",".join(group_ids)))
    assert emulator.calls(DELETE)[0]["body"]["app_group_ids"] == group_ids


def test_no_groups_anywhere_is_a_configuration_error(emulator, context):
    result = fn.handler({"accounts": ["alice"]}, context())
    assert result["error_code"] == "FGR.ConfigurationError" and result["field"] == "APP_GROUP_IDS"


def test_cts_offboarding_removes_the_user_name_from_every_configured_group(emulator, context):
    event = reference_event("cts_iam_deleteUser_RECONSTRUCTED.json")
    leaver = event["cts"]["resource_name"]
    group_ids = groups(emulator, 25)
    others = [f"user{i:03d}" for i in range(119)]
    grant_all(emulator, group_ids, others + [leaver])
    result = fn.handler(event, context(APP_GROUP_IDS=",".join(group_ids)))
    calls, pairs = wire_pairs(emulator)
    assert len(calls) == 3 and sorted(pairs) == sorted((g, leaver) for g in group_ids)
    assert result["summary"] == {"deleted": 25}
    assert emulator.workspaceapp.pairs(PROJECT) == {(g, a) for g in group_ids for a in others}


def test_discovery_removes_people_from_exactly_their_groups(emulator, context):
    group_ids = groups(emulator, 30)
    grant_all(emulator, group_ids[:12], ["leaver"])
    grant_all(emulator, group_ids[5:7], ["other-leaver"])
    grant_all(emulator, group_ids, ["stays"])
    result = fn.handler({"users": [{"user_name": "leaver"}, {"user_name": "other-leaver"},
                                   {"user_name": "nobody"}]}, context(APP_GROUP_IDS="*"))
    _, pairs = wire_pairs(emulator)
    assert sorted(pairs) == sorted([(g, "leaver") for g in group_ids[:12]] +
                                   [(g, "other-leaver") for g in group_ids[5:7]])
    assert all(c["query"]["account"] in ("leaver", "other-leaver", "nobody") for c in emulator.calls(LIST))
    assert emulator.workspaceapp.pairs(PROJECT) == {(g, "stays") for g in group_ids}
    nobody = [i for i in result["items"] if i["account"] == "nobody"]
    assert nobody == [{"app_group_id": "*", "account": "nobody", "account_type": "USER",
                       "outcome": "already_absent", "reason": "authorized in no application group"}]


def test_discovery_pages_through_the_list(emulator, context):
    group_ids = groups(emulator, 130)
    grant_all(emulator, group_ids, ["leaver"])
    fn.handler({"user_name": "leaver"}, context(APP_GROUP_IDS="*"))
    # offset 1 tells an item offset from a page number (docs/reference/real-services.md §1.4)
    assert [c["query"]["offset"] for c in emulator.calls(LIST)] == ["0", "1", "101"]
    assert len(emulator.calls(DELETE)) == 13 and emulator.workspaceapp.pairs(PROJECT) == set()


@pytest.mark.parametrize("data", [{"user_name": "leaver", "domain": "corp.example.com"},
                                  [{"user_name": "leaver"}, {"user_name": "leaver2"}]])
def test_eventgrid_person_left_events(emulator, context, data):
    group_ids = groups(emulator, 3)
    grant_all(emulator, group_ids, ["leaver", "leaver2", "stays"])
    event = reference_event("eg_cloudevent.json")
    event["data"] = data
    result = fn.handler(event, context(APP_GROUP_IDS=",".join(group_ids)))
    assert result["status"] == "succeeded"
    gone = {"leaver"} | ({"leaver2"} if isinstance(data, list) else set())
    assert all(a not in gone for _, a in emulator.workspaceapp.pairs(PROJECT))
    assert {a for _, a in emulator.workspaceapp.pairs(PROJECT)} >= {"stays"}
    assert len(emulator.calls(DELETE)) == 1


def test_protected_accounts_are_never_removed(emulator, context):
    group_ids = groups(emulator, 2)
    grant_all(emulator, group_ids, ["admin", "alice"])
    result = fn.handler({"accounts": ["Admin", "alice"], "app_group_ids": group_ids},
                        context(PROTECTED_ACCOUNTS="admin"))
    assert {i["outcome"] for i in result["items"] if i["account"] == "Admin"} == {"skipped_protected"}
    _, pairs = wire_pairs(emulator)
    assert {a for _, a in pairs} == {"alice"}


def test_dry_run_reports_pairs_and_removes_nothing(emulator, context):
    group_ids = groups(emulator, 2)
    grant_all(emulator, group_ids, ["alice"])
    result = fn.handler({"accounts": ["alice"], "app_group_ids": group_ids, "dry_run": True}, context())
    assert result["summary"] == {"would_delete": 2} and emulator.calls() == []


def test_partial_failure_of_one_chunk_is_reported_pair_by_pair(emulator, context):
    group_ids = groups(emulator, 11)
    names = [f"u{i}" for i in range(3)]
    grant_all(emulator, group_ids, names)
    doomed = group_ids[10]
    emulator.inject(DELETE, status=500, times=None, when=lambda r: doomed in r.json()["app_group_ids"])
    response = fn.handler(apig_event("POST", {"app_group_ids": group_ids, "accounts": names}), context())
    assert response["statusCode"] == 207
    body = apig_body(response)
    failed = {(i["app_group_id"], i["account"]) for i in body["items"] if i["outcome"] == "failed"}
    assert failed == {(doomed, a) for a in names}
    assert emulator.workspaceapp.pairs(PROJECT) == failed  # what is reported failed is what remains


def test_async_raises_only_for_transient_failures(emulator, context):
    group_ids = groups(emulator, 1)
    grant_all(emulator, group_ids, ["alice"])
    event = reference_event("timer.json")
    event["user_event"] = json.dumps({"app_group_ids": group_ids, "accounts": ["alice"]})
    emulator.inject(DELETE, status=503, times=None)
    with pytest.raises(TransientUpstreamFailure):
        fn.handler(event, context(MAX_ATTEMPTS="2"))
    emulator.clear_faults()
    emulator.inject(DELETE, status=400, times=None, body={"error_code": "WKS.0001", "error_msg": "bad"})
    result = fn.handler(event, context())
    assert result["status"] == "failed" and result["items"][0]["error_code"] == "WKS.0001"


def test_repeating_a_removal_succeeds(emulator, context):
    group_ids = groups(emulator, 1)
    request = {"app_group_ids": group_ids, "accounts": ["alice"]}
    assert fn.handler(request, context())["status"] == "succeeded"
    assert fn.handler(request, context())["status"] == "succeeded"


def test_concurrency_never_exceeds_the_setting(emulator, context):
    group_ids = groups(emulator, 40)
    emulator.inject(DELETE, latency=0.05, times=None)
    fn.handler({"app_group_ids": group_ids, "accounts": ["a"]}, context(MAX_CONCURRENCY="3"))
    assert len(emulator.calls(DELETE)) == 4 and emulator.max_in_flight[DELETE] <= 3


def exercise_every_call(emulator):
    """For the least-privilege check (test_permissions.py): a request that makes every kind of call."""
    emulator.workspaceapp.seed_group(PROJECT, "g", "g-1")
    emulator.workspaceapp.grant(PROJECT, "g-1", "leaver")
    return {"user_name": "leaver"}, {"APP_GROUP_IDS": "*"}


PERMISSIONS = {"workspaceapp_batch_delete_app_group_authorization": exercise_every_call}
