"""Hostile input: oversized, deeply nested, wrongly typed, crafted ids. Each ends in a clear 4xx-style
error or a correct result, and no crafted id widens the operation or becomes another request."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PROJECT, apig_body, apig_event, load_function, make_context

FUNCTIONS = {
    "modelarts_delete_authorizations": lambda ids: {"user_ids": ids},
    "workspace_batch_delete_access_policies": lambda ids: {"policy_id_list": ids},
    "workspaceapp_batch_delete_app_group_authorization": lambda ids: {"app_group_ids": ids, "accounts": ["a"]},
}
CRAFTED = ["all", "ALL", "../etc", "..%2F..", "?user_id=all", "u-1?user_id=all", "%2F", "a&b", "u-1&user_id=all",
           "a/b", "a b", "\u202eevil", "é", "\x00", "\n", "a\tb", "#frag", "x" * 129, "", " u-1"]


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("crafted", CRAFTED)
def test_crafted_ids_are_refused_before_any_call(emulator, name, crafted):
    for policy_id in ("ok-1", crafted):  # Workspace sends only the ids its listing holds
        emulator.workspace.seed(PROJECT, policy_id=policy_id)
    for group in ("ok-1", crafted):  # Workspace App sends removals only for pairs the service holds
        emulator.workspaceapp.seed_group(PROJECT, group, group)
        emulator.workspaceapp.grant(PROJECT, group, "a")
    result = load_function(name).handler(FUNCTIONS[name](["ok-1", crafted]), make_context(ALLOW_ALL_USERS="true"))
    if crafted.lower() == "all" and name != "modelarts_delete_authorizations":
        # Only ModelArts gives "all" a meaning; elsewhere it is an id like any other, inside a JSON body.
        sent = [c["body"] for c in emulator.calls() if c["method"] != "GET"]
        assert sent and all(crafted in json.dumps(body) and "ok-1" in json.dumps(body) for body in sent)
        return
    assert result["error_code"] == "FGR.InvalidRequest", result
    assert result["field"].endswith("[1]")
    if crafted.lower() == "all":
        assert "alone" in result["error_msg"]
    assert emulator.calls() == []


@pytest.mark.parametrize("crafted", CRAFTED[2:])
def test_crafted_single_user_id_never_becomes_another_request(emulator, crafted):
    response = load_function("modelarts_delete_authorizations").handler(
        apig_event("DELETE", query={"user_id": crafted}), make_context(ALLOW_ALL_USERS="true"))
    assert response["statusCode"] == 400 and emulator.calls() == []


def test_account_names_with_url_syntax_stay_one_query_value(emulator):
    emulator.workspaceapp.seed_group(PROJECT, "g", "g-1")
    name = "x&account_type=USER_GROUP&account=all"
    emulator.workspaceapp.grant(PROJECT, "g-1", name)
    emulator.workspaceapp.grant(PROJECT, "g-1", "all")
    fn = load_function("workspaceapp_batch_delete_app_group_authorization")
    fn.handler({"user_name": name}, make_context(APP_GROUP_IDS="*"))
    (listing,) = emulator.calls("workspaceapp.list_app_group_authorization")
    assert listing["query"]["account"] == name and listing["query"]["account_type"] == "USER"
    assert emulator.workspaceapp.pairs(PROJECT) == {("g-1", "all")}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_list_of_100000_items_is_refused_quickly(emulator, name):
    result = load_function(name).handler(FUNCTIONS[name]([f"id-{i}" for i in range(100_000)]), make_context())
    assert result["error_code"] == "FGR.PayloadTooLarge" and emulator.calls() == []


@pytest.mark.parametrize("name", FUNCTIONS)
def test_apig_body_over_4mb_is_413(emulator, name):
    body = json.dumps({"pad": "x" * (4 * 1024 * 1024)})
    event = apig_event("POST")
    event.update(body=base64.b64encode(body.encode()).decode(), isBase64Encoded=True)
    response = load_function(name).handler(event, make_context())
    assert response["statusCode"] == 413 and emulator.calls() == []


@pytest.mark.parametrize("name", FUNCTIONS)
def test_deeply_nested_json_body_is_400(emulator, name):
    response = load_function(name).handler(apig_event("POST", "[" * 200_000 + "]" * 200_000), make_context())
    assert response["statusCode"] == 400 and emulator.calls() == []


@pytest.mark.parametrize("name", FUNCTIONS)
def test_deeply_nested_direct_event_is_400(emulator, name):
    nested = {}
    for _ in range(5_000):
        nested = {"x": nested}
    result = load_function(name).handler({"unexpected": nested}, make_context())
    assert result["error_code"] == "FGR.InvalidRequest" and emulator.calls() == []


@pytest.mark.parametrize("name", FUNCTIONS)
def test_huge_unknown_keys_keep_the_error_short(emulator, name):
    result = load_function(name).handler({f"k{i}" * 50: 1 for i in range(20_000)}, make_context())
    assert result["error_code"] == "FGR.InvalidRequest" and len(result["error_msg"]) < 1_000


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(list(FUNCTIONS)),
       ids=st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=16), min_size=1, max_size=5))
def test_arbitrary_unicode_ids_never_reach_the_wire_unvalidated(emulator, name, ids):
    emulator.reset()
    result = load_function(name).handler(FUNCTIONS[name](ids), make_context(ALLOW_ALL_USERS="true"))
    for call in (c for c in emulator.calls() if c["method"] != "GET"):  # GETs list, they name no target
        sent = call["query"].get("user_id") or (call["body"] or {}).get("policy_id_list") or \
            (call["body"] or {}).get("app_group_ids")
        for value in sent if isinstance(sent, list) else [sent]:
            assert value in ids and value.lower() != "all"
    assert result.get("status") in ("succeeded", "rejected", "partially_failed", "failed")


def test_apig_response_body_is_always_json(emulator):
    fn = load_function("modelarts_delete_authorizations")
    for event in (apig_event("GET"), apig_event("POST", "\udcff"), apig_event("POST", {"user_id": 5})):
        assert isinstance(apig_body(fn.handler(event, make_context())), dict)
