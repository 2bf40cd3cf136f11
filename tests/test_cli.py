"""The fgrevoke command as a user runs it (a subprocess): mistakes get one line and an exit code,
invoke's settings take effect or are refused by name, and a real run needs --yes."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import threading

import pytest

from conftest import AK, SK, find_secrets
from fgrevoke import template
from fgrevoke.emulator.seed import EXAMPLE_PROJECT
from fgrevoke.testkit import Background, command_env, run_command, sources_only_package

pytestmark = pytest.mark.slow  # each test runs the command as a subprocess: make test-fast skips them

MODELARTS = "modelarts_delete_authorizations"
COMMANDS = ("demo", "emulator", "validate", "package", "event", "invoke", "serve", "deploy", "restore")


PROGRESS = re.compile(r"^(FunctionGraph \S+, project \S+$|\w+: (\S+\.zip is not built|installing|compiling|wrote) )")


def one_line_error(result, code):
    """The run failed with ``code`` and said why in one ``fgrevoke:`` line, without a traceback (progress
    lines, e.g. deploy building a stale zip, may come before it)."""
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    messages = [line for line in result.stderr.splitlines() if not line.startswith("{") and
                not PROGRESS.match(line)]
    assert len(messages) == 1 and messages[0].startswith("fgrevoke: "), result.stderr
    return messages[0]


@pytest.fixture
def event_file(tmp_path):
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"user_id": "u-alice"}))
    return path


@pytest.fixture
def real(tmp_path):
    """A standalone emulator standing in for the real cloud: seeded, logging each request it receives."""
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"project_id": EXAMPLE_PROJECT, "modelarts": {"authorizations": ["u-alice"]}}))
    with Background("emulator", "--port", "0", "--access-key", AK, "--secret-key", SK, "--seed", str(seed)) as server:
        server.endpoint = server.wait_for(r"listening on (http://[\d.:]+)").group(1)
        yield server


def env_file(tmp_path, **settings):
    path = tmp_path / ".env"
    path.write_text("# local settings\n" + "".join(f"{name}={value}\n" for name, value in settings.items()))
    return str(path)


def test_version_and_help():
    result = run_command("--version")
    assert result.returncode == 0 and result.stdout.startswith("fgrevoke 0.")
    for command in COMMANDS:
        result = run_command(command, "--help")
        assert result.returncode == 0 and "usage: fgrevoke " + command in result.stdout


@pytest.mark.parametrize("argv, says", [
    (["invoke", MODELARTS, "--event", "missing.json"], "--event missing.json: No such file"),
    (["invoke", MODELARTS, "--event", "{tmp}/bad.json"], "is not JSON"),
    (["invoke", "no_such_function", "--event", "{tmp}/event.json"], "no function 'no_such_function'"),
    (["invoke", MODELARTS, "--event", "{tmp}/event.json", "--param", "Nope=1"], "unknown parameter 'Nope'"),
    (["invoke", MODELARTS, "--event", "{tmp}/event.json", "--param", "DryRun"], "--param takes Name=value"),
    (["invoke", MODELARTS, "--event", "{tmp}/event.json", "--param", "DryRun=maybe"], "is not one of"),
    (["invoke", MODELARTS, "--event", "{tmp}/event.json", "--env-file", "{tmp}/typo.env"],
     "the env file sets DRYRUN, which neither"),
    (["invoke", MODELARTS, "--event", "{tmp}/event.json", "--env-file", "{tmp}/nope.env"], "No such file"),
    (["validate", "--template", "{tmp}/nope.yml"], "--template"),
    (["event", MODELARTS, "direct", "--request", '{"user_idz": 1}'], "would refuse this request"),
    (["event", "workspace_batch_delete_access_policies", "cts"], "does not act on cts events"),
    (["emulator", "--port", "0", "--access-key", "a", "--secret-key", "b", "--fault", "nowhere:503"], "no route"),
    (["invoke", MODELARTS, "--event", "{tmp}/deep.json", "--emulator"], "nests JSON too deep to read"),
    (["invoke", MODELARTS, "--event", "{tmp}/event.json", "--env-file", "{tmp}/latin1.env"], "is not UTF-8"),
    (["invoke", MODELARTS, "--event", "{tmp}/event.json", "--env-file", "{tmp}/pasted.env"], ".env, line 2: no '='"),
    (["validate", "--param", "Nope=1"], "unknown parameter 'Nope'"),
    (["validate", "--param", "DryRun"], "--param takes Name=value"),
    (["restore", "{tmp}/missing.json"], "missing.json: No such file"),
    (["restore", "{tmp}/bad.json"], "is not JSON"),
    (["restore", "{tmp}/event.json"], "not a report of fgrevoke's functions"),
])
def test_mistakes_get_one_line_and_exit_2(tmp_path, event_file, argv, says):
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "typo.env").write_text("DRYRUN=false\n")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "latin1.env").write_bytes("PROTECTED_USER_IDS=ren\u00e9\n".encode("latin-1"))
    (tmp_path / "pasted.env").write_text("DRY_RUN=true\nsk-Zr8q2LmW0pXy5Tn3Vb7Kd1Hf9Gj4\n")
    result = run_command(*[arg.replace("{tmp}", str(tmp_path)) for arg in argv])
    assert says in one_line_error(result, 2)
    assert "Zr8q2LmW0pXy" not in result.stdout + result.stderr, "an env file's content is never echoed"


def test_argparse_usage_errors_keep_exit_2():
    result = run_command("event", MODELARTS, "nonsense")
    assert result.returncode == 2 and "invalid choice" in result.stderr and "Traceback" not in result.stderr


def test_json_errors_are_json(event_file):
    result = run_command("invoke", "no_such_function", "--event", str(event_file), "--json")
    assert result.returncode == 2
    assert json.loads(result.stdout) == {"error": json.loads(result.stdout)["error"], "exit_code": 2}
    assert "no_such_function" in json.loads(result.stdout)["error"]


def test_invoke_uses_the_template_then_the_env_file(tmp_path, event_file):
    result = run_command("invoke", MODELARTS, "--event", str(event_file), "--emulator")
    assert result.returncode == 0 and json.loads(result.stdout)["dry_run"] is True  # the template's DRY_RUN
    settings = env_file(tmp_path, DRY_RUN="false", PROTECTED_USER_IDS="u-alice")
    result = run_command("invoke", MODELARTS, "--event", str(event_file), "--emulator", "--env-file", settings)
    assert json.loads(result.stdout)["items"][0]["outcome"] == "skipped_protected"
    assert '"event": "invocation.done"' in result.stderr, "logs go to stderr, the result to stdout"


def test_invoke_reads_the_event_from_stdin():
    result = run_command("invoke", MODELARTS, "--event", "-", "--emulator", "--param", "DryRun=false",
                         stdin=json.dumps({"user_id": "u-example"}))
    assert result.returncode == 0 and json.loads(result.stdout)["summary"] == {"deleted": 1}


def test_a_refused_request_exits_1_with_the_reason(tmp_path):
    event = tmp_path / "e.json"
    event.write_text(json.dumps({"user_id": "bad/id"}))
    result = run_command("invoke", MODELARTS, "--event", str(event), "--emulator")
    assert json.loads(result.stdout)["error_code"] == "FGR.InvalidRequest"
    assert "answered rejected: FGR.InvalidRequest" in one_line_error(result, 1)


def test_env_file_endpoint_takes_effect_and_a_real_run_needs_yes(tmp_path, event_file, real):
    settings = env_file(tmp_path, DRY_RUN="false", PROJECT_ID=EXAMPLE_PROJECT, HUAWEICLOUD_SDK_AK=AK,
                        HUAWEICLOUD_SDK_SK=SK, HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4=real.endpoint)
    refused = run_command("invoke", MODELARTS, "--event", str(event_file), "--env-file", settings)
    message = one_line_error(refused, 2)
    assert real.endpoint in message and EXAMPLE_PROJECT in message and "--yes" in message
    assert "DRY_RUN=false from the env file" in message
    assert not any("authorizations" in line for line in real.stderr), "nothing may be sent without --yes"

    done = run_command("invoke", MODELARTS, "--event", str(event_file), "--env-file", settings, "--yes")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["items"][0]["outcome"] == "deleted"
    real.wait_for(r"DELETE /v2/\w+/authorizations\?user_id=u-alice -> 200")
    assert not find_secrets([done.stdout, done.stderr, refused.stderr])


def test_shell_settings_take_effect_too(event_file, real):
    env = command_env(DRY_RUN="false", PROJECT_ID=EXAMPLE_PROJECT,
                      HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4=real.endpoint)
    message = one_line_error(run_command("invoke", MODELARTS, "--event", str(event_file), env=env), 2)
    assert "DRY_RUN=false from the environment" in message and real.endpoint in message


def test_a_dry_run_needs_no_confirmation_and_only_reads(tmp_path, event_file, real):
    settings = env_file(tmp_path, PROJECT_ID=EXAMPLE_PROJECT, HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4=real.endpoint,
                        HUAWEICLOUD_SDK_AK=AK, HUAWEICLOUD_SDK_SK=SK)
    result = run_command("invoke", MODELARTS, "--event", str(event_file), "--env-file", settings)
    assert result.returncode == 0 and json.loads(result.stdout)["items"][0]["outcome"] == "would_delete"
    real.wait_for(r"GET /v2/\S+/authorizations")  # the preview reads the listing; nothing is deleted


def test_emulator_refuses_an_endpoint_that_would_send_calls_elsewhere(tmp_path, event_file):
    settings = env_file(tmp_path, HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4="https://modelarts.example.com")
    message = one_line_error(run_command("invoke", MODELARTS, "--event", str(event_file), "--emulator",
                                         "--env-file", settings), 2)
    assert "HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4" in message
    env = command_env(HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4="https://modelarts.example.com")
    message = one_line_error(run_command("invoke", MODELARTS, "--event", str(event_file), "--emulator", env=env), 2)
    assert "the environment sets HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4" in message


def test_emulator_follows_the_region_and_keys_given(tmp_path, event_file):
    settings = env_file(tmp_path, REGION="ap-southeast-1", DRY_RUN="false", HUAWEICLOUD_SDK_AK=AK,
                        HUAWEICLOUD_SDK_SK=SK)
    result = run_command("invoke", MODELARTS, "--event", str(event_file), "--emulator", "--env-file", settings)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["items"][0]["outcome"] == "already_absent"  # the embedded one, not the cloud


def test_bad_credentials_say_so(tmp_path, event_file, real):
    settings = env_file(tmp_path, DRY_RUN="false", PROJECT_ID=EXAMPLE_PROJECT, HUAWEICLOUD_SDK_AK="WRONGKEY",
                        HUAWEICLOUD_SDK_SK="wrong-secret", MAX_ATTEMPTS="1",
                        HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4=real.endpoint)
    result = run_command("invoke", MODELARTS, "--event", str(event_file), "--env-file", settings, "--yes")
    message = [line for line in result.stderr.splitlines() if line.startswith("fgrevoke: ")][-1]
    assert result.returncode == 1 and "APIG.0301" in message and "check the keys" in message
    assert "wrong-secret" not in result.stdout + result.stderr


def test_no_network_says_so_and_every_log_line_is_json(tmp_path, event_file):
    settings = env_file(tmp_path, DRY_RUN="false", PROJECT_ID=EXAMPLE_PROJECT, HUAWEICLOUD_SDK_AK=AK,
                        HUAWEICLOUD_SDK_SK=SK, MAX_ATTEMPTS="1",
                        HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4="http://127.0.0.1:9")
    result = run_command("invoke", MODELARTS, "--event", str(event_file), "--env-file", settings, "--yes")
    lines = result.stderr.splitlines()
    assert result.returncode == 1 and "FGR.ConnectionError" in lines[-1] and "check the network" in lines[-1]
    middle = [json.loads(line) for line in lines[1:-1]]  # between "revokes for real" and the summary
    sdk = [line for line in middle if line["event"] == "library.log"]
    assert sdk and sdk[0]["logger"] == "HuaweiCloud-SDK-ModelArtsClient" and sdk[0]["level"] == "error"
    assert not find_secrets([result.stdout, result.stderr])


def drain(descriptor):
    try:
        while os.read(descriptor, 4096):
            pass
    except OSError:  # the terminal closed with the process
        pass
    finally:
        os.close(descriptor)


@pytest.mark.parametrize("answer, code", [(b"y\n", 0), (b"n\n", 1)])
def test_on_a_terminal_the_user_is_asked(tmp_path, event_file, real, answer, code):
    settings = env_file(tmp_path, DRY_RUN="false", PROJECT_ID=EXAMPLE_PROJECT, HUAWEICLOUD_SDK_AK=AK,
                        HUAWEICLOUD_SDK_SK=SK, HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4=real.endpoint)
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "fgrevoke", "invoke", MODELARTS, "--event", str(event_file),
                                "--env-file", settings], stdin=terminal, stderr=terminal, stdout=subprocess.PIPE,
                               env=command_env(), text=True)
    os.close(terminal)
    shown = b""
    while b"Go ahead? [y/N]" not in shown:
        shown += os.read(controller, 4096)
    assert real.endpoint.encode() in shown and EXAMPLE_PROJECT.encode() in shown
    os.write(controller, answer)
    threading.Thread(target=drain, args=(controller,), daemon=True).start()  # the log lines that follow
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == code
    if code == 0:
        assert json.loads(stdout)["items"][0]["outcome"] == "deleted"
    else:
        assert stdout == "" and not any("authorizations" in line for line in real.stderr)


def test_deploy_failures_reaching_the_cloud_are_one_line(real, tmp_path):
    for spec in template.functions(template.load()):  # current zips: the test is about the cloud, not the build
        sources_only_package(spec, tmp_path)
    base = dict(HUAWEICLOUD_SDK_AK="WRONGKEY", HUAWEICLOUD_SDK_SK="wrong-secret")
    refused = run_command("deploy", "--plan", "--project-id", EXAMPLE_PROJECT, "--dist", str(tmp_path),
                          env=command_env(**base, HUAWEICLOUD_SDK_REGION_FUNCTIONGRAPH_CN_NORTH_4=real.endpoint))
    message = one_line_error(refused, 1)
    assert "401 APIG.0301" in message and "HUAWEICLOUD_SDK_AK/SK" in message
    unreachable = run_command("deploy", "--plan", "--project-id", EXAMPLE_PROJECT, "--json", "--dist", str(tmp_path),
                              env=command_env(**base, HUAWEICLOUD_SDK_REGION_FUNCTIONGRAPH_CN_NORTH_4="http://127.0.0.1:9"))
    assert "could not be reached" in one_line_error(unreachable, 1)
    assert json.loads(unreachable.stdout)["exit_code"] == 1
