"""`fgrevoke emulator` as a user runs it: --seed, the request log on stderr, --fault, a port in use."""

from __future__ import annotations

import json
import socket

import pytest

from conftest import AK, SK
from fgrevoke.emulator.seed import EXAMPLE_FILE, EXAMPLE_PROJECT
from fgrevoke.testkit import Background, run_command

pytestmark = pytest.mark.slow  # each test runs the command as a subprocess: make test-fast skips them

SEED = {"project_id": EXAMPLE_PROJECT,
        "modelarts": {"authorizations": ["u-alice", {"user_id": "u-bob", "user_name": "bob"}]},
        "workspace": {"policies": [{"policy_id": "policy-9", "access_control_type": "IP_WHITE_LIST",
                                    "is_enable": False, "age_days": 120}]},
        "workspaceapp": {"groups": [{"id": "7001", "name": "apps-1"}],
                         "authorizations": [{"app_group_id": "7001", "account": "alice"}]}}


def invoke(tmp_path, endpoint, folder, request):
    event, settings = tmp_path / "event.json", tmp_path / ".env"
    event.write_text(json.dumps(request))
    service = {"modelarts": "MODELARTS", "workspace": "WORKSPACE", "workspaceapp": "WORKSPACEAPP"}[folder.split("_")[0]]
    settings.write_text(f"DRY_RUN=false\nPROJECT_ID={EXAMPLE_PROJECT}\nHUAWEICLOUD_SDK_AK={AK}\nHUAWEICLOUD_SDK_SK={SK}\n"
                        f"HUAWEICLOUD_SDK_REGION_{service}_CN_NORTH_4={endpoint}\nRETRY_BASE_DELAY=0.01\n")
    result = run_command("invoke", folder, "--event", str(event), "--env-file", str(settings), "--yes")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_seed_request_log_and_faults(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(SEED))
    with Background("emulator", "--port", "0", "--access-key", AK, "--secret-key", SK, "--seed", str(seed),
                    "--fault", "modelarts.delete_authorizations:503:1", "--json") as emulator:
        started = json.loads(emulator.wait_for(r"^\{.*", stream="stdout").group(0))
        endpoint = started["endpoint"]
        assert started["faults"] == [{"route": "modelarts.delete_authorizations", "status": 503, "count": 1}]
        result = invoke(tmp_path, endpoint, "modelarts_delete_authorizations", {"user_ids": ["u-alice", "u-bob"]})
        assert [item["outcome"] for item in result["items"]] == ["deleted", "deleted"]  # both seeded
        emulator.wait_for(r"DELETE /v2/\w+/authorizations\?user_id=u-\w+ -> 503 EMU.503")  # the fault, once
        result = invoke(tmp_path, endpoint, "workspace_batch_delete_access_policies",
                        {"select": {"older_than_days": 90, "only_disabled": True}})
        assert [item["policy_id"] for item in result["items"]] == ["policy-9"]
        result = invoke(tmp_path, endpoint, "workspaceapp_batch_delete_app_group_authorization",
                        {"accounts": ["alice"]})
        assert result["summary"] == {"deleted": 1}
        emulator.wait_for(r"POST /v1/\w+/app-groups/actions/batch-delete-authorization -> 200")
    requests = [line for line in emulator.stderr if " -> " in line]
    assert len([line for line in requests if "-> 503" in line]) == 1
    assert all(line.count("\n") == 1 for line in requests), "one line per request"


def test_the_documented_seed_example_runs(tmp_path):
    """docs/examples/seed.json, as docs/local-development.md runs it: every field it sets is what the functions
    then find."""
    with Background("emulator", "--port", "0", "--access-key", AK, "--secret-key", SK, "--seed", EXAMPLE_FILE,
                    "--json") as emulator:
        endpoint = json.loads(emulator.wait_for(r"^\{.*", stream="stdout").group(0))["endpoint"]
        result = invoke(tmp_path, endpoint, "modelarts_delete_authorizations", {"user_ids": ["u-alice", "u-bob"]})
        assert [item["outcome"] for item in result["items"]] == ["deleted", "deleted"]
        result = invoke(tmp_path, endpoint, "workspace_batch_delete_access_policies",
                        {"select": {"older_than_days": 90, "only_disabled": True}})
        assert [item["policy_id"] for item in result["items"]] == ["policy-old-whitelist"]
        result = invoke(tmp_path, endpoint, "workspaceapp_batch_delete_app_group_authorization",
                        {"accounts": ["alice"], "app_group_ids": ["7001", "7002"]})
        assert result["summary"] == {"deleted": 2}


def test_a_seed_it_cannot_use_is_named(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({**SEED, "workspace": {"policies": [{"policy_id": "p", "age_days": "old"}]}}))
    result = run_command("emulator", "--port", "0", "--access-key", "a", "--secret-key", "b", "--seed", str(seed))
    assert result.returncode == 2 and "workspace.policies[0].age_days" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_port_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_command("emulator", "--port", str(port), "--access-key", "a", "--secret-key", "b")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"fgrevoke: cannot listen on 127.0.0.1:{port}: Address already in use; "
        "pick another --port (0 picks a free one)"]


def test_a_seed_of_several_regions_opens_an_endpoint_per_region(tmp_path):
    other = "3d4e5f60718293a4b5c6d7e8f9a0b1c2"
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps([{**SEED, "region": "cn-north-4"},
                                {"project_id": other, "region": "ap-southeast-1",
                                 "modelarts": {"authorizations": ["u-alice"]}}]))
    with Background("emulator", "--port", "0", "--access-key", AK, "--secret-key", SK, "--seed", str(seed),
                    "--json") as emulator:
        started = json.loads(emulator.wait_for(r"^\{.*", stream="stdout").group(0))
        assert sorted(started["regions"]) == ["ap-southeast-1", "cn-north-4"]
        assert len({started["endpoint"], *started["regions"].values()}) == 3
        event, settings = tmp_path / "event.json", tmp_path / ".env"
        event.write_text(json.dumps({"user_id": "u-alice"}))
        settings.write_text(
            f"DRY_RUN=false\nREGION=cn-north-4\nPROJECT_ID={EXAMPLE_PROJECT}\nHUAWEICLOUD_SDK_AK={AK}\n"
            f"HUAWEICLOUD_SDK_SK={SK}\nTARGETS=cn-north-4/{EXAMPLE_PROJECT},ap-southeast-1/{other}\n"
            + "".join(f"HUAWEICLOUD_SDK_REGION_MODELARTS_{region.upper().replace('-', '_')}={url}\n"
                      for region, url in started["regions"].items()))
        result = run_command("invoke", "modelarts_delete_authorizations", "--event", str(event), "--env-file",
                             str(settings), "--yes")
        assert result.returncode == 0, result.stderr
        assert {(row["region"], row["status"]) for row in json.loads(result.stdout)["targets"]} == {
            ("cn-north-4", "done"), ("ap-southeast-1", "done")}
        emulator.wait_for(rf"DELETE /v2/{other}/authorizations\?user_id=u-alice -> 200 "
                          r"\[modelarts.delete_authorizations in ap-southeast-1\]")
