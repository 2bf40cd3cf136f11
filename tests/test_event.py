"""`fgrevoke event FUNCTION KIND`: a sample each function accepts, the template's own trigger events,
and samples that invoke cleanly against the embedded emulator."""

from __future__ import annotations

import base64
import json

import pytest

from fgrevoke import functions, template, testkit
from fgrevoke.testkit import run_command
from shared import triggers

pytestmark = pytest.mark.slow  # each test runs the command as a subprocess: make test-fast skips them

SPECS = {spec.folder: spec for spec in template.functions(template.load())}
SAMPLES = [(folder, kind) for folder in sorted(SPECS) for kind in testkit.kinds_for(folder)]


def test_every_function_has_a_sample_request():
    assert set(testkit.SAMPLE_REQUESTS) == set(functions.names())


@pytest.mark.parametrize("folder, kind", SAMPLES)
def test_every_sample_carries_a_request_its_function_accepts(folder, kind):
    event = testkit.sample_event(SPECS[folder], kind)
    parsed = triggers.parse(event)
    assert parsed.kind == kind
    for payload in parsed.payloads:
        functions.load(folder).validate_request(payload)  # raises InvalidRequest if the function would refuse
    assert parsed.payloads or parsed.offboarding is not None


def test_the_cleanup_timer_is_the_templates_own():
    result = run_command("event", "workspace_batch_delete_access_policies", "timer")
    event = json.loads(result.stdout)
    trigger = next(t["EventData"] for t in SPECS["workspace_batch_delete_access_policies"].triggers
                   if t["TriggerTypeCode"] == "TIMER")
    assert result.returncode == 0
    assert (event["trigger_name"], event["user_event"]) == (trigger["name"], trigger["user_event"])
    changed = '{"select": {"older_than_days": 30}}'
    result = run_command("event", "workspace_batch_delete_access_policies", "timer",
                         "--param", f"PolicyCleanupRequest={changed}")
    assert json.loads(result.stdout)["user_event"] == changed


def test_apig_body_is_plain_json_in_and_base64_out(tmp_path):
    body = '{"user_ids": ["u-a", "u-b"]}'
    (tmp_path / "body.json").write_text(body)
    for given in (body, f"@{tmp_path / 'body.json'}"):
        result = run_command("event", "modelarts_delete_authorizations", "apig", "--body", given)
        event = json.loads(result.stdout)
        assert result.returncode == 0 and event["isBase64Encoded"] is True
        assert base64.b64decode(event["body"]).decode() == body
        assert event["path"] == "/fgrevoke/modelarts/authorizations"  # the template's API Gateway path


@pytest.mark.slow
@pytest.mark.parametrize("folder, kind", SAMPLES)
def test_sample_events_invoke_against_the_emulator(tmp_path, folder, kind):
    event = tmp_path / "event.json"
    event.write_text(json.dumps(testkit.sample_event(SPECS[folder], kind)))
    result = run_command("invoke", folder, "--event", str(event), "--emulator", "--param", "DryRun=false")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    body = json.loads(answer["body"]) if kind == "apig" else answer
    if "sweep" in body:  # the template's daily sweep: it starts in dry run, whatever DRY_RUN says
        assert body["sweep"]["status"] == "done" and body["dry_run"] is True, body
        return
    assert body["status"] == "succeeded" and body["dry_run"] is False
    assert body["summary"].get("deleted") or body["summary"].get("already_absent"), body
