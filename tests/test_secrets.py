"""No AK, SK or token in any log line, response, exception text or recorded emulator response."""

from __future__ import annotations

import json

import pytest

from conftest import SECRETS, load_function, make_context, reference_event
from fgrevoke.testkit import apig_event

SCENARIOS = {
    "modelarts_delete_authorizations": [
        ({"user_id": "u-1"}, {}),
        ({"user_ids": ["u-1", "u-2"], "verify": True}, {"status": 401}),
        (apig_event("DELETE", query={"user_id": "u-1"}), {"status": 500, "times": None}),
        (apig_event("POST", {"user_id": "u-1"}), {"drop": True, "times": None}),
        ({"user_id": "all"}, {}),
        (reference_event("cts_iam_deleteUser_RECONSTRUCTED.json"), {"status": 403, "times": None}),
    ],
    "workspace_batch_delete_access_policies": [
        ({"policy_id_list": ["p-1", "p-2"]}, {}),
        ({"select": {"older_than_days": 1}}, {"status": 503, "times": None}),
        (apig_event("DELETE", {"policy_id_list": ["p-1"]}), {"raw_body": b"{not json", "status": 500}),
    ],
    "workspaceapp_batch_delete_app_group_authorization": [
        ({"accounts": ["alice"]}, {}),
        (apig_event("POST", {"accounts": ["alice", "bob"]}), {"status": 429, "retry_after": "0", "times": None}),
        (reference_event("cts_iam_deleteUser_RECONSTRUCTED.json"), {"drop_mid_response": True, "times": None}),
        ({"users": [{"user_name": "leaver"}]}, {"status": 401}),
    ],
}
CASES = [(name, event, fault) for name, scenarios in SCENARIOS.items() for event, fault in scenarios]


@pytest.mark.parametrize("name, event, fault", CASES)
def test_secrets_never_leak(emulator, capsys, name, event, fault):
    fn = load_function(name)
    if fault:
        emulator.inject("*", **fault)
    try:
        outcome = json.dumps(fn.handler(event, make_context(MAX_ATTEMPTS="2", LOG_LEVEL="DEBUG",
                                                            APP_GROUP_IDS="g-1")))
    except Exception as error:  # noqa: BLE001 - the exception text is what is checked
        outcome = f"{type(error).__name__}: {error}"
    captured = capsys.readouterr()
    recorded = json.dumps([(call["response"], call["headers"]) for call in emulator.calls()])
    for secret in SECRETS:
        for where, text in (("stdout", captured.out), ("stderr", captured.err), ("result", outcome),
                            ("emulator journal", recorded)):
            assert secret not in text, f"{secret[:6]}… leaked into {where}"


def test_the_watch_catches_a_leak():
    """The harness in conftest.py must be able to fail: a key in any watched text is found."""
    from conftest import AK, ROTATED, find_secrets

    assert find_secrets(["nothing here"]) == []
    assert find_secrets([f"Authorization: SDK-HMAC-SHA256 Access={AK}"]) == [AK[:6] + "…"]
    assert find_secrets(["x", f"token={ROTATED[2]}"]) == [ROTATED[2][:6] + "…"]
