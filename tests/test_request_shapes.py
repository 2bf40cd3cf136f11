"""Request shapes the trigger docs allow (issue 18, class 7), end to end against the emulator.

EventGrid ``data`` as JSON text of a list of people; ``?dry_run=true`` in an API Gateway query string;
a CTS ``code`` in any numeric JSON form.
"""

from __future__ import annotations

import json

import pytest

from conftest import PROJECT, load_function
from fgrevoke.testkit import apig_body, apig_event, cts_event, eventgrid_event

fn = load_function("workspaceapp_batch_delete_app_group_authorization")
DELETE = "workspaceapp.batch_delete_app_group_authorization"


def seed(emulator, names):
    group = emulator.workspaceapp.seed_group(PROJECT, "g", "g001")
    for name in names:
        emulator.workspaceapp.grant(PROJECT, group, name)
    return group


def test_eventgrid_data_as_json_text_of_a_list_of_people(emulator, context):
    group = seed(emulator, ["alice", "bob"])
    event = eventgrid_event(json.dumps([{"user_name": "alice"}, {"user_name": "bob"}]))
    result = fn.handler(event, context(APP_GROUP_IDS=group))
    assert result["status"] == "succeeded"
    assert {(item["account"], item["outcome"]) for item in result["items"]} == {("alice", "deleted"),
                                                                                ("bob", "deleted")}
    assert emulator.workspaceapp.pairs(PROJECT) == set()


@pytest.mark.parametrize("flag", ["true", "TRUE", ["true"]])
def test_apig_query_dry_run_true_writes_nothing(emulator, context, flag):
    group = seed(emulator, ["alice"])
    response = fn.handler(apig_event("POST", {"accounts": ["alice"], "app_group_ids": [group]},
                                     query={"dry_run": flag}), context())
    body = apig_body(response)
    assert response["statusCode"] == 200 and body["dry_run"] is True
    assert [item["outcome"] for item in body["items"]] == ["would_delete"]
    assert emulator.calls(DELETE) == [] and emulator.workspaceapp.pairs(PROJECT) == {(group, "alice")}


def test_apig_query_dry_run_that_is_not_a_boolean_is_refused(emulator, context):
    response = fn.handler(apig_event("POST", {"accounts": ["alice"], "app_group_ids": ["g001"]},
                                     query={"dry_run": "yes"}), context())
    assert response["statusCode"] == 400 and apig_body(response)["error_code"] == "FGR.InvalidRequest"
    assert emulator.calls() == []


@pytest.mark.parametrize("code", [403, "403", 403.0, "403.0", " 403 "])
def test_cts_failed_deletion_in_any_numeric_form_is_ignored(emulator, context, code):
    group = seed(emulator, ["alice"])
    event = cts_event("0b8d4c6f1a2e4f3b9c7d6e5f4a3b2c1d", "alice")
    event["cts"]["code"] = code
    result = fn.handler(event, context(APP_GROUP_IDS=group))
    assert result["status"] == "ignored" and "403" in result["reason"]
    assert emulator.calls() == []


@pytest.mark.parametrize("code", [200, "204", 200.0, None])
def test_cts_successful_deletion_in_any_numeric_form_is_acted_on(emulator, context, code):
    group = seed(emulator, ["alice"])
    event = cts_event("0b8d4c6f1a2e4f3b9c7d6e5f4a3b2c1d", "alice")
    event["cts"]["code"] = code
    result = fn.handler(event, context(APP_GROUP_IDS=group))
    assert [item["outcome"] for item in result["items"]] == ["deleted"]
