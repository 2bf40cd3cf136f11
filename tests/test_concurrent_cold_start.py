"""Concurrent invocations on a cold instance (issue 18, class 2).

FunctionGraph can run several requests in one instance at once. Requests that arrive together on a fresh
instance race through every lazy load (the SDK's lazy packages, the region modules, deferred imports, the
log configuration, the manifest): none may see a half-initialised module. Each run is a fresh interpreter
that imports the handler, then fires its requests from threads released together, against the emulator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import AK, FAST, PROJECT, SK, TOKEN

pytestmark = pytest.mark.runtime
ROOT = Path(__file__).resolve().parents[1]
THREADS = 8
PROBE = """
import json, os, sys, threading
sys.setswitchinterval(1e-6)  # switch threads as often as possible: a race shows sooner
sys.path[:0] = [{root!r}, {root!r} + "/functions/{function}"]
import index
assert not [name for name in sys.modules if name.startswith("huaweicloudsdk") and ".v" in name], "not cold"
class Context:
    def getUserData(self, key, default=""):
        return {{"REGION": "cn-north-4", "PROJECT_ID": {project!r}, "DRY_RUN": "false",
                 "APP_GROUP_IDS": "g001"}}.get(key, default)
    def getRemainingTimeInMilliSeconds(self): return 30000
    def getSecurityAccessKey(self): return {ak!r}
    def getSecuritySecretKey(self): return {sk!r}
    def getSecurityToken(self): return {token!r}
    def getRequestID(self): return "req-" + threading.current_thread().name
requests = json.loads(os.environ["PROBE_REQUESTS"])
barrier = threading.Barrier(len(requests))
results = [None] * len(requests)
def invoke(index_, request):
    barrier.wait()
    try:
        results[index_] = index.handler(request, Context())
    except Exception as error:
        results[index_] = {{"raised": type(error).__name__ + ": " + str(error)}}
threads = [threading.Thread(target=invoke, args=(i, r), name=str(i)) for i, r in enumerate(requests)]
for thread in threads: thread.start()
for thread in threads: thread.join()
print("RESULTS " + json.dumps(results, default=str))
"""


def requests_for(emulator, function):
    if function == "modelarts_delete_authorizations":
        for index in range(THREADS):
            emulator.modelarts.seed(PROJECT, f"u{index}")
        return [{"user_id": f"u{index}"} for index in range(THREADS)]
    if function == "workspace_batch_delete_access_policies":
        return [{"policy_id_list": [emulator.workspace.seed(PROJECT)]} for _ in range(THREADS)]
    emulator.workspaceapp.seed_group(PROJECT, "g", "g001")
    for index in range(THREADS):
        emulator.workspaceapp.grant(PROJECT, "g001", f"leaver{index}")
    return [{"accounts": [f"leaver{index}"]} for index in range(THREADS)]


def held(emulator, function):
    if function == "modelarts_delete_authorizations":
        return emulator.modelarts.user_ids(PROJECT)
    if function == "workspace_batch_delete_access_policies":
        return emulator.workspace.policy_ids(PROJECT)
    return sorted(emulator.workspaceapp.pairs(PROJECT))


@pytest.mark.parametrize("run", range(1 if FAST else 3))
@pytest.mark.parametrize("function", ["modelarts_delete_authorizations", "workspace_batch_delete_access_policies",
                                      "workspaceapp_batch_delete_app_group_authorization"])
def test_requests_racing_through_a_cold_instance_all_revoke(emulator, tmp_path, function, run):
    requests = requests_for(emulator, function)
    probe = PROBE.format(root=str(ROOT), function=function, project=PROJECT, ak=AK, sk=SK, token=TOKEN)
    env = dict(os.environ, HOME=str(tmp_path), PROBE_REQUESTS=json.dumps(requests))
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.split("RESULTS ", 1)[1])
    problems = [result for result in results if "raised" in result or result.get("error_code")
                or result.get("status") != "succeeded"]
    assert not problems, problems[:2]
    assert held(emulator, function) == []
