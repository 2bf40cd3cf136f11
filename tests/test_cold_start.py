"""Import-time behaviour that matters on a fresh FunctionGraph instance (no timing asserted here:
speed is measured by `make bench`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.runtime  # the SDK loading and deferred imports must hold on every runtime
ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import sys
sys.path.insert(0, {root!r})
from shared.sdk_loader import service_package
sdk = service_package("huaweicloudsdkmodelarts.v1")
sdk.ModelArtsClient, sdk.DeleteAuthorizationsRequest
import huaweicloudsdkcore.client
print(sum(1 for name in sys.modules if name.startswith("huaweicloudsdkmodelarts.v1.model.")))
"""


def test_sdk_loading_writes_nothing_to_home_and_loads_few_models(tmp_path):
    env = dict(os.environ, HOME=str(tmp_path), PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run([sys.executable, "-c", PROBE.format(root=str(ROOT))], env=env, capture_output=True,
                          text=True, check=True)
    assert list(tmp_path.iterdir()) == [], "the SDK wrote to $HOME"
    assert int(done.stdout.strip()) <= 5, "only the models a call needs are loaded (1,278 exist)"


HANDLER_PROBE = """
import json, os, sys
sys.path[:0] = [{root!r}, {root!r} + "/functions/workspace_batch_delete_access_policies"]
import index
class Context:
    def getUserData(self, key, default=""):
        return {{"REGION": os.environ["PROBE_REGION"], "PROJECT_ID": {project!r}, "DRY_RUN": "false"}}.get(key, default)
    def getRemainingTimeInMilliSeconds(self): return 30000
    def getSecurityAccessKey(self): return {ak!r}
    def getSecuritySecretKey(self): return {sk!r}
    def getSecurityToken(self): return {token!r}
result = index.handler({{"policy_id_list": [os.environ["PROBE_POLICY"]]}}, Context())
print("RESULT " + json.dumps({{"outcome": result["items"][0]["outcome"],
                               "loaded": [name for name in {deferred!r} if name in sys.modules]}}))
"""
# Imported at the top of a module on the cold path, used only on paths these functions never take
# (shared/deferred_imports.py): a cold invocation loads none of them.
DEFERRED = ("asyncio", "yaml", "pyasn1.type.univ", "importlib.metadata", "zipfile")


def _serve_one_in_a_fresh_process(emulator, tmp_path, region, **env_vars):
    from conftest import AK, PROJECT, SK, TOKEN

    policy = emulator.workspace.seed(PROJECT)
    probe = HANDLER_PROBE.format(root=str(ROOT), project=PROJECT, ak=AK, sk=SK, token=TOKEN, deferred=DEFERRED)
    env = dict(os.environ, HOME=str(tmp_path), PYTHONDONTWRITEBYTECODE="1", PROBE_REGION=region,
               PROBE_POLICY=policy, **env_vars)
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert emulator.workspace.policy_ids(PROJECT) == []
    return json.loads(done.stdout.split("RESULT ", 1)[1])


def test_a_cold_invocation_imports_none_of_the_deferred_modules(emulator, tmp_path):
    result = _serve_one_in_a_fresh_process(emulator, tmp_path, "cn-north-4")
    assert result == {"outcome": "deleted", "loaded": []}


def test_the_sdks_regions_file_still_works_through_the_deferred_yaml(emulator, tmp_path):
    regions = tmp_path / "regions.yaml"
    regions.write_text(f"WORKSPACE:\n  - id: xx-probe-1\n    endpoint: {emulator.endpoint}\n")
    result = _serve_one_in_a_fresh_process(emulator, tmp_path, "xx-probe-1",
                                           HUAWEICLOUD_SDK_REGIONS_FILE=str(regions))
    assert result == {"outcome": "deleted", "loaded": ["yaml"]}


def test_structlogs_async_methods_still_work_through_the_deferred_asyncio():
    probe = (f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
             "from shared import log\nimport asyncio, structlog\nlog.configure('INFO')\n"
             "asyncio.run(structlog.get_logger().ainfo('from a coroutine'))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["event"] == "from a coroutine"


def test_what_the_sdk_and_requests_defer_still_works_when_used(tmp_path):
    """The SM2/ECDSA signers (pyasn1), urllib3's HTTP/2 switch (importlib.metadata) and a CA bundle inside a zip
    (zipfile) reach the real modules on first use."""
    bundle = tmp_path / "certs.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("ca.pem", "-----BEGIN CERTIFICATE-----\n")
    probe = (f"import sys; sys.path[:0] = [{str(ROOT)!r}]\n"
             "from shared import retry\nfrom shared.sdk_loader import service_package\n"
             "service_package('huaweicloudsdkmodelarts.v1')\n"
             "assert 'pyasn1.type.univ' not in sys.modules and 'zipfile' not in sys.modules\n"
             "from huaweicloudsdkcore.signer.utils import P256SigningKey\n"
             "key = P256SigningKey(123456789)\n"
             "assert key.verify(key.sign(b'payload'), b'payload')\n"
             "import requests.utils\n"
             f"extracted = requests.utils.extract_zipped_paths({str(bundle / 'ca.pem')!r})\n"
             "assert open(extracted).read().startswith('-----BEGIN'), extracted\n"
             "import urllib3.http2\n"
             "try:\n    urllib3.http2.inject_into_urllib3()\n"
             "except Exception as error:\n    print(type(error).__name__)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "PackageNotFoundError"  # the real importlib.metadata looked for h2


DATACLASS_PROBE = """
import importlib, json, sys
sys.path.insert(0, {root!r})
for name in {names!r}:
    sys.path.insert(0, {root!r} + "/functions/" + name)
    importlib.import_module("index")
    sys.path.pop(0)
    for plain in ("index", "sweep"):  # each function has its own
        sys.modules.pop(plain, None)
print(json.dumps([module + "." + name for module, loaded in sorted(sys.modules.items()) if module.startswith("shared")
                  for name, value in vars(loaded).items()
                  if isinstance(value, type) and "__dataclass_fields__" in vars(value)]))
"""


def test_importing_a_handler_creates_no_dataclass_in_shared():
    # A dataclass costs ~0.5-1 ms to create at import, on every cold start (docs/performance.md).
    names = sorted(path.parent.name for path in (ROOT / "functions").glob("*/index.py"))
    probe = DATACLASS_PROBE.format(root=str(ROOT), names=names)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


GC_PROBE = """
import gc, json, sys
sys.path[:0] = [{root!r}, {root!r} + "/functions/workspace_batch_delete_access_policies"]
{host}
import index
class Context:
    def getUserData(self, key, default=""):
        return {{"REGION": "cn-north-4", "PROJECT_ID": "0b1e2d3c4b5a69788796a5b4c3d2e1f0"}}.get(key, default)
    def getRemainingTimeInMilliSeconds(self): return 30000
seen = [gc.isenabled()]
answer = index.handler({{"policy_id_list": "not a list"}}, Context())
seen.append(gc.isenabled())
index.handler({{"policy_id_list": "not a list"}}, Context())
print(json.dumps({{"seen": seen + [gc.isenabled()], "error_code": answer.get("error_code")}}))
"""


@pytest.mark.parametrize("host, expected", [
    ("", [False, True, True]),  # paused through the import and the first invocation, then as before
    ("gc.disable()", [False, False, False]),  # a host that turned the collector off keeps it off
])
def test_the_collector_waits_out_the_cold_start_only(host, expected):
    probe = GC_PROBE.format(root=str(ROOT), host=host)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == {"seen": expected, "error_code": "FGR.InvalidRequest"}
