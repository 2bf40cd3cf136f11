"""Test harness: one emulator per session (state reset per test), real SDK, real HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

from fgrevoke.context import LocalContext
from fgrevoke.emulator import Emulator
from fgrevoke.functions import load as load_function  # noqa: F401 - used by the tests

ROOT = Path(__file__).resolve().parents[1]
EVENTS = Path(__file__).resolve().parent / "events"  # copies of ../shared/reference/events
REGION = "cn-north-4"
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
# Recognisable so the secret checks can look for them anywhere.
AK = "AKFGREVOKETESTKEY0001"
SK = "SKfgrevokeTestSecret0123456789abcdefghij"
TOKEN = "TOKENfgrevoke-test-security-token=="
SECRETS = (AK, SK, TOKEN)
SERVICES = ("MODELARTS", "WORKSPACE", "WORKSPACEAPP")


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def emulator(emulator_session: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    emulator_session.reset()
    emulator_session.credentials.clear()
    emulator_session.add_credentials(AK, SK, TOKEN)
    for service in SERVICES:
        monkeypatch.setenv(f"HUAWEICLOUD_SDK_REGION_{service}_CN_NORTH_4", emulator_session.endpoint)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN", "REGION",
                 "PROJECT_ID", "DRY_RUN", "RUNTIME_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    return emulator_session


def make_context(timeout_seconds: float = 30.0, agency: bool = True, **user_data: str) -> LocalContext:
    settings: Dict[str, str] = {"REGION": REGION, "PROJECT_ID": PROJECT, "DRY_RUN": "false"}
    settings.update(user_data)
    keys = dict(security_access_key=AK, security_secret_key=SK, security_token=TOKEN) if agency else {}
    return LocalContext({k: v for k, v in settings.items() if v is not None}, timeout_seconds=timeout_seconds,
                        function_name="fgrevoke-test", **keys)


@pytest.fixture
def context() -> Any:
    return make_context


def reference_event(name: str) -> Dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def apig_event(method: str, body: Any = None, query: Any = None, base64_body: bool = False) -> Dict[str, Any]:
    import base64

    text = "" if body is None else (body if isinstance(body, str) else json.dumps(body))
    if base64_body:
        text = base64.b64encode(text.encode()).decode()
    return {"httpMethod": method, "path": "/revoke", "headers": {"content-type": "application/json"},
            "queryStringParameters": query or {}, "pathParameters": {},
            "requestContext": {"apiId": "api-1", "requestId": "apig-req-1", "stage": "RELEASE"},
            "body": text, "isBase64Encoded": base64_body}


def apig_body(response: Dict[str, Any]) -> Dict[str, Any]:
    assert set(response) == {"statusCode", "headers", "body", "isBase64Encoded"}
    assert response["isBase64Encoded"] is False
    return json.loads(response["body"])


def log_lines(text: str) -> list:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
