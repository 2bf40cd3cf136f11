"""`fgrevoke validate` catches what the real service or the runtime would reject, run as a user runs it:
each mistake is one line naming the resource and the field, and the exit code is 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest
import yaml

from conftest import ROOT

pytestmark = pytest.mark.slow  # each test runs fgrevoke validate as a subprocess

MODELARTS, WORKSPACE, WORKSPACEAPP = ("ModelartsDeleteAuthorizations", "WorkspaceBatchDeleteAccessPolicies",
                                      "WorkspaceappBatchDeleteAppGroupAuthorization")


def validate(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fgrevoke", "validate", *argv], cwd=ROOT, capture_output=True,
                          text=True, check=False)


def edited(tmp_path: Path, change: Callable[[Dict[str, Any]], None]) -> str:
    document = yaml.safe_load((ROOT / "template.yml").read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "template.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return str(path)


def props(document: Dict[str, Any], resource: str) -> Dict[str, Any]:
    return document["Resources"][resource]["Properties"]


def variables(document: Dict[str, Any], resource: str) -> Dict[str, Any]:
    return props(document, resource)["Environment"]["Variables"]


def errors_of(done: subprocess.CompletedProcess) -> List[str]:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done.stdout.splitlines()


def test_the_template_is_valid():
    done = validate()
    assert done.returncode == 0 and done.stdout.strip().endswith("template.yml: valid"), done.stderr


def test_a_region_the_sdk_does_not_know_is_named_per_function():
    # cn-north-1 is in ModelArts' region table, not in Workspace's or Workspace App's
    lines = errors_of(validate("--param", "Region=cn-north-1"))
    assert {line.split(".")[1] for line in lines} == {WORKSPACE, WORKSPACEAPP}, lines
    assert all(".Environment.Variables.REGION: " in line and "'cn-north-1'" in line for line in lines)
    assert "HUAWEICLOUD_SDK_REGION_WORKSPACE_CN_NORTH_1" in lines[0]


def test_an_endpoint_override_makes_an_unknown_region_usable(tmp_path):
    def override(document):
        variables(document, WORKSPACE)["HUAWEICLOUD_SDK_REGION_WORKSPACE_CN_NORTH_1"] = "https://workspace.example"
        variables(document, WORKSPACEAPP)["HUAWEICLOUD_SDK_REGION_WORKSPACEAPP_CN_NORTH_1"] = "https://app.example"

    assert validate("--template", edited(tmp_path, override), "--param", "Region=cn-north-1").returncode == 0


@pytest.mark.parametrize("request_text, says", [
    ('{"select": {"older_than_days": -1}}', "select.older_than_days must be a number of days >= 0"),
    ('{"select": {}}', "select needs at least one filter"),
    ('{"policy_ids": ["p-1"]}', "unknown field(s) policy_ids"),
    ("nightly cleanup", "is not JSON"),
    ("", "carries no request"),
])
def test_the_cleanup_timers_request_goes_through_the_functions_own_parser(request_text, says):
    lines = errors_of(validate("--param", f"PolicyCleanupRequest={request_text}"))
    field = f"Resources.{WORKSPACE}.Properties.Triggers[0].EventData.user_event: "
    assert len(lines) == 1 and lines[0].startswith(field) and says in lines[0], lines


def test_a_timer_request_for_another_project_is_named(tmp_path):
    def other_project(document):
        variables(document, WORKSPACE)["PROJECT_ID"] = "p-configured"
        props(document, WORKSPACE)["Triggers"][0]["EventData"]["user_event"] = json.dumps(
            {"policy_id_list": ["p-1"], "project_id": "p-other"})

    lines = errors_of(validate("--template", edited(tmp_path, other_project)))
    assert lines == [f"Resources.{WORKSPACE}.Properties.Triggers[0].EventData.user_event: the request names project "
                     "'p-other', but PROJECT_ID is 'p-configured': the function refuses requests for another project"]


@pytest.mark.parametrize("runtime, says", [
    ("Python3.6", "Python3.6 is a FunctionGraph runtime this project does not support"),
    ("Python2.7", "Python2.7 is a FunctionGraph runtime this project does not support"),
    ("Python3.11", "'Python3.11' is not a FunctionGraph Python runtime this project supports"),
])
def test_an_unsupported_runtime_is_named(tmp_path, runtime, says):
    lines = errors_of(validate("--template", edited(tmp_path, lambda d: props(d, MODELARTS).update(Runtime=runtime))))
    assert lines == [f"Resources.{MODELARTS}.Properties.Runtime: {lines[0].split(': ', 1)[1]}"]
    assert says in lines[0] and "Python3.9, Python3.10, Python3.12" in lines[0]


@pytest.mark.parametrize("resource, name, value, says", [
    (WORKSPACEAPP, "MAX_CONCURRENCY", "100", "must be a whole number from 1 to 32, not '100'"),
    (MODELARTS, "DRY_RUN", "maybe", "must be true or false, not 'maybe'"),
    (MODELARTS, "ALLOW_ALL_USERS", "sometimes", "must be true or false, not 'sometimes'"),
    (WORKSPACE, "POLICY_BATCH_SIZE", "101", "must be a whole number from 1 to 100, not '101'"),
    (WORKSPACE, "ALLOW_ENABLED_POLICY_DELETION", "yes please", "must be true or false, not 'yes please'"),
    (MODELARTS, "LOG_LEVEL", "LOUD", "must be one of DEBUG, INFO, WARNING, ERROR, not 'LOUD'"),
    (MODELARTS, "HTTP_READ_TIMEOUT", "0", "must be a number of seconds from 0.1 to 300, not '0'"),
    (MODELARTS, "PROJECT_ID", "has/slash", "is not a project id: 'has/slash'"),
    (MODELARTS, "REGION", "north", "is not a region id like cn-north-4: 'north'"),
    (WORKSPACEAPP, "WORKSPACE_ACCOUNT_MAPPING", "email",
     'is not "same", "off", "suffix:<text>" or "domain:<domain>": \'email\''),
])
def test_a_setting_out_of_range_is_named(tmp_path, resource, name, value, says):
    lines = errors_of(validate("--template", edited(tmp_path, lambda d: variables(d, resource).update({name: value}))))
    assert lines == [f"Resources.{resource}.Properties.Environment.Variables.{name}: setting {name} {says}"]


def test_an_encrypted_setting_out_of_range_is_named_without_its_value(tmp_path):
    def encrypt(document):
        variables(document, MODELARTS).pop("PROTECTED_USER_IDS")
        props(document, MODELARTS)["Environment"]["EncryptedVariables"] = {"MAX_ATTEMPTS": "s3cr3t-looking-99"}

    lines = errors_of(validate("--template", edited(tmp_path, encrypt)))
    assert [line for line in lines if "EncryptedVariables.MAX_ATTEMPTS" in line] == [
        f"Resources.{MODELARTS}.Properties.Environment.EncryptedVariables.MAX_ATTEMPTS: setting MAX_ATTEMPTS is not "
        "1 to 10 (value not shown: it is encrypted)"]
    assert "s3cr3t" not in "\n".join(lines)


def test_settings_are_the_declared_ones(tmp_path):
    def change(document):
        variables(document, MODELARTS)["PROTECTED_USERS"] = "u-1"  # a typo of PROTECTED_USER_IDS
        variables(document, WORKSPACEAPP).pop("WORKSPACE_ACCOUNT_MAPPING")

    lines = errors_of(validate("--template", edited(tmp_path, change)))
    assert len(lines) == 2
    assert lines[0].startswith(f"Resources.{MODELARTS}.Properties.Environment.Variables.PROTECTED_USERS: not a "
                               "setting of this function") and "PROTECTED_USER_IDS" in lines[0]
    assert lines[1] == (f"Resources.{WORKSPACEAPP}.Properties.Environment.Variables.WORKSPACE_ACCOUNT_MAPPING: "
                        "declared in functions/workspaceapp_batch_delete_app_group_authorization/manifest.py but not "
                        "set (default: same)")


def test_the_agency_policy_allows_exactly_the_declared_actions(tmp_path):
    def change(document):
        props(document, WORKSPACE)["AgencyPolicy"]["Statement"][0]["Action"].remove("elb:ipgroups:delete")
        props(document, MODELARTS)["AgencyPolicy"]["Statement"][0]["Action"].append("modelarts:*:*")
        props(document, WORKSPACEAPP).pop("AgencyPolicy")

    lines = errors_of(validate("--template", edited(tmp_path, change)))
    assert lines == [
        f"Resources.{MODELARTS}.Properties.AgencyPolicy.Statement: allows modelarts:*:*, which "
        "functions/modelarts_delete_authorizations/manifest.py does not declare: the agency must allow only what "
        "the function needs",
        f"Resources.{WORKSPACE}.Properties.AgencyPolicy.Statement: does not allow elb:ipgroups:delete, which "
        "functions/workspace_batch_delete_access_policies/manifest.py declares: those calls would be refused (403)",
        f"Resources.{WORKSPACEAPP}.Properties.AgencyPolicy: missing; it must allow exactly "
        "workspace:appGroup:batchDeleteAuthorization, workspace:appGroup:list, workspace:appGroup:listAuthorization, "
        "workspace:userGroups:list, workspace:users:list "
        "(functions/workspaceapp_batch_delete_app_group_authorization/manifest.py)"]


def test_a_cts_trigger_on_a_function_that_ignores_user_deletions_is_named(tmp_path):
    cts = {"TriggerTypeCode": "CTS", "Status": "ACTIVE",
           "EventData": {"name": "deleted_users", "operations": ["IAM:user:deleteUser"]}}
    lines = errors_of(validate("--template", edited(tmp_path, lambda d: props(d, WORKSPACE)["Triggers"].append(cts))))
    assert lines == [f"Resources.{WORKSPACE}.Properties.Triggers[2].TriggerTypeCode: "
                     "workspace.batch_delete_access_policies does not act on IAM user deletions, so it would ignore "
                     "every event of this CTS trigger"]


def test_json_output_lists_every_error():
    done = validate("--json", "--param", "Region=cn-north-1", "--param", 'PolicyCleanupRequest={"select": {}}')
    report = json.loads(done.stdout)
    assert done.returncode == 1 and report["valid"] is False and len(report["errors"]) == 3


def test_a_protected_list_entry_the_function_would_refuse_is_named():
    lines = errors_of(validate("--param", "ProtectedUserIds=u-1,u 2"))
    assert lines == [
        f"Resources.{MODELARTS}.Properties.Environment.Variables.PROTECTED_USER_IDS: setting PROTECTED_USER_IDS[1] is "
        "not a valid id: use letters, digits, '-', '_' and '.' (at most 128, no spaces or control characters)"]


@pytest.mark.parametrize("targets, says", [
    ("cn-north-4", "TARGETS: setting TARGETS[0] is not one of region/project_id"),
    ("cn-north-4/p1,xx-nowhere-9/*", "TARGETS: no SDK region table knows 'xx-nowhere-9'"),
])
def test_the_targets_parameter_is_checked(targets, says):
    lines = errors_of(validate("--param", f"Targets={targets}"))
    assert len(lines) == 3 and all(says in line for line in lines), lines


def test_member_accounts_need_assume_agency_in_the_agency_policy():
    lines = errors_of(validate("--param", "Targets=0123abcd:OrgAccess@cn-north-4/*"))
    assert len(lines) == 3 and all("does not allow sts:agencies:assume" in line for line in lines), lines
