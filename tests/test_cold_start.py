"""Import-time behaviour that matters on a fresh FunctionGraph instance (no timing asserted here:
speed is measured by `make bench`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
