"""Arbitrary events: always a well-formed answer, never a crash, no upstream call when invalid."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import load_function, make_context
from fgrevoke.testkit import apig_event
from shared.errors import RevokeError

FUNCTIONS = ["modelarts_delete_authorizations", "workspace_batch_delete_access_policies",
             "workspaceapp_batch_delete_app_group_authorization"]
REQUEST_KEYS = ["user_id", "user_ids", "dry_run", "verify", "project_id", "policy_id_list", "select",
                "app_group_ids", "accounts", "user_name", "domain", "events", "record", "cts", "httpMethod"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=20), st.sampled_from(["all", "ALL", "../x", "?user_id=all", "%2F", "a&b",
                                                           "u-1", "", " ", "\x00", "é"]))
json_values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.one_of(st.sampled_from(REQUEST_KEYS), st.text(max_size=8)),
                                                    children, max_size=4)), max_leaves=12)
requests = st.dictionaries(st.sampled_from(REQUEST_KEYS), json_values, max_size=4)
events = st.one_of(
    json_values,
    requests,
    requests.map(lambda r: {"trigger_type": "TIMER", "trigger_name": "t", "time": "x", "user_event": json.dumps(r)}),
    st.builds(lambda method, body, b64: apig_event(method, body, base64_body=b64),
              st.sampled_from(["GET", "POST", "DELETE", "PUT"]), st.one_of(requests, st.text(max_size=30)),
              st.booleans()),
    requests.map(lambda r: {"id": "e", "specversion": "1.0", "type": "t", "data": r}),
    requests.map(lambda r: {"record": [{"smn": {"message": json.dumps(r), "message_id": "m"}}]}),
)


def well_formed(result):
    if "statusCode" in result:
        assert isinstance(result["statusCode"], int) and isinstance(result["body"], str)
        assert result["isBase64Encoded"] is False
        return json.loads(result["body"]), result["statusCode"]
    return result, None


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=events, name=st.sampled_from(FUNCTIONS))
def test_any_event_gets_a_structured_answer(emulator, event, name):
    emulator.reset()
    fn = load_function(name)
    try:
        result = fn.handler(event, make_context(MAX_ATTEMPTS="1", APP_GROUP_IDS="g-1,g-2"))
    except RevokeError as error:  # asynchronous triggers raise, structured, to be retried
        assert error.error_code.startswith("FGR.")
        return
    body, status = well_formed(result)
    assert isinstance(body, dict) and body["operation"]
    if "error_code" in body:
        assert body["error_msg"] and body["status"] in ("rejected", "error")
        if (status or 400) < 500:
            assert emulator.calls() == [], "an invalid request must not reach the service"
    else:
        assert body["status"] in ("succeeded", "partially_failed", "failed", "nothing_to_do", "ignored")
    for call in emulator.calls():
        assert call["query"].get("user_id", "") != "all", "a crafted id widened the operation"
