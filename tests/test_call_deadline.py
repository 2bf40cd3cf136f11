"""A call that never ends (issue 18, class 4): an answer trickled a byte at a time passes every per-read
timeout; each upstream call has a total deadline (its share of the invocation's remaining time).

The emulator's ``trickle`` fault sends the answer's body a byte at a time, each byte well within the read
timeout; the handlers call the real SDK over HTTP.
"""

from __future__ import annotations

import time

from conftest import PROJECT, load_function

workspaceapp = load_function("workspaceapp_batch_delete_app_group_authorization")
modelarts = load_function("modelarts_delete_authorizations")
LIST = "workspaceapp.list_app_group_authorization"
# per read 1 s, connect 1 s: one call may take 2 s in all; each trickled byte comes within 0.02 s
SETTINGS = {"HTTP_READ_TIMEOUT": "1", "HTTP_CONNECT_TIMEOUT": "1", "MAX_CONCURRENCY": "1"}


def test_a_trickled_listing_ends_the_invocation_near_its_deadline(emulator, context):
    """The issue's example: trickled answers kept an invocation running 38 s with 6 s left."""
    group = emulator.workspaceapp.seed_group(PROJECT, "g", "g001")
    names = [f"leaver{index}" for index in range(4)]
    for name in names:
        emulator.workspaceapp.grant(PROJECT, group, name)
    emulator.inject(LIST, times=None, trickle=0.02)  # ~450 bytes: 9 s for each answer
    started = time.monotonic()
    result = workspaceapp.handler({"app_group_ids": [group], "accounts": names}, context(timeout_seconds=6,
                                                                                         **SETTINGS))
    elapsed = time.monotonic() - started
    assert elapsed < 6, f"the invocation ran {elapsed:.1f} s of its 6 s"
    outcomes = {item["outcome"] for item in result["items"]}
    assert outcomes <= {"failed", "not_attempted"} and all(item["retryable"] for item in result["items"])
    assert "not_attempted" in outcomes
    failed = [item for item in result["items"] if item["outcome"] == "failed"]
    assert {item["error_code"] for item in failed} == {"FGR.Timeout"}
    assert all("did not arrive whole within" in item["error_msg"] for item in failed)
    assert emulator.calls("workspaceapp.batch_delete_app_group_authorization") == []


def test_a_trickled_deletion_is_a_retryable_timeout(emulator, context):
    for user in ("u1", "u2"):
        emulator.modelarts.seed(PROJECT, user)
    emulator.inject("modelarts.delete_authorizations", times=None, trickle=0.2)  # 18 bytes: 3.6 s
    started = time.monotonic()
    result = modelarts.handler({"user_ids": ["u1"]}, context(timeout_seconds=20, MAX_ATTEMPTS="1", **SETTINGS))
    assert time.monotonic() - started < 2 * 2 + 1  # the call, then reconcile's listing
    (item,) = result["items"]
    # the service did delete u1 before its answer trickled: the listing after the timeout says so
    assert item["outcome"] in ("deleted", "failed") and (item["outcome"] == "deleted" or item["retryable"])


def test_a_whole_answer_within_the_deadline_is_read_as_usual(emulator, context):
    group = emulator.workspaceapp.seed_group(PROJECT, "g", "g001")
    emulator.workspaceapp.grant(PROJECT, group, "alice")
    result = workspaceapp.handler({"app_group_ids": [group], "accounts": ["alice"]}, context(**SETTINGS))
    assert result["summary"] == {"deleted": 1}
