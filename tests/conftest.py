"""Test harness: one emulator per session (state reset per test), real SDK, real HTTP, and the secrets
watch. Event builders and readers live in the test kit, ``fgrevoke.testkit``."""

from __future__ import annotations

import io
import json
import os
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional

import pytest

from fgrevoke import functions, testkit
from fgrevoke.emulator import Emulator
from fgrevoke.testkit import AgencyKeys, LocalContext

ROOT = Path(__file__).resolve().parents[1]
EVENTS = Path(__file__).resolve().parent / "events"  # provenance: tests/events/PROVENANCE.md
REGION = "cn-north-4"
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
# Recognisable so the secret checks can look for them anywhere.
AK = "AKFGREVOKETESTKEY0001"
SK = "SKfgrevokeTestSecret0123456789abcdefghij"
TOKEN = "TOKENfgrevoke-test-security-token=="
ROTATED = ("AKFGREVOKEROTATED0002", "SKfgrevokeRotatedSecret0123456789abcdefg", "TOKENfgrevoke-rotated==")
SECRETS = (AK, SK, TOKEN) + ROTATED
# make test-fast: every reading and property once over fewer cases; make test runs them all.
FAST = os.environ.get("FGREVOKE_FAST") == "1"
SERVICES = functions.service_names()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: many subprocesses; left out of the inner loop")


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


# -- the secrets watch: every test, every suite --------------------------------------------------
WATCHED: List[str] = []  # handler results and exception texts of the running test
FIGURES: Counter = Counter()


def find_secrets(texts: Iterable[str]) -> List[str]:
    """The recognisable secrets (shortened) that occur in any of the texts."""
    joined = "\n".join(texts)
    return [secret[:6] + "…" for secret in SECRETS if secret in joined]


class _Tee(io.TextIOBase):
    def __init__(self, target: Any, seen: List[str]) -> None:
        self._target, self._seen = target, seen

    def write(self, text: str) -> int:
        self._seen.append(text)
        return self._target.write(text)

    def flush(self) -> None:
        self._target.flush()


@pytest.hookimpl(wrapper=True, trylast=True)  # innermost: inside the capture plugin
def pytest_runtest_call(item: pytest.Item) -> Any:
    seen: List[str] = []
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Tee(out, seen), _Tee(err, seen)
    try:
        return (yield)
    finally:
        sys.stdout, sys.stderr = out, err
        leaks = find_secrets(seen + WATCHED)
        WATCHED.clear()
        FIGURES["tests watched for secrets"] += 1
        if "test_fault_matrix" in item.nodeid:
            FIGURES["fault scenarios"] += 1
        if leaks:
            raise AssertionError(f"secret(s) {leaks} appeared in output, a result or an exception")


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """Mark ``runtime`` every test of a module that exercises what ships (see pyproject.toml's markers)."""
    for item in items:
        module = getattr(item, "module", None)
        if module is not None and exercises_shipped_code(module):
            item.add_marker(pytest.mark.runtime)


def exercises_shipped_code(module: ModuleType) -> bool:
    """The test module loads a function (``load_function``, or holds a handler module) or imports from
    ``shared/``."""
    for name, value in vars(module).items():
        origin = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
        if name == "load_function" or (isinstance(origin, str) and origin.split(".")[0] == "shared"):
            return True
        if isinstance(value, ModuleType) and str(getattr(value, "__file__", "")).startswith(str(ROOT / "functions")):
            return True
    return False


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.write_line("reliability figures: " + ", ".join(f"{k}: {v}" for k, v in FIGURES.items()))


def load_function(name: str) -> ModuleType:
    """The function module, with its handler watched for secrets in results and exceptions."""
    module = functions.load(name)
    if not getattr(module.handler, "watched", False):
        original = module.handler

        def watched(event: Any, context: Any) -> Any:
            FIGURES["handler invocations"] += 1
            try:
                result = original(event, context)
            except Exception as error:
                WATCHED.append(f"{type(error).__name__}: {error}")
                raise
            WATCHED.append(json.dumps(result, default=str))
            return result

        watched.watched = True  # type: ignore[attr-defined]
        module.handler = watched
    return module


@pytest.fixture
def emulator(emulator_session: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    emulator_session.reset()
    emulator_session.credentials.clear()
    emulator_session.add_credentials(AK, SK, TOKEN)
    for service in SERVICES:
        monkeypatch.setenv(f"HUAWEICLOUD_SDK_REGION_{service}_CN_NORTH_4", emulator_session.endpoint)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN", "REGION",
                 "PROJECT_ID", "DRY_RUN", "RUNTIME_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    yield emulator_session
    FIGURES["faults injected"] += sum(fault.hits for fault in emulator_session.faults)
    recorded = json.dumps([(c["response"], c["headers"]) for c in emulator_session.calls()], default=str)
    assert not find_secrets([recorded]), "a secret is in the emulator's recorded requests or responses"


@pytest.fixture
def region_endpoints(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Dict[str, str]]:
    """``region_endpoints("cn-north-4", "ap-southeast-1")`` points every service (``testkit.REGIONAL_SERVICES``,
    or ``services=``) of those regions at the emulator's endpoint of each region, for this test."""

    def point(*regions: str, services: Iterable[str] = testkit.REGIONAL_SERVICES) -> Dict[str, str]:
        variables = testkit.region_endpoints(emulator, regions, services)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return variables

    return point


def make_context(timeout_seconds: float = 30.0, agency: bool = True, **user_data: Optional[str]) -> LocalContext:
    """A context with the test project and the recognisable test keys (``agency=False``: no keys)."""
    settings: Dict[str, Optional[str]] = {"REGION": REGION, "PROJECT_ID": PROJECT, "DRY_RUN": "false", **user_data}
    return testkit.context(settings, keys=AgencyKeys(AK, SK, TOKEN) if agency else None,
                           timeout_seconds=timeout_seconds, function_name="fgrevoke-test")


@pytest.fixture
def context() -> Any:
    return make_context


def reference_event(name: str) -> Dict[str, Any]:
    return json.loads((EVENTS / name).read_text())
