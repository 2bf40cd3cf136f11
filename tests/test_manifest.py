"""The manifests are the one declaration of each function: what reads them agrees with them, the docs tables
are generated from them, and a function folder with more than one module works locally and from its zip."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import AK, PROJECT, ROOT, SK, TOKEN, load_function, make_context
from fgrevoke import doc_tables, functions, packaging
from fgrevoke.functions import FUNCTIONS_DIR
from fgrevoke.template import FunctionSpec
from fgrevoke.validate import VARIABLE_NAME
from shared import manifest
from shared.errors import ConfigurationError, ErrorCode
from shared.settings import Settings, SettingsSource

FOLDERS = functions.names()


@pytest.mark.parametrize("folder", FOLDERS)
def test_each_manifest_is_consistent(folder):
    declared = manifest.load(FUNCTIONS_DIR / folder)
    names = [setting.name for setting in declared.all_settings]
    assert len(names) == len(set(names)), "a setting is declared twice (or shadows a shared one)"
    assert all(VARIABLE_NAME.match(name) for name in names)
    for setting in declared.settings:
        assert setting.doc, f"{setting.name} has no documentation"
        if setting.default not in (None, ()):
            assert setting.problem(str(setting.default).lower()) is None, f"{setting.name}'s default is out of range"
    assert declared.sdk_distribution in packaging.requirements(folder)[1]


@pytest.mark.parametrize("folder", FOLDERS)
def test_the_handler_answers_as_its_manifest_says(emulator, folder):
    result = load_function(folder).handler({"dry_run": True}, make_context(DRY_RUN="true"))
    assert result["operation"] == functions.manifest(folder).operation


def test_the_shared_settings_are_read_as_declared():
    settings = Settings.load(SettingsSource(_Values(REGION="cn-north-4", PROJECT_ID=PROJECT)))
    assert (settings.dry_run, settings.max_concurrency, settings.max_attempts, settings.retry_base_delay,
            settings.connect_timeout, settings.read_timeout, settings.log_level) == tuple(
        setting.default for setting in (manifest.DRY_RUN, manifest.MAX_CONCURRENCY, manifest.MAX_ATTEMPTS,
                                        manifest.RETRY_BASE_DELAY, manifest.HTTP_CONNECT_TIMEOUT,
                                        manifest.HTTP_READ_TIMEOUT, manifest.LOG_LEVEL))
    with pytest.raises(ConfigurationError) as raised:
        Settings.load(SettingsSource(_Values(REGION="cn-north-4", PROJECT_ID=PROJECT, MAX_CONCURRENCY="33")))
    assert raised.value.field == "MAX_CONCURRENCY" and "from 1 to 32, not '33'" in raised.value.message


def test_a_function_setting_is_read_through_its_manifest():
    declared = manifest.load(FUNCTIONS_DIR / "workspaceapp_batch_delete_app_group_authorization")
    assert declared.value("WORKSPACE_ACCOUNT_MAPPING", SettingsSource(_Values())) == "same"
    assert declared.value("PROTECTED_ACCOUNTS", SettingsSource(_Values(PROTECTED_ACCOUNTS=" a, b,,a "))) == ("a", "b")
    with pytest.raises(ConfigurationError) as raised:
        declared.value("WORKSPACE_ACCOUNT_MAPPING", SettingsSource(_Values(WORKSPACE_ACCOUNT_MAPPING="email")))
    assert raised.value.field == "WORKSPACE_ACCOUNT_MAPPING"


class _Values:
    def __init__(self, **values: str) -> None:
        self._values = values

    def getUserData(self, name: str) -> str:  # noqa: N802 - FunctionGraph's name
        return self._values.get(name, "")


def test_the_docs_tables_are_generated_from_the_code():
    done = subprocess.run([sys.executable, "-m", "fgrevoke.doc_tables", "--check"], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    settings_page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for folder in FOLDERS:
        declared = manifest.load(FUNCTIONS_DIR / folder)
        assert all(f"`{setting.name}`" in settings_page for setting in declared.settings)
        assert all(f"`{action}`" in settings_page for action in declared.required_actions)


def test_every_error_code_in_the_code_is_in_the_catalogue():
    used = {code for path in [*ROOT.glob("shared/*.py"), *ROOT.glob("functions/*/*.py")]
            for code in re.findall(r"FGR\.[A-Za-z]+", path.read_text(encoding="utf-8"))}
    catalogue = {code.value for code in ErrorCode}
    assert used <= catalogue, f"not in shared/errors.py ErrorCode: {used - catalogue}"
    assert all(f"`{code}`" in doc_tables.errors_page() for code in catalogue)


TWO_MODULES = '''
from shared import manifest
import wording  # the folder's second module, imported by plain name

MANIFEST = manifest.beside(__file__)


def handler(event, context):
    return {"said": wording.TEXT, "actions": list(MANIFEST.required_actions)}
'''


def two_module_function(root: Path, name: str, text: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "index.py").write_text(TWO_MODULES)
    (folder / "wording.py").write_text(f"TEXT = {text!r}\n")
    shutil.copy(FUNCTIONS_DIR / "modelarts_delete_authorizations" / "manifest.py", folder / "manifest.py")
    return folder


def test_functions_with_modules_of_the_same_name_load_side_by_side(tmp_path, monkeypatch):
    monkeypatch.setattr(functions, "FUNCTIONS_DIR", tmp_path)
    for name in ("first", "second"):
        two_module_function(tmp_path, name, f"from {name}")
    results = [functions.load(name).handler({}, None) for name in ("first", "second")]
    assert [result["said"] for result in results] == ["from first", "from second"]
    assert "wording" not in sys.modules


@pytest.mark.slow  # builds a zip
def test_every_module_of_the_folder_ships_and_runs_from_the_zip(tmp_path):
    folder = two_module_function(tmp_path, "two_modules", "shipped")
    spec = FunctionSpec("TwoModules", {"CodeUri": str(folder), "Runtime": "Python3.10"})
    package = packaging.build(spec, tmp_path / "dist")
    with zipfile.ZipFile(package.path) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "code")
    assert {"index.py", "wording.py", "manifest.py", "shared/manifest.py"} <= set(names)
    python = package.compiled_with or packaging.interpreter("3.10")
    if python is None:
        pytest.skip("no Python 3.10 on this machine to run the runtime's zip")
    probe = ("import json, sys; sys.path[:] = [p for p in sys.path if 'site-packages' not in p]; "
             "sys.path.insert(0, sys.argv[1]); import index; print(json.dumps(index.handler({}, None)))")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", HOME=str(tmp_path), AK=AK, SK=SK, TOKEN=TOKEN)
    done = subprocess.run([python, "-S", "-c", probe, str(tmp_path / "code")], env=env, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == {"said": "shipped", "actions": list(
        manifest.load(FUNCTIONS_DIR / "modelarts_delete_authorizations").required_actions)}
