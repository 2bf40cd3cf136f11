"""Packaging: each zip holds index.py, shared/ and only its own dependencies; builds are
reproducible; an unpacked zip runs on its own against the emulator."""

from __future__ import annotations

import contextlib
import io
import json
import os
import py_compile
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import zip_cache

from conftest import AK, PROJECT, SK, TOKEN
from fgrevoke import functions, packaging, template, validate
from fgrevoke.functions import ROOT

pytestmark = [pytest.mark.runtime, pytest.mark.slow]
RUNNING = f"{sys.version_info[0]}.{sys.version_info[1]}"
TEMPLATE_SPECS = template.functions(template.load())
# On a FunctionGraph Python (make test-runtimes) the zips are built for, and run on, that Python;
# elsewhere for the template's runtime.
RUNTIME = RUNNING if f"Python{RUNNING}" in validate.RUNTIMES else TEMPLATE_SPECS[0].python_version
SPECS = {spec.folder: template.FunctionSpec(spec.resource, {**spec.properties, "Runtime": f"Python{RUNTIME}"})
         for spec in TEMPLATE_SPECS}
OTHER_SDKS = {"huaweicloudsdkmodelarts", "huaweicloudsdkworkspace", "huaweicloudsdkworkspaceapp"}


MODELARTS, WORKSPACEAPP = "modelarts_delete_authorizations", "workspaceapp_batch_delete_app_group_authorization"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Each function's zip, built once on first use. The tests of one zip share an xdist_group, so
    `make test` (--dist loadgroup) builds the three zips on different workers, each only once; and a zip built
    from the same sources, pins and packaging code by an earlier suite of the same run is used again (the
    runtime suites would otherwise build the same three zips, for the template's Python, three times more)."""
    dest = tmp_path_factory.mktemp("dist")
    packages = {}

    def package(folder):
        if folder not in packages:
            packages[folder] = zip_cache.package(SPECS[folder], dest)
        return packages[folder]

    return package


def tops(package):
    with zipfile.ZipFile(package.path) as archive:
        return {name.split("/")[0] for name in archive.namelist()}, archive.namelist()


@pytest.mark.parametrize("folder", [pytest.param(folder, marks=pytest.mark.xdist_group(folder))
                                    for folder in sorted(SPECS)])
def test_zip_holds_the_function_and_only_its_dependencies(built, folder):
    package = built(folder)
    top, names = tops(package)
    assert "index.py" in names and "shared/runtime.py" in names
    assert not top & {"fgrevoke", "tests", "benchmarks", "functions", "pytest", "hypothesis", "ruff"}
    own = packaging.requirements(folder)[1].split("==")[0]
    reads = set(functions.manifest(folder).sdk_distributions)  # its own SDK and those its sweep lists with
    assert own in top and reads <= top and not top & (OTHER_SDKS - reads), "an SDK it does not use was packed"
    assert "huaweicloudsdkcore" in top and "structlog" in top
    assert package.problems == [] and package.zip_bytes < packaging.ZIP_LIMIT
    if package.compiled_with:
        assert any(name.endswith(f".cpython-{RUNTIME.replace('.', '')}.pyc") for name in names)
    with zipfile.ZipFile(package.path) as archive:
        assert {info.date_time for info in archive.infolist()} == {packaging.FIXED_TIME}


@pytest.mark.xdist_group(WORKSPACEAPP)
def test_builds_are_reproducible(built, tmp_path):
    first = built(WORKSPACEAPP).path
    again = packaging.build(SPECS[WORKSPACEAPP], tmp_path).path
    with zipfile.ZipFile(first) as one, zipfile.ZipFile(again) as two:
        assert one.namelist() == two.namelist()
        differing = [name for name in one.namelist() if one.read(name) != two.read(name)]
    assert differing == [] and again.read_bytes() == first.read_bytes()


PROBE = """
import json, os, sys
sys.path[:] = [p for p in sys.path if "site-packages" not in p]
sys.path.insert(0, os.environ["CODE"])
import index
class Context:
    def getUserData(self, key, default=""): return {"REGION": "cn-north-4", "PROJECT_ID": os.environ["PID"],
                                                    "DRY_RUN": "false"}.get(key, default)
    def getRequestID(self): return "zip-test"
    def getRemainingTimeInMilliSeconds(self): return 30000
    def getSecurityAccessKey(self): return os.environ["AK"]
    def getSecuritySecretKey(self): return os.environ["SK"]
    def getSecurityToken(self): return os.environ["TOKEN"]
result = index.handler({"user_id": "u-zip"}, Context())
assert index.__file__.startswith(os.environ["CODE"])
print("RESULT " + json.dumps(result))
"""


@pytest.mark.xdist_group(MODELARTS)
def test_unpacked_zip_runs_alone_against_the_emulator(built, emulator, tmp_path):
    package = built(MODELARTS)
    python = package.compiled_with or packaging.interpreter(RUNTIME)
    if python is None:
        pytest.skip(f"no Python {RUNTIME} on this machine to run the runtime's zip")
    with zipfile.ZipFile(package.path) as archive:
        archive.extractall(tmp_path / "code")
    emulator.modelarts.seed(PROJECT, "u-zip")
    env = dict(os.environ, CODE=str(tmp_path / "code"), PID=PROJECT, AK=AK, SK=SK, TOKEN=TOKEN,
               PYTHONDONTWRITEBYTECODE="1", HOME=str(tmp_path))
    done = subprocess.run([python, "-S", "-c", PROBE], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.split("RESULT ", 1)[1])
    assert result["status"] == "succeeded" and result["items"][0]["outcome"] == "deleted"
    assert emulator.modelarts.user_ids(PROJECT) == []
    assert not (Path(tmp_path) / ".huaweicloud").exists()


def test_the_flag_fixer_writes_what_marshalparser_writes(tmp_path):
    """packaging's faster fixer against the library's own code, on .pyc files of this Python as compiled
    (their FLAG_REF bits unfixed): byte for byte the same files."""
    import huaweicloudsdkcore.client
    from marshalparser.marshalparser import MarshalParser

    class Library(packaging._FlagRefFixer):
        read_bytes = MarshalParser.read_bytes
        clear_unused_ref_flags = MarshalParser.clear_unused_ref_flags

    sources = [*sorted((ROOT / "shared").glob("*.py")), Path(huaweicloudsdkcore.client.__file__)]
    for index, source in enumerate(sources):
        compiled = tmp_path / f"{index}.pyc"
        py_compile.compile(str(source), str(compiled), doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
        written = {}
        for fixer in (packaging._FlagRefFixer, Library):
            parser = fixer(compiled)
            parser.parse()
            with contextlib.redirect_stdout(io.StringIO()):
                parser.clear_unused_ref_flags(overwrite=False)
            fixed = compiled.with_suffix(".fixed.pyc")
            written[fixer] = fixed.read_bytes() if fixed.exists() else compiled.read_bytes()
            fixed.unlink(missing_ok=True)
        assert written[packaging._FlagRefFixer] == written[Library], source.name
