"""`fgrevoke deploy` and `destroy` run as a user runs them (a subprocess, its output and exit code) against
the emulator's FunctionGraph API: plan, apply, idempotence (also for the triggers whose event_data the service
does not fully return), widening changes, stale packages, the project config file, destroy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from conftest import AK, PROJECT, SK, TOKEN
from fgrevoke import deploy, template
from fgrevoke.testkit import sources_only_package

pytestmark = pytest.mark.slow  # each test runs the command as a subprocess: make test-fast skips them

SPECS = template.functions(template.load())
WRITES = ("functiongraph.create_function", "functiongraph.update_function_code", "functiongraph.update_function_config",
          "functiongraph.create_function_trigger", "functiongraph.delete_function_trigger",
          "functiongraph.update_function_async_invoke_config", "functiongraph.delete_function")
ALL_TRIGGERS = ["--param", "EnableApigTriggers=true", "--param", "ApigInstanceId=apig-instance-1",
                "--param", "ApigGroupId=apig-group-1", "--param", "ApigSubdomain=group1.apic.cn-north-4.example.com",
                "--param", "EnableEventGridTrigger=true", "--param", "EventGridChannelId=channel-1",
                "--param", "EventGridChannelName=hr-offboarding"]
MODELARTS = "fgrevoke-modelarts-delete-authorizations"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    folder = tmp_path / "dist"
    folder.mkdir()
    for spec in SPECS:
        sources_only_package(spec, folder)
    return folder


@pytest.fixture
def account(emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    for region in ("CN_NORTH_4", "AP_SOUTHEAST_1"):
        monkeypatch.setenv(f"HUAWEICLOUD_SDK_REGION_FUNCTIONGRAPH_{region}", emulator.endpoint)
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", TOKEN)
    monkeypatch.delenv("HUAWEICLOUD_SDK_PROJECT_ID", raising=False)
    monkeypatch.chdir(tmp_path)  # no fgrevoke.toml unless a test writes one
    return emulator


class Run:
    def __init__(self, done: "subprocess.CompletedProcess[str]") -> None:
        self.code, self.out, self.err = done.returncode, done.stdout, done.stderr

    @property
    def json(self) -> Dict[str, Any]:
        return json.loads(self.out)

    def actions(self) -> List[tuple]:
        return [(change["function"], change["action"]) for change in self.json["changes"]]


def fgrevoke(*args: str, cwd: Optional[Path] = None) -> Run:
    return Run(subprocess.run([sys.executable, "-m", "fgrevoke", *args], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, cwd=cwd or os.getcwd(), env=dict(os.environ), timeout=300))


def run_deploy(dist: Path, *extra: str, project: bool = True) -> Run:
    return fgrevoke("deploy", "--dist", str(dist), *(["--project-id", PROJECT] if project else []), *extra)


def writes(emulator: Any) -> List[str]:
    return [call["route"] for call in emulator.calls() if call["route"] in WRITES]


def test_plan_changes_nothing(account, dist):
    run = run_deploy(dist, "--plan", "--json")
    assert run.code == 0 and run.json["plan"] is True, run.err
    kinds = [action for _function, action in run.actions()]
    # The API Gateway and EventGrid triggers are off until their ids are given: CTS x2, the cleanup TIMER and the
    # two daily sweep TIMERs.
    assert kinds.count("create_function") == 3 and kinds.count("create_trigger") == 5
    assert kinds.count("update_async_config") == 3
    assert writes(account) == [] and account.functiongraph.functions.get(PROJECT, {}) == {}


TOPIC = "urn:smn:cn-north-4:0a1b2c3d4e5f60718293a4b5c6d7e8f9:fgrevoke-failures"
DESTINATIONS = ("--param", f"FailureTopicUrn={TOPIC}", "--param", "ReportBucket=fgrevoke-reports")


def test_apply_then_a_second_plan_has_no_changes(account, dist):
    run = run_deploy(dist, *DESTINATIONS)
    assert run.code == 0 and "uploading" in run.err and "applied" in run.out, run.err
    functions = account.functiongraph.functions[PROJECT]
    assert sorted(functions) == sorted(spec.name for spec in SPECS)
    modelarts = functions[MODELARTS]
    assert (modelarts["runtime"], modelarts["handler"], modelarts["memory_size"], modelarts["timeout"]) == \
        ("Python3.12", "index.handler", 256, 120)
    assert json.loads(modelarts["user_data"])["DRY_RUN"] == "true" and modelarts["xrole"] == "fgrevoke-agency"
    urn = modelarts["func_urn"]
    cts, sweep = account.functiongraph.triggers[urn]  # the IAM user deletions, the daily sweep (last)
    assert sweep["trigger_type_code"] == "TIMER"
    assert cts["event_data"] == {"name": "fgrevoke_iam_user_deleted_modelarts",
                                 "operations": ["IAM:user:deleteUser;deleteUserV5"]}
    destinations = account.functiongraph.async_configs[urn]["destination_config"]
    assert destinations["on_failure"] == {"destination": "SMN", "param": json.dumps({"topic_urn": TOPIC})}
    assert destinations["on_success"] == {"destination": "OBS", "param": json.dumps(
        {"bucket": "fgrevoke-reports", "prefix": "fgrevoke-reports/modelarts/"})}  # every report is kept
    assert account.functiongraph.code[urn] == (dist / "modelarts_delete_authorizations.zip").read_bytes()
    account.journal.clear()
    again = run_deploy(dist, "--plan", *DESTINATIONS)
    assert again.code == 0 and again.out.strip() == "no changes: the account matches the template"
    assert writes(account) == []


def test_triggers_the_service_returns_in_part_are_not_recreated(account, dist):
    """The emulator leaves out what ListFunctionTriggers does not return (APIG sl_domain, backend_type,
    instance_id; the EventGrid agency, and its composed name): a second deploy still changes nothing."""
    first = run_deploy(dist, *ALL_TRIGGERS)
    assert first.code == 0, first.err
    workspaceapp = account.functiongraph.functions[PROJECT]["fgrevoke-workspaceapp-remove-authorization"]
    listed = {t["trigger_type_code"]: t["event_data"] for t in
              account.functiongraph.listed_triggers(workspaceapp["func_urn"])}
    assert "sl_domain" not in listed["DEDICATEDGATEWAY"] and "agency" not in listed["EVENTGRID"]
    account.journal.clear()
    again = run_deploy(dist, *ALL_TRIGGERS, "--plan", "--json")
    assert again.code == 0 and again.json["changes"] == [] and writes(account) == []


def test_a_changed_trigger_shows_old_and_new_and_is_replaced(account, dist):
    run_deploy(dist)
    plan = run_deploy(dist, "--param", "PolicyCleanupSchedule=0 30 3 * * ?", "--plan")
    assert plan.code == 0
    assert 'EventData.schedule: "0 0 2 * * ?" -> "0 30 3 * * ?"' in plan.out
    applied = run_deploy(dist, "--param", "PolicyCleanupSchedule=0 30 3 * * ?", "--json")
    assert applied.code == 0 and sorted(applied.actions()) == [
        ("fgrevoke-workspace-delete-access-policies", "create_trigger"),
        ("fgrevoke-workspace-delete-access-policies", "delete_trigger")]
    assert run_deploy(dist, "--param", "PolicyCleanupSchedule=0 30 3 * * ?", "--json").json["changes"] == []


def test_dry_run_off_is_marked_and_needs_yes(account, dist):
    run_deploy(dist)
    account.journal.clear()
    plan = run_deploy(dist, "--param", "DryRun=false", "--plan")
    assert plan.code == 0
    assert f'{MODELARTS}: update_config (DRY_RUN)\n    DRY_RUN: "true" -> "false"   ! widens: dry run off' in plan.out
    assert "3 change(s) widen what the functions do" in plan.out
    refused = run_deploy(dist, "--param", "DryRun=false")
    assert refused.code == 1 and writes(account) == []
    assert "nothing deployed: 3 change(s) widen" in refused.err and f"{MODELARTS}: DRY_RUN" in refused.err
    assert "--yes" in refused.err and "Traceback" not in refused.err
    applied = run_deploy(dist, "--param", "DryRun=false", "--yes")
    assert applied.code == 0, applied.err
    assert all(json.loads(f["user_data"])["DRY_RUN"] == "false"
               for f in account.functiongraph.functions[PROJECT].values())
    back = run_deploy(dist, "--param", "DryRun=true")  # back to a dry run narrows: no --yes needed
    assert back.code == 0, back.err


def test_a_protected_list_that_loses_entries_needs_yes(account, dist):
    assert run_deploy(dist, "--param", "ProtectedUserIds=u1,u2").code == 0
    account.journal.clear()
    refused = run_deploy(dist, "--param", "ProtectedUserIds=u1", "--json")
    assert refused.code == 1 and writes(account) == []
    assert "PROTECTED_USER_IDS (no longer protected: u2)" in refused.err
    plan = run_deploy(dist, "--param", "ProtectedUserIds=u1", "--plan", "--json")
    [change] = [s for c in plan.json["changes"] for s in c["settings"]]
    assert change == {"name": "PROTECTED_USER_IDS", "old": '"u1,u2"', "new": '"u1"',
                      "widens": "no longer protected: u2"}
    assert run_deploy(dist, "--param", "ProtectedUserIds=u1,u2,u3").code == 0  # more protection: no --yes


@pytest.mark.parametrize("name, old, new, widening", [
    ("DRY_RUN", "true", "false", True), ("DRY_RUN", None, "false", True), ("DRY_RUN", "false", "true", False),
    ("DRY_RUN", "TRUE", "0", True), ("ALLOW_ALL_USERS", "false", "true", True), ("ALLOW_ALL_USERS", None, "yes", True),
    ("ALLOW_ALL_USERS", "true", "false", False), ("ALLOW_ENABLED_POLICY_DELETION", None, "true", True),
    ("ALLOW_ENABLED_POLICY_DELETION", "false", "false", False), ("PROTECTED_ACCOUNTS", "a,B", "b", True),
    ("PROTECTED_POLICY_IDS", "p1", None, True), ("PROTECTED_POLICY_IDS", "p1", "P1,p2", False),
    ("LOG_LEVEL", "INFO", "DEBUG", False),
])
def test_what_widens(name, old, new, widening):
    assert bool(deploy.widens(name, old, new)) is widening


def test_secret_values_are_masked_in_the_plan():
    change = deploy.SettingChange("API_TOKEN", "old-secret", "new-secret")
    assert "secret" not in str(change) and str(change).strip() == "API_TOKEN: **** -> ****"
    assert change.as_json() == {"name": "API_TOKEN", "old": "****", "new": "****", "widens": None}


def test_a_package_older_than_its_sources_is_refused_by_name(account, dist):
    stale = dist / "workspace_batch_delete_access_policies.zip"
    with zipfile.ZipFile(stale) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["shared/settings.py"] = b"# an older version\n"
    with zipfile.ZipFile(stale, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    refused = run_deploy(dist, "--no-build")
    assert refused.code == 1 and writes(account) == []
    assert f"{stale} does not hold the current sources (shared/settings.py)" in refused.err
    (dist / "modelarts_delete_authorizations.zip").unlink()
    missing = run_deploy(dist, "--no-build", "--plan")
    assert missing.code == 1 and "modelarts_delete_authorizations.zip (missing)" in missing.err


def test_triggers_removed_from_the_template_are_deleted(account, dist, tmp_path):
    run_deploy(dist, *ALL_TRIGGERS)
    trimmed = tmp_path / "template.yml"
    text = template.TEMPLATE.read_text()
    start = text.index("        - TriggerTypeCode: EVENTGRID")
    end = text.index("        - TriggerTypeCode: DEDICATEDGATEWAY", start)
    trimmed.write_text(text[:start] + text[end:])
    run = run_deploy(dist, "--template", str(trimmed), *ALL_TRIGGERS[:-6], "--json")
    assert run.code == 0, run.err
    assert [(c["action"], c["detail"]) for c in run.json["changes"]] == \
        [("delete_trigger", "EVENTGRID default-fgrevoke-workspaceapp-remove-authorization-fgrevoke_person_left "
                            "(not in the template)")]


def test_an_invalid_template_deploys_nothing(account, dist, tmp_path):
    broken = tmp_path / "template.yml"
    broken.write_text(template.TEMPLATE.read_text().replace("MemorySize: 256", "MemorySize: 100", 1))
    run = run_deploy(dist, "--template", str(broken))
    assert run.code == 1 and "MemorySize" in run.err and "nothing done" in run.err and writes(account) == []
    enabled_without_ids = run_deploy(dist, "--param", "EnableApigTriggers=true")
    assert enabled_without_ids.code == 1 and writes(account) == []
    assert "Triggers[1].EventData.instance_id: required by CreateFunctionTrigger" in enabled_without_ids.err


def test_mistakes_are_one_line_with_an_exit_code(account, dist, monkeypatch):
    no_project = run_deploy(dist, "--plan", project=False)
    assert no_project.code == 2 and "no project: give --project-id" in no_project.err
    bad_region = run_deploy(dist, "--plan", "--param", "Region=xx-north-9")
    assert bad_region.code == 1 and "knows no region 'xx-north-9'" in bad_region.err
    assert "nothing done" in bad_region.err
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION_FUNCTIONGRAPH_CN_NORTH_4", "http://127.0.0.1:9")  # nothing listens
    no_network = run_deploy(dist, "--plan")
    assert no_network.code == 1 and "fgrevoke: FunctionGraph could not be reached (list_functions)" in no_network.err
    monkeypatch.delenv("HUAWEICLOUD_SDK_AK")
    no_keys = run_deploy(dist, "--plan")
    assert no_keys.code == 2 and "set HUAWEICLOUD_SDK_AK" in no_keys.err and "Traceback" not in no_keys.err


def test_the_project_config_file_gives_project_region_and_parameters(account, dist, tmp_path):
    (tmp_path / "fgrevoke.toml").write_text(f'''
[default]
project_id = "{PROJECT}"

[prod]
project_id = "{PROJECT}"
region = "ap-southeast-1"
[prod.parameters]
ProtectedUserIds = "u1,u2"
''')
    plain = run_deploy(dist, "--plan", "--json", project=False)
    assert plain.code == 0 and len(plain.json["changes"]) == 11, plain.err
    prod = run_deploy(dist, "--stage", "prod", project=False)
    assert prod.code == 0, prod.err
    assert f"project {PROJECT}, stage prod" in prod.err and "FunctionGraph ap-southeast-1" in prod.err
    variables = json.loads(account.functiongraph.functions[PROJECT][MODELARTS]["user_data"])
    assert variables["REGION"] == "ap-southeast-1" and variables["PROTECTED_USER_IDS"] == "u1,u2"
    flag_wins = run_deploy(dist, "--stage", "prod", "--param", "ProtectedUserIds=u1,u2,u3", "--plan", project=False)
    assert flag_wins.code == 0 and '"u1,u2" -> "u1,u2,u3"' in flag_wins.out
    unknown = run_deploy(dist, "--stage", "staging", project=False)
    assert unknown.code == 2 and "has no stage [staging] (stages: default, prod)" in unknown.err


def test_destroy_plans_then_needs_yes(account, dist):
    assert run_deploy(dist, *ALL_TRIGGERS).code == 0
    account.journal.clear()
    plan = fgrevoke("destroy", "--project-id", PROJECT, "--plan")
    assert plan.code == 0 and plan.out.count("delete_function") == 3 and plan.out.count("delete_trigger") == 9
    refused = fgrevoke("destroy", "--project-id", PROJECT)
    assert refused.code == 1 and "nothing removed" in refused.err and "--yes" in refused.err
    assert "delete_function" in refused.out and writes(account) == []
    removed = fgrevoke("destroy", "--project-id", PROJECT, "--yes")
    assert removed.code == 0, removed.err
    assert account.functiongraph.functions[PROJECT] == {} and account.functiongraph.triggers == {}
    again = fgrevoke("destroy", "--project-id", PROJECT, "--yes")
    assert again.code == 0 and "nothing to remove" in again.out


def test_destroy_leaves_functions_deploy_did_not_create(account, dist):
    run_deploy(dist)
    for function in account.functiongraph.functions[PROJECT].values():
        if function["func_name"] == MODELARTS:
            function["package"] = "default"  # same name, another app: not ours
    removed = fgrevoke("destroy", "--project-id", PROJECT, "--yes", "--json")
    assert removed.code == 0 and {c["function"] for c in removed.json["changes"]} == \
        {spec.name for spec in SPECS} - {MODELARTS}
    assert list(account.functiongraph.functions[PROJECT]) == [MODELARTS]


@pytest.mark.slow  # builds one package (pip for the target platform, .pyc)

def test_deploy_builds_a_package_that_is_not_built_from_the_current_sources(account, dist):
    (dist / "workspaceapp_batch_delete_app_group_authorization.zip").unlink()
    run = run_deploy(dist)
    assert run.code == 0, run.err
    assert "workspaceapp_batch_delete_app_group_authorization: workspaceapp_batch_delete_app_group_authorization.zip " \
           "is not built from the current sources; building it" in run.err
    [spec] = [spec for spec in SPECS if spec.folder.startswith("workspaceapp")]
    built = dist / f"{spec.folder}.zip"
    assert deploy.stale_files(spec, built) == []
    function = account.functiongraph.functions[PROJECT][spec.name]
    assert account.functiongraph.code[function["func_urn"]] == built.read_bytes()


def test_a_refused_change_stops_the_deploy_with_what_was_done(account, dist):
    account.inject("functiongraph.create_function_trigger", status=400,
                   body={"error_code": "FSS.1417", "error_msg": "Invalid APIG Exclusive trigger parameters."})
    run = run_deploy(dist)
    assert run.code == 1 and "Traceback" not in run.err
    assert "fgrevoke: FunctionGraph answered 400 FSS.1417 to create_function_trigger: Invalid APIG Exclusive trigger " \
           "parameters.; 1 of 11 change(s) were made before it, none after" in run.err
    assert run_deploy(dist, "--plan", "--json").code == 0  # the next deploy carries on from there


def on_a_terminal(answer: str, *args: str) -> Run:
    """The command with a terminal for stdin and stdout (as a person runs it), answering the prompt."""
    import pty
    import select

    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "fgrevoke", *args], stdin=terminal, stdout=terminal,
                               stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    os.close(terminal)
    seen = b""
    while b"[y/N]" not in seen and process.poll() is None:
        if select.select([controller], [], [], 1)[0]:
            seen += os.read(controller, 4096)
    os.write(controller, answer.encode() + b"\n")
    err = process.communicate(timeout=300)[1]
    try:
        while True:
            seen += os.read(controller, 4096)
    except OSError:  # the terminal closes with the process
        pass
    os.close(controller)
    return Run(subprocess.CompletedProcess(args, process.returncode, seen.decode(errors="replace"), err))


def test_on_a_terminal_a_widening_change_is_asked_about(account, dist):
    run_deploy(dist)
    account.journal.clear()
    declined = on_a_terminal("n", "deploy", "--dist", str(dist), "--project-id", PROJECT, "--param", "DryRun=false")
    assert declined.code == 1 and "3 change(s) widen what the functions do" in declined.out
    assert "Apply them? [y/N]" in declined.out and "nothing deployed: not confirmed" in declined.err
    assert writes(account) == []
    accepted = on_a_terminal("y", "deploy", "--dist", str(dist), "--project-id", PROJECT, "--param", "DryRun=false")
    assert accepted.code == 0 and "applied 3 change(s)" in accepted.out, accepted.err
    assert all(json.loads(f["user_data"])["DRY_RUN"] == "false"
               for f in account.functiongraph.functions[PROJECT].values())


def test_the_policy_opt_in_turned_on_needs_yes(account, dist):
    run_deploy(dist)
    refused = run_deploy(dist, "--param", "AllowEnabledPolicyDeletion=true")
    assert refused.code == 1
    assert "fgrevoke-workspace-delete-access-policies: ALLOW_ENABLED_POLICY_DELETION (turned on: access policies " \
           "in force may now be deleted)" in refused.err
    assert run_deploy(dist, "--param", "AllowEnabledPolicyDeletion=true", "--yes").code == 0
