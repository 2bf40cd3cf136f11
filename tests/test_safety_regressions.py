"""One regression test per example of issue 10; tests/test_invariants.py holds the classes they belong to."""

from __future__ import annotations

import json
import time

import pytest

from conftest import PROJECT, load_function, make_context, reference_event
from fgrevoke.testkit import apig_body, apig_event
from shared.errors import RevokeError, TransientUpstreamFailure

MODELARTS = load_function("modelarts_delete_authorizations")
WORKSPACE = load_function("workspace_batch_delete_access_policies")
WORKSPACEAPP = load_function("workspaceapp_batch_delete_app_group_authorization")
NOT_A_LISTING = [
    {"status": 302, "body": {"moved": True}},
    {"status": 200, "body": {"error_code": "APIG.0201", "error_msg": "backend unavailable"}},
    {"status": 200, "raw_body": b'{"auth": [{"user_id": "u-ali'},
]


def cts_deletion(resource_id: str, resource_name: str = "alice") -> dict:
    event = reference_event("cts_iam_deleteUser_RECONSTRUCTED.json")
    event["cts"].update(resource_id=resource_id, resource_name=resource_name)
    return event


@pytest.mark.parametrize("resource_id", ["ALL", "all", "All-Users", "all_users", "ALL\n"])
@pytest.mark.parametrize("settings", [{}, {"ALLOW_ALL_USERS": "true"},
                                      {"ALLOW_ALL_USERS": "true", "PROTECTED_USER_IDS": "u-admin"}])
def test_a_cts_trace_naming_everyone_revokes_no_one(emulator, resource_id, settings):
    emulator.modelarts.seed(PROJECT, "u-admin")
    result = MODELARTS.handler(cts_deletion(resource_id), make_context(**settings))
    assert result["status"] == "rejected" and result["error_code"] in ("FGR.Refused", "FGR.InvalidRequest")
    assert emulator.calls("modelarts.delete_authorizations") == []
    assert emulator.modelarts.user_ids(PROJECT) == ["u-admin"]


@pytest.mark.parametrize("variant", ["u-admin\n", "U-ADMIN", "u-admin ", " u-admin", "u-ad\x00min"])
def test_a_protected_id_in_disguise_is_refused_or_protected(emulator, variant):
    emulator.modelarts.seed(PROJECT, "u-admin")
    for event in ({"user_id": variant}, {"user_ids": [variant]}, apig_event("DELETE", query={"user_id": variant}),
                  cts_deletion(variant)):
        MODELARTS.handler(event, make_context(PROTECTED_USER_IDS="u-admin"))
    sent = [call["query"]["user_id"] for call in emulator.calls("modelarts.delete_authorizations")]
    assert sent == [], f"{sent!r} reached the wire"
    assert emulator.modelarts.user_ids(PROJECT) == ["u-admin"]


def test_protected_accounts_compare_by_unicode_case_folding(emulator):
    emulator.workspaceapp.seed_group(PROJECT, "g", group_id="g-1")
    emulator.workspaceapp.grant(PROJECT, "g-1", "STRASSE")
    result = WORKSPACEAPP.handler({"accounts": ["STRASSE"]}, make_context(PROTECTED_ACCOUNTS="straße",
                                                                          APP_GROUP_IDS="g-1"))
    assert [item["outcome"] for item in result["items"]] == ["skipped_protected"]
    assert emulator.calls("workspaceapp.batch_delete_app_group_authorization") == []


@pytest.mark.parametrize("fault", NOT_A_LISTING)
def test_reconcile_needs_a_real_listing(emulator, fault):
    emulator.modelarts.seed(PROJECT, "u-1")
    emulator.inject("modelarts.delete_authorizations", status=500, times=None)
    emulator.inject("modelarts.get_authorizations", times=None, **fault)
    (item,) = MODELARTS.handler({"user_id": "u-1", "verify": True}, make_context(MAX_ATTEMPTS="1"))["items"]
    assert item["outcome"] == "failed" and emulator.modelarts.user_ids(PROJECT) == ["u-1"]


@pytest.mark.parametrize("fault", NOT_A_LISTING)
def test_discovery_needs_a_real_listing(emulator, fault):
    emulator.workspaceapp.seed_group(PROJECT, "g", group_id="g-1")
    emulator.workspaceapp.grant(PROJECT, "g-1", "leaver")
    emulator.inject("workspaceapp.list_app_group_authorization", times=None, **fault)
    result = WORKSPACEAPP.handler({"user_name": "leaver"}, make_context(APP_GROUP_IDS="*", MAX_ATTEMPTS="1"))
    assert all(item["outcome"] == "failed" for item in result["items"]), result
    assert emulator.workspaceapp.pairs(PROJECT) == {("g-1", "leaver")}


@pytest.mark.parametrize("fault", NOT_A_LISTING)
def test_a_workspace_batch_is_not_absent_on_a_broken_listing(emulator, fault):
    policy = emulator.workspace.seed(PROJECT, access_control_type="IP_WHITE_LIST", is_enable=False)
    emulator.inject("workspace.batch_delete_access_policies", status=404, body={"error_code": "WKS.0404",
                                                                               "error_msg": "x"}, times=None)
    emulator.inject("workspace.list_access_policies", times=None, **fault)
    result = WORKSPACE.handler({"policy_id_list": [policy]}, make_context(MAX_ATTEMPTS="1"))
    assert "already_absent" not in json.dumps(result) and emulator.workspace.policy_ids(PROJECT) == [policy]


@pytest.mark.parametrize("code", ["APIG.0101", "APIGW.0101"])
def test_the_gateway_404_is_no_proof_of_absence(emulator, code):
    emulator.workspaceapp.seed_group(PROJECT, "g", group_id="g-1")
    emulator.workspaceapp.grant(PROJECT, "g-1", "alice")
    emulator.inject("*", status=404, body={"error_code": code, "error_msg": "The API does not exist"}, times=None)
    with pytest.raises(TransientUpstreamFailure) as raised:
        WORKSPACEAPP.handler(cts_deletion("0b8d4c6f1a2e4f3b9c7d6e5f4a3b2c1d", "alice"),
                             make_context(APP_GROUP_IDS="g-1"))
    assert "REGION" in str(raised.value)
    response = MODELARTS.handler(apig_event("DELETE", query={"user_id": "u-1"}), make_context())
    assert response["statusCode"] == 502 and apig_body(response)["items"][0]["error_code"] == code


def test_no_call_starts_after_the_deadline(emulator):
    group_ids = [emulator.workspaceapp.seed_group(PROJECT, f"g{i}", group_id=f"g-{i}") for i in range(30)]
    for group in group_ids:
        emulator.workspaceapp.grant(PROJECT, group, "alice")
    emulator.inject("*", latency=0.4, times=None)
    started = time.monotonic()
    result = WORKSPACEAPP.handler({"accounts": [f"user{i}" for i in range(120)] + ["alice"]},
                                  make_context(timeout_seconds=3.5, APP_GROUP_IDS=",".join(group_ids),
                                               HTTP_CONNECT_TIMEOUT="0.5", HTTP_READ_TIMEOUT="1", MAX_CONCURRENCY="1"))
    assert time.monotonic() - started < 3.5
    unfinished = [item for item in result["items"] if item["outcome"] == "not_attempted"]
    assert unfinished and all(item["retryable"] and "not attempted" in item["reason"] for item in unfinished)


def test_not_attempted_raises_on_async_triggers(emulator):
    emulator.modelarts.seed(PROJECT, "u-1")
    event = {"trigger_type": "TIMER", "trigger_name": "t", "user_event": json.dumps({"user_id": "u-1"})}
    with pytest.raises(TransientUpstreamFailure, match="retryable"):
        MODELARTS.handler(event, make_context(timeout_seconds=2))  # 3 s + 10 s timeouts cannot fit
    assert emulator.calls() == []


def test_each_write_leaves_its_audit_record_when_it_ends(emulator, capsys):
    for user_id in ("u-1", "u-2"):
        emulator.modelarts.seed(PROJECT, user_id)
    MODELARTS.handler({"user_ids": ["u-1", "u-2"]}, make_context())
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"upstream.call"' in line]
    assert sorted(r["targets"][0]["user_id"] for r in records) == ["u-1", "u-2"]
    assert all(r["http_status"] == 200 and r["attempts"] == 1 for r in records)


def test_an_echoed_token_never_reaches_the_raised_exception(emulator):
    token = "TOKENregression-" + "q" * 40  # not one of conftest's: the emulator may echo it here
    emulator.add_credentials("AKREGRESSION00000001", "SKregression0000000000000000000000000000", token)
    emulator.inject("*", status=503, times=None, body={"error_code": "SVC.0503",
                                                       "error_msg": "x" * 490 + f"X-Security-Token: {token}"})
    event = {"trigger_type": "TIMER", "trigger_name": "t", "user_event": json.dumps({"user_id": "u-1"})}
    context = make_context(MAX_ATTEMPTS="1")
    context.security_access_key, context.security_secret_key, context.security_token = \
        "AKREGRESSION00000001", "SKregression0000000000000000000000000000", token
    with pytest.raises(RevokeError) as raised:
        MODELARTS.handler(event, context)
    text = f"{raised.value} {raised.value.args}"
    assert "TOKENregression" not in text and "q" * 16 not in text


def test_a_transient_failure_raises_even_beside_a_rejected_request(emulator):
    emulator.modelarts.seed(PROJECT, "u-1")
    emulator.inject("modelarts.delete_authorizations", status=503, times=None)
    event = {"events": [{"id": "e1", "specversion": "1.0", "type": "t", "data": {"user_id": "bad id"}},
                        {"id": "e2", "specversion": "1.0", "type": "t", "data": {"user_id": "u-1"}}]}
    with pytest.raises(TransientUpstreamFailure):
        MODELARTS.handler(event, make_context(MAX_ATTEMPTS="1"))


def test_an_envelope_says_which_request_ran_dry(emulator):
    for user_id in ("u-1", "u-2"):
        emulator.modelarts.seed(PROJECT, user_id)
    event = {"record": [{"smn": {"message": json.dumps({"user_id": "u-1", "dry_run": True}), "message_id": "a"}},
                        {"smn": {"message": json.dumps({"user_id": "u-2"}), "message_id": "b"}}]}
    result = MODELARTS.handler(event, make_context())
    assert [request["dry_run"] for request in result["requests"]] == [True, False]
    assert result["dry_run"] is False and emulator.modelarts.user_ids(PROJECT) == ["u-1"]


# -- found by an adversarial review (a helper given the contract, not the code's examples) --------------------

@pytest.mark.parametrize("name, route, body, request_", [
    ("modelarts_delete_authorizations", "modelarts.get_authorizations",
     {"auth": [{"userId": "u-1"}], "total_count": 1}, {"user_id": "u-1", "verify": True}),
    ("workspace_batch_delete_access_policies", "workspace.list_access_policies",
     {"policies": [{"id": "p-1"}], "total": 1}, {"policy_id_list": ["p-1"]}),
    ("workspaceapp_batch_delete_app_group_authorization", "workspaceapp.list_app_group_authorization",
     {"authorizations": [{"account": "u-1", "account_type": "USER", "group_id": "g-1"}], "count": 1},
     {"accounts": ["u-1"]}),
])
def test_a_listing_entry_without_its_key_proves_nothing(emulator, name, route, body, request_):
    emulator.modelarts.seed(PROJECT, "u-1")
    emulator.workspace.seed(PROJECT, policy_id="p-1")
    emulator.workspaceapp.seed_group(PROJECT, "g", group_id="g-1")
    emulator.workspaceapp.grant(PROJECT, "g-1", "u-1")
    emulator.inject(route, status=200, raw_body=json.dumps(body).encode(), times=None)
    emulator.inject("*", status=500, times=None, when=lambda request: request.method != "GET")
    result = load_function(name).handler(request_, make_context(MAX_ATTEMPTS="1", APP_GROUP_IDS="g-1"))
    assert "already_absent" not in json.dumps(result) and '"deleted"' not in json.dumps(result), result


def test_a_stale_group_listing_without_ids_proves_nothing(emulator):
    emulator.workspaceapp.seed_group(PROJECT, "g", group_id="g-1")
    emulator.workspaceapp.grant(PROJECT, "g-1", "leaver")
    emulator.inject("workspaceapp.batch_delete_app_group_authorization", status=500, times=None)
    emulator.inject("workspaceapp.list_app_group", status=200, times=None,
                    raw_body=json.dumps({"items": [{"app_group_id": "g-1"}], "count": 1}).encode())
    result = WORKSPACEAPP.handler({"user_name": "leaver"}, make_context(APP_GROUP_IDS="g-1", MAX_ATTEMPTS="1"))
    assert [item["outcome"] for item in result["items"]] == ["failed"]


def test_keys_are_masked_in_dictionary_keys_and_before_any_client(emulator):
    echoed = {"user_id": "u-1", f"x-echo {TOKEN_UNDER_TEST}": 1}
    context = make_context()
    context.security_token = TOKEN_UNDER_TEST
    emulator.add_credentials(context.security_access_key, context.security_secret_key, TOKEN_UNDER_TEST)
    result = MODELARTS.handler(echoed, context)
    assert result["error_code"] == "FGR.InvalidRequest" and TOKEN_UNDER_TEST[:16] not in json.dumps(result)


TOKEN_UNDER_TEST = "TOKENadversarial-review-" + "k" * 30


@pytest.mark.parametrize("event", [
    {"select": {"older_than_days": 10 ** 400}},
    {"cts": {"service_type": "IAM", "resource_type": "user", "trace_name": "deleteUser", "code": "²",
             "resource_id": "u-1", "resource_name": "alice"}},
    {"cts": {"service_type": "IAM", "resource_type": "user", "trace_name": "deleteUser", "code": "9" * 5000,
             "resource_id": "u-1", "resource_name": "alice"}},
])
def test_hostile_numbers_in_an_event_are_no_defect(emulator, event):
    for fn in (MODELARTS, WORKSPACE, WORKSPACEAPP):
        try:
            result = fn.handler(event, make_context(APP_GROUP_IDS="g-1", MAX_ATTEMPTS="1"))
        except RevokeError as raised:
            assert raised.error_code != "FGR.InternalError"
            continue
        assert result.get("error_code") != "FGR.InternalError", result


@pytest.mark.parametrize("raw", [b'{"policies": [], "total": 1e999}', b'{"policies": [], "total": NaN}',
                                 b'{"policies": [{"policy_id": "p-1", "create_time": 1e300}], "total": 1}',
                                 b'{"policies": ' + b"[" * 5000 + b"]" * 5000 + b', "total": 1}'])
def test_hostile_numbers_and_depth_in_an_answer_are_no_defect(emulator, raw):
    emulator.inject("workspace.list_access_policies", status=200, raw_body=raw, times=None)
    result = WORKSPACE.handler({"select": {"older_than_days": 1}}, make_context(MAX_ATTEMPTS="1"))
    assert result.get("error_code") != "FGR.InternalError", result
