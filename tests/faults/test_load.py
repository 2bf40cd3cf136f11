"""Bounded load: 500 invocations from 8 threads on one warm module per function, 5 % transient faults.

Loopback only, fixed count, stops by itself. Credentials rotate between two key sets while calls are
in flight (as the agency's temporary keys do), so shared clients are rebuilt under load.
"""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import PROJECT, ROTATED, load_function
from fgrevoke.testkit import LocalContext, audit_records

pytestmark = pytest.mark.slow
INVOCATIONS = 500
THREADS = 8


def test_500_invocations_8_threads_5_percent_faults(emulator, capsys):
    from conftest import AK, SK, TOKEN

    emulator.add_credentials(*ROTATED)
    emulator.inject("*", status=503, times=None, probability=0.05)
    users = [f"u-{i:03d}" for i in range(200)]
    policies = [emulator.workspace.seed(PROJECT, policy_id=f"p-{i:03d}") for i in range(150)]
    accounts = [f"acct{i:03d}" for i in range(150)]
    for user_id in users:
        emulator.modelarts.seed(PROJECT, user_id)
    for group in ("g-1", "g-2", "g-3"):
        emulator.workspaceapp.seed_group(PROJECT, group, group)
        for account in accounts + ["stays"]:
            emulator.workspaceapp.grant(PROJECT, group, account)
    jobs = ([("modelarts_delete_authorizations", {"user_id": u}) for u in users] +
            [("workspace_batch_delete_access_policies", {"policy_id_list": [p]}) for p in policies] +
            [("workspaceapp_batch_delete_app_group_authorization", {"accounts": [a]}) for a in accounts])
    assert len(jobs) == INVOCATIONS
    keys = itertools.cycle([(AK, SK, TOKEN), ROTATED])
    lock = threading.Lock()

    def invoke(index_job):
        index, (name, request) = index_job
        with lock:
            ak, sk, token = next(keys)
        context = LocalContext({"REGION": "cn-north-4", "PROJECT_ID": PROJECT, "DRY_RUN": "false",
                                "MAX_ATTEMPTS": "6", "RETRY_BASE_DELAY": "0.01", "APP_GROUP_IDS": "g-1,g-2,g-3"},
                               request_id=f"load-{index:03d}", security_access_key=ak, security_secret_key=sk,
                               security_token=token)
        return index, load_function(name).handler(request, context)

    def retryable(result):
        """What FunctionGraph would run again: a listing that moved under the other revocations (read while 150
        policies are deleted side by side) is "cannot tell", never evidence of absence."""
        return result.get("retryable") is True or any(item.get("retryable") for item in result.get("items", []))

    with ThreadPoolExecutor(THREADS) as pool:
        results = dict(pool.map(invoke, enumerate(jobs)))
        for _round in range(5):
            again = [(index, jobs[index]) for index, result in results.items() if retryable(result)]
            results.update(pool.map(invoke, again))

    assert len(results) == INVOCATIONS
    assert all(result["status"] == "succeeded" for result in results.values()), \
        [r for r in results.values() if r["status"] != "succeeded"][:3]
    assert sum(fault.hits for fault in emulator.faults) > 0, "faults were injected"
    assert emulator.modelarts.user_ids(PROJECT) == []
    assert emulator.workspace.policy_ids(PROJECT) == []
    assert emulator.workspaceapp.pairs(PROJECT) == {(g, "stays") for g in ("g-1", "g-2", "g-3")}
    # Thread safety of the per-invocation log context: each audit record belongs to its own request.
    audit = audit_records(capsys.readouterr().out)
    for line in audit:
        index = int(line["request_id"].split("-")[1])
        _name, request = jobs[index]
        target = line.get("user_id") or line.get("policy_id") or line.get("account")
        assert target in (request.get("user_id"), *request.get("policy_id_list", []), *request.get("accounts", []))
