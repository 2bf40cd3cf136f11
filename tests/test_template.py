"""template.yml and `fgrevoke validate`: the good template passes; each kind of defect is named."""

from __future__ import annotations

import copy
import json

import pytest

from fgrevoke import cli, functions, template, trigger_rules, validate
from fgrevoke.trigger_rules import schedule_problem


@pytest.fixture
def good():
    return template.load()


def props(document, resource="ModelartsDeleteAuthorizations"):
    return document["Resources"][resource]["Properties"]


def test_the_template_is_valid_and_covers_every_function(good):
    assert validate.validate(good) == []
    assert sorted(spec.folder for spec in template.functions(good)) == functions.names()
    assert all(spec.variables["DRY_RUN"] == "true" for spec in template.functions(good))


def test_every_trigger_is_one_the_real_api_accepts_once_its_values_are_given():
    """With the gateway and channel values given, every trigger of template.yml passes CreateFunctionTrigger's
    rules (trigger_rules); without them, those triggers are off."""
    given = template.load(overrides={
        "EnableApigTriggers": "true", "ApigInstanceId": "apig-1", "ApigGroupId": "group-1",
        "ApigSubdomain": "group-1.apic.cn-north-4.example.com", "EnableEventGridTrigger": "true",
        "EventGridChannelId": "channel-1", "EventGridChannelName": "hr-offboarding"})
    assert trigger_rules.check(given) == [] and validate.validate(given) == []
    specs = template.functions(given)
    assert sum(len(spec.enabled_triggers) for spec in specs) == 9  # 2 CTS, 3 APIG, 1 EventGrid, 3 TIMER
    assert sum(len(spec.enabled_triggers) for spec in template.functions(template.load())) == 5
    for spec in specs:
        for trigger in spec.enabled_triggers:
            assert trigger_rules.violations(trigger["TriggerTypeCode"], trigger["EventData"],
                                            trigger.get("Status", "ACTIVE")) == []


def test_reports_go_to_the_report_bucket_only_when_one_is_given():
    """Every asynchronous run's report lands in OBS (on_success) when ReportBucket is set; empty, it is off."""
    for spec in template.functions(template.load()):
        assert "on_success" not in spec.async_invoke_config.get("destination_config", {})
        assert spec.async_invoke_config["max_async_retry_attempts"] == 3
    for spec in template.functions(template.load(overrides={"ReportBucket": "hr-reports"})):
        target = spec.async_invoke_config["destination_config"]["on_success"]
        assert target["destination"] == "OBS" and json.loads(target["param"])["bucket"] == "hr-reports"


def test_parameters_override_defaults():
    loaded = template.load(overrides={"Region": "ap-southeast-1", "DryRun": "false"})
    assert props(loaded)["Environment"]["Variables"]["REGION"] == "ap-southeast-1"
    with pytest.raises(template.TemplateError):
        template.load(overrides={"DryRun": "maybe"})
    with pytest.raises(template.TemplateError):
        template.load(overrides={"Nope": "x"})


DEFECTS = [
    (lambda d: props(d).update(Runtime="Python2.7"), "ModelartsDeleteAuthorizations.Properties.Runtime"),
    (lambda d: props(d).update(MemorySize=300), "Properties.MemorySize"),
    (lambda d: props(d).update(Timeout=901), "Properties.Timeout"),
    (lambda d: props(d).update(Timeout=2), "Properties.Timeout"),
    (lambda d: props(d).update(Handler="index.main"), "Properties.Handler"),
    (lambda d: props(d).update(Handler="app.handler"), "Properties.Handler"),
    (lambda d: props(d)["Environment"]["Variables"].update(REGOIN="x"), "Variables.REGOIN"),
    (lambda d: props(d)["Environment"]["Variables"].pop("REGION"), "Variables.REGION"),
    (lambda d: props(d)["Environment"]["Variables"].pop("ALLOW_ALL_USERS"), "Variables.ALLOW_ALL_USERS"),
    (lambda d: props(d, "WorkspaceappBatchDeleteAppGroupAuthorization")["Environment"]["Variables"].pop(
        "APP_GROUP_IDS"), "Variables.APP_GROUP_IDS"),
    (lambda d: props(d)["Environment"]["Variables"].update(HUAWEICLOUD_SDK_SK="plain"), "HUAWEICLOUD_SDK_SK"),
    (lambda d: props(d)["Environment"]["Variables"].update({f"V{i}": "x" for i in range(20)}), "Environment:"),
    (lambda d: props(d)["Environment"]["Variables"].update(LOG_LEVEL="x" * 5000), "characters"),
    (lambda d: props(d).update(CodeUri="functions/missing"), "does not exist"),
    (lambda d: d["Resources"].pop("WorkspaceBatchDeleteAccessPolicies"), "functions/workspace_batch_delete"),
    (lambda d: d["Resources"].update(Copy=copy.deepcopy(d["Resources"]["ModelartsDeleteAuthorizations"])),
     "more than one resource"),
    (lambda d: props(d, "WorkspaceBatchDeleteAccessPolicies")["Triggers"][0]["EventData"].update(schedule="0 2 * * *"),
     "Triggers[0].EventData.schedule"),
    (lambda d: props(d)["Triggers"][0].update(TriggerTypeCode="FTP"), "Triggers[0].TriggerTypeCode"),
    (lambda d: props(d).pop("Xrole"), "Properties.Xrole"),
]


@pytest.mark.parametrize("break_it, named", DEFECTS)
def test_each_defect_is_reported_with_resource_and_field(good, break_it, named):
    break_it(good)
    errors = validate.validate(good)
    assert any(named in error for error in errors), errors


@pytest.mark.parametrize("kind, schedule, ok", [
    ("Rate", "5m", True), ("Rate", "1d", True), ("Rate", "61m", False), ("Rate", "0h", False),
    ("Rate", "5 minutes", False), ("Cron", "0 15 2 * * ?", True), ("Cron", "0 0/5 * * * *", True),
    ("Cron", "15 2 * * *", False), ("Cron", "@every 1h30m", True), ("Cron", "@every", False), ("Daily", "1d", False),
])
def test_timer_schedules(kind, schedule, ok):
    assert (schedule_problem(kind, schedule) == "") is ok


def test_validate_command_exit_codes_and_json(tmp_path, capsys):
    assert cli.main(["validate"]) == 0
    broken = tmp_path / "template.yml"
    broken.write_text(template.TEMPLATE.read_text().replace("Timeout: 120", "Timeout: 1000"))
    assert cli.main(["validate", "--template", str(broken), "--json"]) == 1
    report = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert report["valid"] is False and "Timeout" in report["errors"][0]
