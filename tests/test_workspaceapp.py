"""Workspace App BatchDeleteAppGroupAuthorization end to end against the emulator.

Every test runs under each emulator reading (``READINGS`` in fgrevoke/emulator/workspaceapp.py): the
default, then each other value of one reading at a time.
"""

from __future__ import annotations

import json
import math

import pytest

from conftest import AK, FAST, PROJECT, REGION, SK, TOKEN, load_function, reference_event
from fgrevoke.emulator.workspaceapp import READINGS
from fgrevoke.testkit import apig_body, apig_event
from shared.clients import WORKSPACEAPP
from shared.errors import ConfigurationError, TransientUpstreamFailure

fn = load_function("workspaceapp_batch_delete_app_group_authorization")
DELETE = "workspaceapp.batch_delete_app_group_authorization"
LIST = "workspaceapp.list_app_group_authorization"
GROUPS = "workspaceapp.list_app_group"
LEAVER = reference_event("cts_iam_deleteUser_RECONSTRUCTED.json")["cts"]["resource_name"]
CASES = [{}] + ([] if FAST else [{name: value} for name, values in READINGS.items() for value in values[1:]])


@pytest.fixture(autouse=True, params=CASES, ids=lambda case: ",".join(f"{k}={v}" for k, v in case.items()) or "default")
def reading(request, emulator):
    emulator.workspaceapp.reading.update(request.param)
    return dict(emulator.workspaceapp.reading)


def groups(emulator, count, prefix="g"):
    return [emulator.workspaceapp.seed_group(PROJECT, f"{prefix}{i}", f"{prefix}{i:03d}") for i in range(count)]


def grant_all(emulator, group_ids, names, **options):
    for group in group_ids:
        for name in names:
            emulator.workspaceapp.grant(PROJECT, group, name, **options)


def wire_pairs(emulator):
    calls = emulator.calls(DELETE)
    return calls, [(g, a["account"]) for c in calls for g in c["body"]["app_group_ids"] for a in c["body"]["accounts"]]


def by_pair(result):
    return {(i["app_group_id"], i["account"]): i for i in result["items"]}


def cts_event(user_name):
    event = reference_event("cts_iam_deleteUser_RECONSTRUCTED.json")
    event["cts"]["resource_name"] = user_name
    return event


# -- removals rest on a listing ------------------------------------------------------------------
def cheaper_listing(group_count, account_count, entries_per_group):
    """Listing pages read: one per person, or each group's (when fewer; its first pages tell its count)."""
    if group_count >= account_count:
        return account_count
    if group_count * math.ceil(entries_per_group / 100) >= account_count:
        return group_count + account_count
    return group_count * (1 + math.ceil(max(0, entries_per_group - 100) / 99))  # pages overlap by one


@pytest.mark.parametrize("group_count", [1, 10, 11, 25])
@pytest.mark.parametrize("account_count", [1, 51, 120])
def test_chunking_uses_the_fewest_calls_and_covers_every_held_pair_once(emulator, context, group_count,
                                                                        account_count):
    group_ids = groups(emulator, group_count)
    names = [f"user{i:04d}" for i in range(account_count)]
    grant_all(emulator, group_ids, names + ["bystander"])
    result = fn.handler({"app_group_ids": group_ids, "accounts": names}, context(MAX_CONCURRENCY="8"))
    calls, pairs = wire_pairs(emulator)
    assert len(calls) == math.ceil(group_count / 10) * math.ceil(account_count / 50)
    assert all(len(c["body"]["app_group_ids"]) <= 10 and len(c["body"]["accounts"]) <= 50 for c in calls)
    assert sorted(pairs) == sorted((g, a) for g in group_ids for a in names)
    assert len(emulator.calls(LIST)) == cheaper_listing(group_count, account_count, account_count + 1)
    assert result["summary"] == {"deleted": group_count * account_count} and result["status"] == "succeeded"
    assert result["upstream_calls"] == len(emulator.calls())
    assert emulator.workspaceapp.pairs(PROJECT) == {(g, "bystander") for g in group_ids}


def test_read_by_group_every_page_is_read_side_by_side_once_the_first_pages_tell_them(emulator, context):
    """Issue 18: each group's first page tells every page its listing needs (pages overlap by one entry), so all
    of them are read MAX_CONCURRENCY at a time, not one group's pages one after another; nothing more is read and
    nothing is removed before every listing is whole."""
    big, small = groups(emulator, 2)
    names = [f"user{i:04d}" for i in range(500)]
    grant_all(emulator, [big], names)
    grant_all(emulator, [small], names[:100])
    emulator.inject(LIST, latency=0.1, times=None)  # a page stays in flight long enough to be seen beside others
    result = fn.handler({"app_group_ids": [big, small], "accounts": names}, context(MAX_CONCURRENCY="4"))
    pages = [(call["query"]["app_group_id"], int(call["query"]["offset"])) for call in emulator.calls(LIST)]
    assert sorted(pages[:2]) == [(big, 0), (small, 0)]  # the first pages decide: read by group
    assert sorted(pages[2:]) == [(big, offset) for offset in (99, 198, 297, 396, 495)]
    assert emulator.max_in_flight[LIST] == 4  # the big group's five later pages side by side
    routes = [call["route"] for call in emulator.calls()]
    assert routes == [LIST] * 7 + [DELETE] * 10
    assert result["summary"] == {"deleted": 600, "already_absent": 400} and result["status"] == "succeeded"


def test_read_by_group_never_puts_more_calls_on_the_wire_than_max_concurrency(emulator, context):
    """Twice as many threads as MAX_CONCURRENCY build requests and read answers, but only MAX_CONCURRENCY calls
    are on the wire at once: the pages, then the removals."""
    big, small = groups(emulator, 2)
    names = [f"user{i:04d}" for i in range(500)]
    grant_all(emulator, [big], names)
    grant_all(emulator, [small], names[:100])
    for route in (LIST, DELETE):
        emulator.inject(route, latency=0.05, times=None)
    result = fn.handler({"app_group_ids": [big, small], "accounts": names}, context(MAX_CONCURRENCY="2"))
    assert emulator.max_in_flight[LIST] == emulator.max_in_flight[DELETE] == 2
    assert len(emulator.calls(LIST)) == 7 and len(emulator.calls(DELETE)) == 10
    assert result["summary"] == {"deleted": 600, "already_absent": 400} and result["status"] == "succeeded"


def test_pairs_the_service_never_held_are_already_absent_and_never_sent(emulator, context):
    group_ids = groups(emulator, 3)
    grant_all(emulator, group_ids[:1], ["alice"])
    grant_all(emulator, group_ids, ["bystander"])
    result = fn.handler({"app_group_ids": group_ids, "accounts": ["alice", "nobody"]}, context())
    _, pairs = wire_pairs(emulator)
    assert pairs == [(group_ids[0], "alice")]
    items = by_pair(result)
    assert items[(group_ids[0], "alice")]["outcome"] == "deleted"
    for pair in [(g, "alice") for g in group_ids[1:]] + [(g, "nobody") for g in group_ids]:
        assert items[pair]["outcome"] == "already_absent"
        assert items[pair]["reason"] == f"no authorization was found for the account name {pair[1]!r} in this " \
                                        "application group"
    assert emulator.workspaceapp.pairs(PROJECT) == {(g, "bystander") for g in group_ids}


def test_a_person_in_no_group_sends_no_removal(emulator, context):
    group_ids = groups(emulator, 2)
    result = fn.handler({"app_group_ids": group_ids, "accounts": ["alice"]}, context())
    assert emulator.calls(DELETE) == [] and result["summary"] == {"already_absent": 2}
    assert result["status"] == "succeeded" and result["upstream_calls"] == 1


def test_repeating_a_removal_is_already_absent_the_second_time(emulator, context):
    group_ids = groups(emulator, 1)
    grant_all(emulator, group_ids, ["alice"])
    request = {"app_group_ids": group_ids, "accounts": ["alice"]}
    assert fn.handler(request, context())["summary"] == {"deleted": 1}
    assert fn.handler(request, context())["summary"] == {"already_absent": 1}
    assert len(emulator.calls(DELETE)) == 1


def test_only_exact_name_and_type_matches_count_whatever_the_filter(emulator, context):
    group_ids = groups(emulator, 3)
    grant_all(emulator, group_ids[:1], ["al"])
    grant_all(emulator, group_ids[1:2], ["alice", "xal"])
    grant_all(emulator, group_ids[2:], ["al"], account_type="USER_GROUP", account_id="grp-al")
    result = fn.handler({"app_group_ids": group_ids, "accounts": ["al"]}, context())
    _, pairs = wire_pairs(emulator)
    assert pairs == [(group_ids[0], "al")]
    assert [i["outcome"] for i in result["items"]].count("deleted") == 1
    assert emulator.workspaceapp.pairs(PROJECT) == {(group_ids[1], "alice"), (group_ids[1], "xal"),
                                                    (group_ids[2], "al")}


def test_people_with_different_groups_are_removed_by_their_own_groups(emulator, context):
    group_ids = groups(emulator, 4)
    grant_all(emulator, group_ids[:2], ["a", "b"])
    grant_all(emulator, group_ids[2:], ["c"])
    fn.handler({"app_group_ids": group_ids, "accounts": ["a", "b", "c"]}, context())
    calls, pairs = wire_pairs(emulator)
    assert sorted(pairs) == sorted([(g, n) for g in group_ids[:2] for n in "ab"] + [(g, "c") for g in group_ids[2:]])
    assert len(calls) == 2 and emulator.workspaceapp.pairs(PROJECT) == set()


@pytest.mark.parametrize("fault", [
    {"status": 404, "body": {"error_code": "APIG.0101", "error_msg": "The API does not exist"}},
    {"status": 200, "body": {"error_code": "WKS.00139901", "error_msg": "internal"}},
    {"status": 200, "raw_body": b'{"count": 1, "authorizations": [tru'},
    {"status": 200, "body": {"authorizations": []}},
])
def test_a_listing_that_cannot_be_read_sends_nothing_and_reports_failed(emulator, context, fault):
    group_ids = groups(emulator, 2)
    grant_all(emulator, group_ids, ["alice"])
    emulator.inject(LIST, times=None, **fault)
    result = fn.handler({"app_group_ids": group_ids, "accounts": ["alice"]}, context(MAX_ATTEMPTS="1"))
    assert emulator.calls(DELETE) == [] and result["status"] == "failed"
    assert {i["outcome"] for i in result["items"]} == {"failed"}
    assert all("could not be listed" in i["reason"] for i in result["items"])
    assert emulator.workspaceapp.pairs(PROJECT) == {(g, "alice") for g in group_ids}


# -- a dry run is a preview ----------------------------------------------------------------------
def test_dry_run_lists_reports_what_exists_and_never_writes(emulator, context):
    group_ids = groups(emulator, 3)
    grant_all(emulator, group_ids[:2], ["alice"])
    result = fn.handler({"accounts": ["alice", "nobody"], "app_group_ids": group_ids, "dry_run": True}, context())
    assert result["dry_run"] is True
    assert result["summary"] == {"would_delete": 2, "already_absent": 4}
    assert {(g, a) for (g, a), i in by_pair(result).items() if i["outcome"] == "would_delete"} == \
        {(g, "alice") for g in group_ids[:2]}
    assert {call["method"] for call in emulator.calls()} == {"GET"}
    assert result["upstream_calls"] == len(emulator.calls()) == 2
    assert emulator.workspaceapp.pairs(PROJECT) == {(g, "alice") for g in group_ids[:2]}


def test_dry_run_with_discovery(emulator, context):
    group_ids = groups(emulator, 3)
    grant_all(emulator, group_ids[1:], ["leaver"])
    result = fn.handler({"users": [{"user_name": "leaver"}, {"user_name": "nobody"}]},
                        context(APP_GROUP_IDS="*", DRY_RUN="true"))
    assert result["summary"] == {"would_delete": 2, "already_absent": 1}
    assert emulator.calls(DELETE) == [] and result["upstream_calls"] == 2


# -- USER_GROUP needs its id ---------------------------------------------------------------------
def test_user_group_without_id_is_refused_with_no_call(emulator, context):
    group_ids = groups(emulator, 1)
    grant_all(emulator, group_ids, ["ops"], account_type="USER_GROUP", account_id="grp-9")
    response = fn.handler(apig_event("POST", {"app_group_ids": group_ids, "accounts": [
        "alice", {"account": "ops", "account_type": "USER_GROUP"}]}), context())
    body = apig_body(response)
    assert response["statusCode"] == 400 and body["error_code"] == "FGR.InvalidRequest"
    assert body["field"] == "accounts[1].id" and "USER_GROUP" in body["error_msg"]
    assert emulator.calls() == []


def test_user_group_is_removed_by_its_id(emulator, context):
    group_ids = groups(emulator, 2)
    grant_all(emulator, group_ids, ["ops"], account_type="USER_GROUP", account_id="grp-9")
    grant_all(emulator, group_ids, ["alice"])
    result = fn.handler({"app_group_ids": group_ids, "accounts": [
        "alice", {"account": "ops", "account_type": "USER_GROUP", "id": "grp-9", "domain": "corp.example.com"}]},
        context())
    (call,) = emulator.calls(DELETE)
    assert call["body"] == {"app_group_ids": group_ids, "accounts": [
        {"account": "alice", "account_type": "USER"},
        {"id": "grp-9", "account": "ops", "account_type": "USER_GROUP", "domain": "corp.example.com"}]}
    assert result["summary"] == {"deleted": 4} and emulator.workspaceapp.pairs(PROJECT) == set()
    listed = [c["query"] for c in emulator.calls(LIST)]
    assert {"account_id": "grp-9", "account_type": "USER_GROUP", "limit": "100", "offset": "0"} in listed


def test_user_group_with_another_id_is_not_that_group(emulator, context):
    group_ids = groups(emulator, 1)
    grant_all(emulator, group_ids, ["ops"], account_type="USER_GROUP", account_id="grp-9")
    result = fn.handler({"app_group_ids": group_ids,
                         "accounts": [{"account": "ops", "account_type": "USER_GROUP", "id": "grp-8"}]}, context())
    assert result["summary"] == {"already_absent": 1} and emulator.calls(DELETE) == []
    assert emulator.workspaceapp.pairs(PROJECT) == {(group_ids[0], "ops")}


@pytest.mark.parametrize("account, removed", [
    ({"account": "ops", "account_type": "USER_GROUP"}, False),  # no id: a silent no-op, answered 200
    ({"account": "ops", "account_type": "USER_GROUP", "id": "grp-8"}, False),
    ({"account": "other-name", "account_type": "USER_GROUP", "id": "grp-9"}, True),
])
def test_emulator_matches_user_group_removals_by_id(emulator, account, removed):
    """The emulator itself, called through the SDK over HTTP as a caller without fgrevoke's checks would."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials

    sdk = WORKSPACEAPP.sdk()
    group_ids = groups(emulator, 1)
    grant_all(emulator, group_ids, ["ops"], account_type="USER_GROUP", account_id="grp-9")
    client = sdk.WorkspaceAppClient.new_builder().with_endpoints([emulator.endpoint]).with_credentials(
        BasicCredentials(AK, SK, PROJECT).with_security_token(TOKEN)).build()
    response = client.batch_delete_app_group_authorization(sdk.BatchDeleteAppGroupAuthorizationRequest(
        body=sdk.AppGroupAuthorizeReq(app_group_ids=group_ids, accounts=[sdk.AccountInfo(**account)])))
    assert response.status_code == 200
    assert emulator.workspaceapp.pairs(PROJECT) == (set() if removed else {(group_ids[0], "ops")})


# -- a stale group id ----------------------------------------------------------------------------
def test_a_stale_configured_group_does_not_hide_the_live_ones(emulator, context):
    group_ids = groups(emulator, 2)
    grant_all(emulator, group_ids, ["leaver", "stays"])
    result = fn.handler({"user_name": "leaver"}, context(APP_GROUP_IDS=f"{group_ids[0]},g-stale,{group_ids[1]}"))
    _, pairs = wire_pairs(emulator)
    assert sorted(pairs) == sorted((g, "leaver") for g in group_ids)
    assert by_pair(result)[("g-stale", "leaver")]["outcome"] == "already_absent"
    assert result["summary"] == {"deleted": 2, "already_absent": 1} and result["status"] == "succeeded"
    assert emulator.workspaceapp.pairs(PROJECT) == {(g, "stays") for g in group_ids}


def test_a_group_deleted_after_the_listing_fails_its_call_then_the_live_groups_are_sent_again(
        emulator, context, reading):
    group_ids = groups(emulator, 3)
    grant_all(emulator, group_ids, ["leaver", "stays"])
    emulator.workspaceapp.remove_group(PROJECT, group_ids[1])  # its authorizations are still listed
    result = fn.handler({"user_name": "leaver"}, context(APP_GROUP_IDS=",".join(group_ids)))
    items = by_pair(result)
    assert {items[(g, "leaver")]["outcome"] for g in (group_ids[0], group_ids[2])} == {"deleted"}
    assert result["status"] == "succeeded"
    live = {(g, "stays") for g in (group_ids[0], group_ids[2])}
    if reading["unknown_group"] == "ignored":  # the service answered 200 and served the groups that exist
        assert len(emulator.calls(DELETE)) == 1 and emulator.calls(GROUPS) == []
        assert emulator.workspaceapp.pairs(PROJECT) - {(group_ids[1], "leaver"), (group_ids[1], "stays")} == live
        return
    first, again = emulator.calls(DELETE)
    assert first["status"] == int(reading["unknown_group"]) and again["status"] == 200
    assert again["body"]["app_group_ids"] == [group_ids[0], group_ids[2]]
    assert len(emulator.calls(GROUPS)) == 1
    gone = items[(group_ids[1], "leaver")]
    assert gone["outcome"] == "already_absent" and "does not exist" in gone["reason"]
    assert emulator.workspaceapp.pairs(PROJECT) - {(group_ids[1], "leaver"), (group_ids[1], "stays")} == live


def test_a_failure_in_groups_that_all_exist_stands(emulator, context):
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
    # the call that succeeds, and the failing call's 4 attempts (MAX_ATTEMPTS); all its groups exist: no resend
    assert len(emulator.calls(GROUPS)) == 1 and len(emulator.calls(DELETE)) == 1 + 4
    assert emulator.workspaceapp.pairs(PROJECT) == failed  # what is reported failed is what remains


def test_a_removal_whose_answer_was_lost_is_deleted_on_a_fresh_listing(emulator, context):
    group_ids = groups(emulator, 1)
    grant_all(emulator, group_ids, ["alice"])
    emulator.inject(DELETE, serve_first=True, status=500, times=None)
    result = fn.handler({"app_group_ids": group_ids, "accounts": ["alice"]}, context(MAX_ATTEMPTS="1"))
    (item,) = result["items"]
    assert item["outcome"] == "deleted" and "no access remains" in item["reason"]
    assert emulator.workspaceapp.pairs(PROJECT) == set()


# -- identity: WORKSPACE_ACCOUNT_MAPPING ---------------------------------------------------------
def test_cts_offboarding_default_mapping_is_the_iam_user_name(emulator, context):
    group_ids = groups(emulator, 25)
    others = [f"user{i:03d}" for i in range(119)]
    grant_all(emulator, group_ids, others + [LEAVER])
    result = fn.handler(reference_event("cts_iam_deleteUser_RECONSTRUCTED.json"),
                        context(APP_GROUP_IDS=",".join(group_ids)))
    calls, pairs = wire_pairs(emulator)
    assert len(calls) == 3 and sorted(pairs) == sorted((g, LEAVER) for g in group_ids)
    assert result["summary"] == {"deleted": 25}
    assert all(i["mapped_from"] == {"iam_user_name": LEAVER, "mapping": "same"} for i in result["items"])
    assert emulator.workspaceapp.pairs(PROJECT) == {(g, a) for g in group_ids for a in others}


def test_suffix_mapping_names_the_workspace_account(emulator, context):
    group_ids = groups(emulator, 2)
    grant_all(emulator, group_ids, ["alice@corp.example", "alice"])
    result = fn.handler(cts_event("alice"),
                        context(APP_GROUP_IDS="*", WORKSPACE_ACCOUNT_MAPPING="suffix:@corp.example"))
    _, pairs = wire_pairs(emulator)
    assert sorted(pairs) == sorted((g, "alice@corp.example") for g in group_ids)
    # listed before, and again after (an offboarding's evidence)
    assert [c["query"]["account"] for c in emulator.calls(LIST)] == ["alice@corp.example"] * 2
    assert result["summary"] == {"deleted": 2}
    assert result["items"][0]["mapped_from"] == {"iam_user_name": "alice", "mapping": "suffix:@corp.example"}
    assert emulator.workspaceapp.pairs(PROJECT) == {(g, "alice") for g in group_ids}


def test_domain_mapping_sends_the_domain_and_keeps_namesakes_of_other_domains(emulator, context):
    group_ids = groups(emulator, 2)
    grant_all(emulator, group_ids[:1], ["alice"], domain="corp.example")
    grant_all(emulator, group_ids[1:], ["alice"], domain="other.example")
    result = fn.handler(cts_event("alice"), context(APP_GROUP_IDS=",".join(group_ids),
                                                    WORKSPACE_ACCOUNT_MAPPING="domain:corp.example"))
    (call,) = emulator.calls(DELETE)
    assert call["body"] == {"app_group_ids": group_ids[:1],
                            "accounts": [{"account": "alice", "account_type": "USER", "domain": "corp.example"}]}
    assert by_pair(result)[(group_ids[0], "alice")]["outcome"] == "deleted"
    assert by_pair(result)[(group_ids[1], "alice")]["outcome"] == "already_absent"
    assert emulator.workspaceapp.pairs(PROJECT) == {(group_ids[1], "alice")}


@pytest.mark.parametrize("groups_setting", ["*", "explicit"])
def test_a_mapped_person_without_authorization_is_already_absent_never_deleted(emulator, context, groups_setting):
    group_ids = groups(emulator, 2)
    grant_all(emulator, group_ids, ["bob"])  # the IAM name, not the mapped Workspace name
    setting = "*" if groups_setting == "*" else ",".join(group_ids)
    result = fn.handler(cts_event("bob"), context(APP_GROUP_IDS=setting, WORKSPACE_ACCOUNT_MAPPING="suffix:@corp"))
    assert emulator.calls(DELETE) == [] and result["status"] == "succeeded"
    assert {i["outcome"] for i in result["items"]} == {"already_absent"}
    for item in result["items"]:
        assert item["account"] == "bob@corp"
        assert item["reason"].startswith("no authorization was found for the mapped account name 'bob@corp'")
        assert "WORKSPACE_ACCOUNT_MAPPING=suffix:@corp" in item["reason"]
        assert item["mapped_from"] == {"iam_user_name": "bob", "mapping": "suffix:@corp"}
    assert emulator.workspaceapp.pairs(PROJECT) == {(g, "bob") for g in group_ids}


def test_mapping_off_ignores_iam_user_deletions(emulator, context):
    group_ids = groups(emulator, 1)
    grant_all(emulator, group_ids, ["alice"])
    result = fn.handler(cts_event("alice"), context(APP_GROUP_IDS="*", WORKSPACE_ACCOUNT_MAPPING="off"))
    assert result["status"] == "ignored" and "WORKSPACE_ACCOUNT_MAPPING is off" in result["reason"]
    assert emulator.calls() == []
    direct = fn.handler({"user_name": "alice"}, context(APP_GROUP_IDS="*", WORKSPACE_ACCOUNT_MAPPING="off"))
    assert direct["summary"] == {"deleted": 1}, "requests that name Workspace accounts are not mapped"


@pytest.mark.parametrize("value", ["suffix:", "domain:", "suffix: @x", "prefix:x", "same:x", "domain:a\nb", "@corp"])
def test_a_malformed_mapping_is_a_configuration_error(emulator, context, value):
    result = fn.handler({"user_name": "alice"}, context(APP_GROUP_IDS="*", WORKSPACE_ACCOUNT_MAPPING=value))
    assert result["error_code"] == "FGR.ConfigurationError" and result["field"] == "WORKSPACE_ACCOUNT_MAPPING"
    with pytest.raises(ConfigurationError):
        fn.handler(cts_event("alice"), context(APP_GROUP_IDS="*", WORKSPACE_ACCOUNT_MAPPING=value))
    assert emulator.calls() == []


# -- requests, settings and triggers ---------------------------------------------------------------
@pytest.mark.parametrize("request_body", [{"app_group_ids": ["g1"], "accounts": []}, {"users": []}])
def test_zero_accounts_make_zero_calls_and_say_so(emulator, context, request_body):
    group_ids = groups(emulator, 1)
    grant_all(emulator, group_ids, ["bystander"])
    result = fn.handler(request_body, context(APP_GROUP_IDS=",".join(group_ids)))
    assert emulator.calls() == [] and result["items"] == [] and result["status"] == "nothing_to_do"
    assert result["notes"] == ["the request names no accounts: nothing to remove"]
    assert emulator.workspaceapp.pairs(PROJECT) == {(group_ids[0], "bystander")}


def test_duplicates_are_removed(emulator, context):
    group_ids = groups(emulator, 2)
    grant_all(emulator, group_ids, ["alice"])
    fn.handler({"app_group_ids": group_ids + group_ids[:1], "accounts": ["alice", {"account": "alice",
                                                                                   "account_type": "USER"}]},
               context())
    (call,) = emulator.calls(DELETE)
    assert call["body"] == {"app_group_ids": group_ids, "accounts": [{"account": "alice", "account_type": "USER"}]}
    assert len(emulator.calls(LIST)) == 1


@pytest.mark.parametrize("accounts, field", [
    ([{"account_type": "USER"}], "accounts[0].account"),
    (["ok", {"account": "x", "account_type": "ADMIN"}], "accounts[1].account_type"),
    (["ok", "ok2", {"account": "x", "account_type": "USER", "platform_type": "MAC"}], "accounts[2].platform_type"),
    ([{"account": "x", "account_type": "USER", "color": "red"}], "accounts[0].color"),
    ([{"account": "x", "account_type": "USER_GROUP", "id": "grp-9\n"}], "accounts[0].id"),
    ([" padded"], "accounts[0].account"),
    ([7], "accounts[0]"),
])
def test_validation_names_the_field_and_index(emulator, context, accounts, field):
    result = fn.handler({"app_group_ids": ["g1"], "accounts": accounts}, context())
    assert result["error_code"] == "FGR.InvalidRequest" and result["field"] == field
    assert emulator.calls() == []


def test_groups_default_to_the_setting(emulator, context):
    group_ids = groups(emulator, 3)
    grant_all(emulator, group_ids, ["alice"])
    fn.handler({"accounts": ["alice"]}, context(APP_GROUP_IDS=",".join(group_ids)))
    assert emulator.calls(DELETE)[0]["body"]["app_group_ids"] == group_ids


def test_no_groups_anywhere_is_a_configuration_error(emulator, context):
    result = fn.handler({"accounts": ["alice"]}, context())
    assert result["error_code"] == "FGR.ConfigurationError" and result["field"] == "APP_GROUP_IDS"


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
    assert nobody == [{"app_group_id": "*", "account": "nobody", "account_type": "USER", "region": REGION,
                       "project_id": PROJECT, "outcome": "already_absent",
                       "reason": "no authorization was found for the account name 'nobody' in any application group"}]


def test_discovery_pages_through_the_list(emulator, context):
    group_ids = groups(emulator, 130)
    grant_all(emulator, group_ids, ["leaver"])
    fn.handler({"user_name": "leaver"}, context(APP_GROUP_IDS="*"))
    # offset is an item index ([SDK]); each page overlaps the previous one by an entry (shared/listing.py)
    assert [c["query"]["offset"] for c in emulator.calls(LIST)] == ["0", "99"]
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
    assert all(c["query"]["account"] == "alice" for c in emulator.calls(LIST))


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


def test_concurrency_never_exceeds_the_setting(emulator, context):
    group_ids = groups(emulator, 40)
    grant_all(emulator, group_ids, ["a"])
    emulator.inject(DELETE, latency=0.05, times=None)
    fn.handler({"app_group_ids": group_ids, "accounts": ["a"]}, context(MAX_CONCURRENCY="3"))
    assert len(emulator.calls(DELETE)) == 4 and emulator.max_in_flight[DELETE] <= 3


def exercise_every_call(emulator):
    """For the least-privilege check (test_permissions.py): a request that makes every kind of call."""
    emulator.workspaceapp.seed_group(PROJECT, "g", "g-1")
    emulator.workspaceapp.grant(PROJECT, "g-1", "leaver", age_hours=48)
    # a group since deleted: ListAppGroup finds out
    emulator.workspaceapp.grant(PROJECT, "g-gone", "leaver", age_hours=48)
    emulator.workspaceapp.grant(PROJECT, "g-1", "team", "USER_GROUP", account_id="ug-gone", age_hours=48)
    return {"sweep": {}}, {"SWEEP_MAX_FRACTION": "1"}  # a sweep reads Workspace users and user groups too


PERMISSIONS = {"workspaceapp_batch_delete_app_group_authorization": exercise_every_call}
