"""Files and parameters the user gives the fgrevoke command: whatever is in them, a mistake is one line and
exit 2 — no traceback, and an env file's content (often a pasted key) never reaches the terminal. In process
(``cli.main``), so hypothesis can try many files quickly; tests/test_cli.py runs examples as a subprocess."""

from __future__ import annotations

import contextlib
import io
import json
import string
from pathlib import Path
from typing import List, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fgrevoke import cli
from fgrevoke.emulator.seed import EXAMPLE_FILE
from fgrevoke.functions import ROOT

MODELARTS = "modelarts_delete_authorizations"
DEEP = 100_000
FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def fgrevoke(*argv: str) -> Tuple[int, str, str]:
    """``fgrevoke ARGV`` in this process: exit code, stdout, stderr. An exception escaping is a traceback."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def usage_error(argv: List[str]) -> str:
    code, out, err = fgrevoke(*argv)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("fgrevoke: "), (code, out, err)
    return lines[0]


@pytest.fixture
def event(tmp_path: Path) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"user_id": "u-example"}))
    return path


def invoke_with_env(event: Path, env_file: Path) -> List[str]:
    return ["invoke", MODELARTS, "--event", str(event), "--env-file", str(env_file)]


# -- examples --------------------------------------------------------------------------------------------
SECRET = "sk-Zr8q2LmW0pXy5Tn3Vb7Kd1Hf9Gj4"


@pytest.mark.parametrize("line, says", [
    (SECRET, "line 2: no '='"),  # a key pasted on its own line
    (f"HUAWEICLOUD_SDK_SK {SECRET}", "line 2: no '='"),
    (f"HUAWEICLOUD_SDK_SK: {SECRET}", "line 2: no '='"),
    (f"huaweicloud sdk sk={SECRET}", "line 2: the name before '='"),
    (f"{SECRET}=", "line 2: the name before '='"),
    ("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo==", "1 name(s) not shown"),  # base64 ending in '=': a valid name
])
def test_env_file_mistakes_name_the_line_never_its_content(tmp_path, event, line, says):
    env_file = tmp_path / ".env"
    env_file.write_text(f"DRY_RUN=true\n{line}\n")
    message = usage_error(invoke_with_env(event, env_file))
    assert says in message and line[:12] not in message and SECRET[:12] not in message


def test_a_setting_shaped_unknown_name_is_still_named(tmp_path, event):
    env_file = tmp_path / ".env"
    env_file.write_text("DRYRUN=false\n")
    assert "the env file sets DRYRUN, which neither" in usage_error(invoke_with_env(event, env_file))


def deep_json() -> str:
    return "[" * DEEP + "]" * DEEP


@pytest.mark.parametrize("name, content, argv, says", [
    ("event.json", deep_json(), ["invoke", MODELARTS, "--emulator", "--event", "{file}"], "nests JSON too deep"),
    ("event.json", b"\xff\xfe{}", ["invoke", MODELARTS, "--emulator", "--event", "{file}"], "is not UTF-8"),
    (".env", b"DRY_RUN=true\nHUAWEICLOUD_SDK_SK=\xe9t\xe9\n", ["invoke", MODELARTS, "--event", "{event}",
                                                               "--env-file", "{file}"], "is not UTF-8"),
    ("request.json", deep_json(), ["event", MODELARTS, "direct", "--request", "@{file}"], "nests JSON too deep"),
    ("body.json", b"\x80", ["event", MODELARTS, "apig", "--body", "@{file}"], "is not UTF-8"),
    ("seed.json", deep_json(), ["emulator", "--access-key", "a", "--secret-key", "b", "--seed", "{file}"],
     "nests JSON too deep"),
    ("seed.json", b"\xc3(", ["emulator", "--access-key", "a", "--secret-key", "b", "--seed", "{file}"],
     "is not UTF-8"),
    ("template.yml", "a: " + "[" * DEEP, ["validate", "--template", "{file}"], "nests YAML too deep"),
    ("template.yml", b"\xff", ["validate", "--template", "{file}"], "is not UTF-8"),
    ("template.yml", "a: [\n", ["deploy", "--plan", "--template", "{file}"], "is not valid YAML"),
    ("fgrevoke.toml", "a = " + "[" * DEEP, ["validate", "--config", "{file}"], "nests TOML too deep"),
    ("fgrevoke.toml", b"[default]\nregion = \"\xff\"\n", ["validate", "--config", "{file}"], "is not UTF-8"),
])
def test_unreadable_files_are_one_line_usage_errors(tmp_path, event, name, content, argv, says):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    message = usage_error([arg.format(file=path, event=event) for arg in argv])
    assert says in message and str(path) in message


@pytest.mark.parametrize("argv, says", [
    (["validate", "--param", "DryRun"], "--param takes Name=value, not 'DryRun'"),
    (["validate", "--param", "=true"], "--param takes Name=value"),
    (["validate", "--param", "Nope=1"], "unknown parameter 'Nope'"),
    (["validate", "--param", "DryRun=maybe"], "'maybe' is not one of"),
    (["deploy", "--plan", "--param", "Nope=1"], "unknown parameter 'Nope'"),
    (["event", MODELARTS, "direct", "--param", "DryRun"], "--param takes Name=value"),
])
def test_a_bad_param_is_a_usage_error_in_every_command(argv, says):
    assert says in usage_error(argv)


# -- generated ---------------------------------------------------------------------------------------------
secrets = st.text(string.ascii_letters + string.digits + "+/", min_size=16, max_size=40)
ENV_NAMES = ("DRY_RUN", "PROTECTED_USER_IDS", "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK")


@st.composite
def malformed_lines(draw: st.DrawFn, secret: str) -> str:
    """A line that is not NAME=value, holding ``secret`` as an operator might paste it."""
    name = draw(st.sampled_from(ENV_NAMES))
    return draw(st.sampled_from([
        secret, f"{name} {secret}", f"{name}: {secret}", f"{name}\t{secret}", f"export {name} {secret}",
        f"{name.lower().replace('_', ' ')}={secret}", f"{secret}:{name}={secret}", f"-{secret}=x",
        f"{name}-{secret}={secret}", f"9{secret}={secret}"]))


@FEW
@given(data=st.data(), secret=secrets)
def test_no_env_file_mistake_echoes_the_file(tmp_path, event, data, secret):
    before = data.draw(st.lists(st.sampled_from(["", "# comment", "DRY_RUN=true", f"HUAWEICLOUD_SDK_SK={secret}",
                                                 f"export PROTECTED_USER_IDS='{secret}'"]), max_size=4))
    bad = data.draw(malformed_lines(secret))
    env_file = tmp_path / ".env"
    env_file.write_text("\n".join(before + [bad, f"HUAWEICLOUD_SDK_AK={secret}"]) + "\n")
    code, out, err = fgrevoke(*invoke_with_env(event, env_file))
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert secret not in out + err and secret[:12] not in out + err
    if "=" not in bad:
        assert f"line {len(before) + 1}: no '='" in err


@FEW
@given(content=st.binary(min_size=1, max_size=64))
def test_any_bytes_as_an_env_file_or_event_never_trace_back(tmp_path, event, content):
    env_file, bad_event = tmp_path / ".env", tmp_path / "bad-event.json"
    env_file.write_bytes(content)
    bad_event.write_bytes(content)
    missing_env = str(tmp_path / "missing.env")
    for argv in (invoke_with_env(event, env_file) + ["--emulator"],
                 ["invoke", MODELARTS, "--event", str(bad_event), "--env-file", missing_env]):
        code, out, err = fgrevoke(*argv)
        assert code in (0, 1, 2) and "Traceback" not in err
        if code == 2:
            assert len(err.strip().splitlines()) == 1, err


@FEW
@given(pair=st.text(st.characters(blacklist_categories=["Cs"]), max_size=30))
def test_any_param_is_applied_or_refused_in_one_line(pair):
    name = pair.partition("=")[0]
    code, _, err = fgrevoke("validate", "--param", pair)
    known = name in ("DryRun", "Region") and "=" in pair
    assert code in ((0, 1, 2) if known else (2,)), err
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_emulator_help_points_to_the_runnable_seed_example():
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        cli.main(["emulator", "--help"])
    assert EXAMPLE_FILE in out.getvalue() and (ROOT / EXAMPLE_FILE).is_file()
