"""`fgrevoke deploy` against the emulator's FunctionGraph API: plan, apply, idempotence, changes."""

from __future__ import annotations

import json
import zipfile

import pytest

from conftest import AK, PROJECT, SK, TOKEN
from fgrevoke import cli, template

SPECS = template.functions(template.load())
WRITES = ("functiongraph.create_function", "functiongraph.update_function_code", "functiongraph.update_function_config",
          "functiongraph.create_function_trigger", "functiongraph.delete_function_trigger",
          "functiongraph.update_function_async_invoke_config")


@pytest.fixture
def dist(tmp_path):
    for spec in SPECS:
        with zipfile.ZipFile(tmp_path / f"{spec.folder}.zip", "w") as archive:
            archive.writestr("index.py", f"# {spec.folder}\ndef handler(event, context):\n    return {{}}\n")
    return tmp_path


@pytest.fixture
def account(emulator, monkeypatch):
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION_FUNCTIONGRAPH_CN_NORTH_4", emulator.endpoint)
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", TOKEN)
    return emulator


def deploy(capsys, dist, *extra):
    code = cli.main(["deploy", "--dist", str(dist), "--project-id", PROJECT, "--json", *extra])
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err


def writes(emulator):
    return [call["route"] for call in emulator.calls() if call["route"] in WRITES]


def test_plan_changes_nothing(account, dist, capsys):
    code, report, _ = deploy(capsys, dist, "--plan")
    assert code == 0 and report["plan"] is True
    kinds = [change["action"] for change in report["changes"]]
    assert kinds.count("create_function") == 3 and kinds.count("create_trigger") == 7
    assert kinds.count("update_async_config") == 3
    assert writes(account) == [] and account.functiongraph.functions.get(PROJECT, {}) == {}


def test_apply_then_nothing_to_do(account, dist, capsys):
    code, report, err = deploy(capsys, dist)
    assert code == 0 and "uploading" in err
    functions = account.functiongraph.functions[PROJECT]
    assert sorted(functions) == sorted(spec.name for spec in SPECS)
    modelarts = functions["fgrevoke-modelarts-delete-authorizations"]
    assert (modelarts["runtime"], modelarts["handler"], modelarts["memory_size"], modelarts["timeout"]) == \
        ("Python3.12", "index.handler", 256, 120)
    assert json.loads(modelarts["user_data"])["DRY_RUN"] == "true" and modelarts["xrole"] == "fgrevoke-agency"
    urn = modelarts["func_urn"]
    types = sorted(t["trigger_type_code"] for t in account.functiongraph.triggers[urn])
    assert types == ["CTS", "DEDICATEDGATEWAY"]
    cts = [t for t in account.functiongraph.triggers[urn] if t["trigger_type_code"] == "CTS"][0]
    assert cts["event_data"]["operations"] == ["IAM:user:deleteUser", "IAM:user:deleteUserV5"]
    assert account.functiongraph.async_configs[urn]["max_async_retry_attempts"] == 3
    assert account.functiongraph.async_configs[urn]["destination_config"]["on_failure"]["destination"] == "SMN"
    assert account.functiongraph.code[urn] == (dist / "modelarts_delete_authorizations.zip").read_bytes()
    account.journal.clear()
    code, report, _ = deploy(capsys, dist)
    assert code == 0 and report["changes"] == [] and writes(account) == []


def test_only_what_changed_is_changed(account, dist, capsys):
    deploy(capsys, dist)
    account.journal.clear()
    with zipfile.ZipFile(dist / "workspace_batch_delete_access_policies.zip", "a") as archive:
        archive.writestr("shared/new.py", "")
    code, report, _ = deploy(capsys, dist, "--param", "DryRun=false", "--param", "PolicyCleanupSchedule=0 30 3 * * ?")
    changes = {(c["function"], c["action"]) for c in report["changes"]}
    assert changes == {(spec.name, "update_config") for spec in SPECS} | {
        ("fgrevoke-workspace-delete-access-policies", "update_code"),
        ("fgrevoke-workspace-delete-access-policies", "delete_trigger"),
        ("fgrevoke-workspace-delete-access-policies", "create_trigger")}
    assert all(json.loads(f["user_data"])["DRY_RUN"] == "false"
               for f in account.functiongraph.functions[PROJECT].values())
    assert deploy(capsys, dist, "--param", "DryRun=false", "--param", "PolicyCleanupSchedule=0 30 3 * * ?")[1][
        "changes"] == []


def test_triggers_removed_from_the_template_are_deleted(account, dist, capsys, tmp_path):
    deploy(capsys, dist)
    trimmed = tmp_path / "template.yml"
    text = template.TEMPLATE.read_text()
    start = text.index("        - TriggerTypeCode: EVENTGRID")
    end = text.index("        - TriggerTypeCode: DEDICATEDGATEWAY", start)
    trimmed.write_text(text[:start] + text[end:])
    code, report, _ = deploy(capsys, dist, "--template", str(trimmed))
    assert [(c["action"], c["detail"]) for c in report["changes"]] == \
        [("delete_trigger", "EVENTGRID fgrevoke-person-left (not in the template)")]


def test_an_invalid_template_deploys_nothing(account, dist, capsys, tmp_path):
    broken = tmp_path / "template.yml"
    broken.write_text(template.TEMPLATE.read_text().replace("MemorySize: 256", "MemorySize: 100", 1))
    assert cli.main(["deploy", "--dist", str(dist), "--project-id", PROJECT, "--template", str(broken)]) == 1
    assert "MemorySize" in capsys.readouterr().err and writes(account) == []
