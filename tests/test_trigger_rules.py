"""The trigger rules as the emulator's FunctionGraph API enforces them (real SDK, real HTTP: the status and
FSS code a caller sees) and as `fgrevoke validate` reports them (resource and field)."""

from __future__ import annotations

import copy
import subprocess
import sys
from typing import Any, Dict

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ServiceResponseException

from conftest import AK, PROJECT, SK, TOKEN
from fgrevoke import template, trigger_rules

# The FunctionGraph SDK is tooling (the dev extra): the runtime venvs, which test what ships, skip this module.
v2 = pytest.importorskip("huaweicloudsdkfunctiongraph.v2")
pytestmark = pytest.mark.slow  # the FunctionGraph calls and fgrevoke validate subprocesses: make test-fast skips them

APIG = {"name": "fgrevoke_api", "instance_id": "apig-1", "group_id": "group-1", "sl_domain": "g.example.com",
        "env_id": "DEFAULT_ENVIRONMENT_RELEASE_ID", "env_name": "RELEASE", "auth": "IAM", "protocol": "HTTPS",
        "path": "/fgrevoke", "req_method": "ANY", "match_mode": "NORMAL", "type": 1, "backend_type": "FUNCTION"}
EVENTGRID = {"trigger_name": "person_left", "channel_id": "c-1", "channel_name": "hr", "source_name": "HR.offboarding",
             "event_types": ["person.left"], "agency": "fgs_to_eg"}
CTS = {"name": "iam_user_deleted", "operations": ["IAM:user:deleteUser;deleteUserV5"]}
TIMER = {"name": "nightly-cleanup", "schedule_type": "Cron", "schedule": "0 0 2 * * ?", "user_event": "{}"}


@pytest.fixture
def functiongraph(emulator: Any) -> Any:
    credentials = BasicCredentials(AK, SK, PROJECT).with_security_token(TOKEN)
    client = v2.FunctionGraphClient.new_builder().with_credentials(credentials).with_endpoints(
        [emulator.endpoint]).build()
    created = client.create_function(v2.CreateFunctionRequest(body=v2.CreateFunctionRequestBody(
        func_name="rules", package="fgrevoke", runtime="Python3.10", handler="index.handler", memory_size=128,
        timeout=30, code_type="zip", func_code=v2.FuncCode(file=""))))
    client.urn = created.func_urn
    return client


def create(client: Any, type_code: str, event_data: Dict[str, Any], status: str = "ACTIVE") -> Any:
    return client.create_function_trigger(v2.CreateFunctionTriggerRequest(
        function_urn=client.urn, body=v2.CreateFunctionTriggerRequestBody(
            trigger_type_code=type_code, trigger_status=status, event_data=event_data)))


def refused(client: Any, type_code: str, event_data: Dict[str, Any], status: str = "ACTIVE") -> tuple:
    with pytest.raises(ServiceResponseException) as raised:
        create(client, type_code, event_data, status)
    return raised.value.status_code, raised.value.error_code


def edited(base: Dict[str, Any], **changes: Any) -> Dict[str, Any]:
    data = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    return data


@pytest.mark.parametrize("type_code, event_data, status, answer", [
    ("CTS", edited(CTS, name="iam-user-deleted"), "ACTIVE", (502, "FSS.1319")),  # documented as 502
    ("CTS", edited(CTS, name="x" * 65), "ACTIVE", (400, "FSS.1317")),
    ("CTS", edited(CTS, name=None), "ACTIVE", (400, "FSS.1312")),
    ("CTS", edited(CTS, operations=["IAM:user:deleteUser", "IAM:user:deleteUserV5"]), "ACTIVE", (400, "FSS.1316")),
    ("CTS", edited(CTS, operations=["deleteUser"]), "ACTIVE", (400, "FSS.1318")),
    ("CTS", edited(CTS, operations=None), "ACTIVE", (400, "FSS.1314")),
    ("DEDICATEDGATEWAY", edited(APIG, env_id=None), "ACTIVE", (400, "FSS.1417")),
    ("DEDICATEDGATEWAY", edited(APIG, sl_domain=""), "ACTIVE", (400, "FSS.1417")),
    ("DEDICATEDGATEWAY", edited(APIG, instance_id=""), "ACTIVE", (400, "FSS.1417")),
    ("DEDICATEDGATEWAY", edited(APIG, auth="OPEN"), "ACTIVE", (400, "FSS.1417")),
    ("DEDICATEDGATEWAY", APIG, "DISABLED", (400, "FSS.0400")),
    ("EVENTGRID", edited(EVENTGRID, channel_name="default"), "ACTIVE", (400, "FSS.0400")),
    ("EVENTGRID", edited(EVENTGRID, agency=None), "ACTIVE", (400, "FSS.0400")),
    ("TIMER", edited(TIMER, schedule="0 2 * * *"), "ACTIVE", (400, "FSS.1109")),
    ("TIMER", edited(TIMER, name="1st"), "ACTIVE", (400, "FSS.1109")),
    ("FTP", {"name": "x"}, "ACTIVE", (400, "FSS.1101")),
])
def test_the_emulator_refuses_what_the_api_refuses(functiongraph, type_code, event_data, status, answer):
    assert refused(functiongraph, type_code, event_data, status) == answer


def test_accepted_triggers_are_listed_without_what_the_service_does_not_return(functiongraph):
    for type_code, data in (("CTS", CTS), ("DEDICATEDGATEWAY", APIG), ("EVENTGRID", EVENTGRID), ("TIMER", TIMER)):
        create(functiongraph, type_code, data)
    listed = {t["trigger_type_code"]: t["event_data"] for t in functiongraph.list_function_triggers(
        v2.ListFunctionTriggersRequest(function_urn=functiongraph.urn)).to_json_object()}
    assert listed["CTS"] == CTS and listed["TIMER"] == TIMER
    assert not {"sl_domain", "backend_type", "instance_id"} & set(listed["DEDICATEDGATEWAY"])
    assert "agency" not in listed["EVENTGRID"]
    assert listed["EVENTGRID"]["trigger_name"] == "default-rules-person_left"
    assert refused(functiongraph, "CTS", CTS) == (400, "FSS.1307")  # the same name twice


def test_missing_triggers_and_functions_answer_as_the_real_service(functiongraph):
    with pytest.raises(ServiceResponseException) as missing_trigger:
        functiongraph.show_function_trigger(v2.ShowFunctionTriggerRequest(
            function_urn=functiongraph.urn, trigger_type_code="TIMER", trigger_id="0" * 32))
    assert (missing_trigger.value.status_code, missing_trigger.value.error_code) == (500, "FSS.0500")
    with pytest.raises(ServiceResponseException) as latest:
        functiongraph.delete_function(v2.DeleteFunctionRequest(function_urn=functiongraph.urn))
    assert (latest.value.status_code, latest.value.error_code) == (400, "FSS.0400")  # ":latest" cannot be deleted
    functiongraph.delete_function(v2.DeleteFunctionRequest(function_urn=functiongraph.urn.rsplit(":", 1)[0]))
    with pytest.raises(ServiceResponseException) as missing_function:
        functiongraph.delete_function_trigger(v2.DeleteFunctionTriggerRequest(
            function_urn=functiongraph.urn, trigger_type_code="TIMER", trigger_id="0" * 32))
    assert (missing_function.value.status_code, missing_function.value.error_code) == (401, "FSS.0401")


def test_validate_names_resource_and_field_of_each_enabled_trigger():
    assert trigger_rules.check(template.load()) == []  # the off-by-default triggers are not checked
    errors = trigger_rules.check(template.load(overrides={
        "EnableApigTriggers": "true", "EnableEventGridTrigger": "true", "ApigInstanceId": "apig-1",
        "ApigGroupId": "group-1", "EventGridChannelId": "c-1", "EventGridChannelName": "default",
        "EventGridAgency": "fgrevoke-agency"}))
    where = "Resources.WorkspaceappBatchDeleteAppGroupAuthorization.Properties.Triggers"
    assert f"{where}[2].EventData.sl_domain: required by CreateFunctionTrigger and empty (give the real value, or " \
           "leave the trigger out with Enabled: false)" in errors
    assert any(e.startswith(f"{where}[1].EventData.channel_name: the 'default' channel is EventGrid's OFFICIAL")
               for e in errors)
    assert any(e.startswith(f"{where}[1].EventData.agency: 'fgrevoke-agency' is the function's own agency")
               for e in errors)
    broken = template.load()
    broken["Resources"]["ModelartsDeleteAuthorizations"]["Properties"]["Triggers"][0]["EventData"]["name"] = "a-b"
    broken["Resources"]["ModelartsDeleteAuthorizations"]["Properties"]["Triggers"][1]["Enabled"] = "maybe"
    assert trigger_rules.check(broken) == [
        "Resources.ModelartsDeleteAuthorizations.Properties.Triggers[0].EventData.name: 'a-b': only letters, "
        "digits and _ (no hyphens), at most 64",
        "Resources.ModelartsDeleteAuthorizations.Properties.Triggers[1].Enabled: 'maybe' must be true or false"]


def test_validate_command_refuses_enabled_triggers_without_their_values():
    done = subprocess.run([sys.executable, "-m", "fgrevoke", "validate", "--param", "EnableEventGridTrigger=true"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert done.returncode == 1
    assert "Resources.WorkspaceappBatchDeleteAppGroupAuthorization.Properties.Triggers[1].EventData.channel_id: " \
           "required by CreateFunctionTrigger" in done.stdout
    ok = subprocess.run([sys.executable, "-m", "fgrevoke", "validate", "--param", "EnableEventGridTrigger=true",
                         "--param", "EventGridChannelId=c-1", "--param", "EventGridChannelName=hr"],
                        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert ok.returncode == 0 and "valid" in ok.stdout
