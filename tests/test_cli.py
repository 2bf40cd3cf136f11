"""`fgrevoke event` and `fgrevoke invoke` for each trigger kind, and the CLI conventions."""

from __future__ import annotations

import json

import pytest

from fgrevoke import cli

REQUESTS = {
    "modelarts_delete_authorizations": {"user_id": "u-example"},
    "workspace_batch_delete_access_policies": {"policy_id_list": ["policy-1"]},
    "workspaceapp_batch_delete_app_group_authorization": {"accounts": ["alice"]},
}


@pytest.fixture(autouse=True)
def restore_endpoints(monkeypatch):
    # --emulator points the SDK's endpoint variables at an embedded emulator; undo that afterwards.
    for service in ("MODELARTS", "WORKSPACE", "WORKSPACEAPP"):
        monkeypatch.setenv(f"HUAWEICLOUD_SDK_REGION_{service}_CN_NORTH_4", "http://127.0.0.1:9")


def run(capsys, *argv):
    code = cli.main(list(argv))
    return code, capsys.readouterr()


@pytest.mark.parametrize("function, kind", [
    (function, kind) for function in sorted(REQUESTS) for kind in ("direct", "timer", "apig", "cts", "eventgrid", "smn")
    if not (kind == "cts" and function.startswith("workspace_"))])  # access policies have no CTS trigger
def test_sample_event_of_each_kind_invokes_against_the_emulator(tmp_path, capsys, kind, function):
    code, out = run(capsys, "event", kind, "--request", json.dumps(REQUESTS[function]), "--user-name", "alice",
                    "--user-id", "u-example")
    assert code == 0
    event_file = tmp_path / "event.json"
    event_file.write_text(out.out)
    code, out = run(capsys, "invoke", function, "--event", str(event_file), "--emulator", "--param", "DryRun=false")
    result = json.loads(out.out)
    body = json.loads(result["body"]) if kind == "apig" else result
    assert code == 0, out
    assert body["status"] == "succeeded" and body["dry_run"] is False
    assert "deleted" in body["summary"]
    assert '"event": "invocation.done"' in out.err, "logs go to stderr, the result to stdout"


def test_invoke_uses_the_template_settings_and_env_file(tmp_path, capsys):
    event = tmp_path / "e.json"
    event.write_text(json.dumps({"user_id": "u-example"}))
    code, out = run(capsys, "invoke", "modelarts_delete_authorizations", "--event", str(event), "--emulator")
    assert code == 0 and json.loads(out.out)["dry_run"] is True  # the template's DRY_RUN default
    env = tmp_path / ".env"
    env.write_text("# local settings\nDRY_RUN=false\nPROTECTED_USER_IDS=u-example\n")
    code, out = run(capsys, "invoke", "modelarts_delete_authorizations", "--event", str(event), "--emulator",
                    "--env-file", str(env))
    assert json.loads(out.out)["items"][0]["outcome"] == "skipped_protected"


def test_invoke_exit_codes(tmp_path, capsys):
    event = tmp_path / "e.json"
    event.write_text("not json")
    assert run(capsys, "invoke", "modelarts_delete_authorizations", "--event", str(event))[0] == 2
    assert run(capsys, "invoke", "no_such_function", "--event", str(event))[0] == 2
    event.write_text(json.dumps({"user_id": "bad/id"}))
    code, out = run(capsys, "invoke", "modelarts_delete_authorizations", "--event", str(event), "--emulator")
    assert code == 1 and json.loads(out.out)["error_code"] == "FGR.InvalidRequest"


@pytest.mark.parametrize("command", ["event", "invoke", "validate", "package", "emulator"])
def test_every_command_has_help(capsys, command):
    with pytest.raises(SystemExit) as done:
        cli.main([command, "--help"])
    assert done.value.code == 0 and "usage: fgrevoke" in capsys.readouterr().out
