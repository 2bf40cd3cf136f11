"""``fgrevoke event`` and ``fgrevoke invoke``: sample events, and a handler run on this machine."""

from __future__ import annotations

import base64
import contextlib
import json
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

from fgrevoke import functions
from fgrevoke.context import LocalContext
from fgrevoke.template import FunctionSpec

KINDS = ("direct", "timer", "apig", "cts", "eventgrid", "smn")
EXAMPLE_REQUEST = {"user_id": "u-example"}


def sample_event(kind: str, request: Optional[Dict[str, Any]] = None, *, method: str = "POST",
                 user_id: str = "0b8d4c6f1a2e4f3b9c7d6e5f4a3b2c1d", user_name: str = "departing.employee",
                 base64_body: bool = True) -> Dict[str, Any]:
    """A ready-to-edit event of each trigger kind the handlers accept (shapes: README, Triggers)."""
    request = dict(EXAMPLE_REQUEST if request is None else request)
    text = json.dumps(request)
    if kind == "direct":
        return request
    if kind == "timer":
        return {"version": "v1.0", "time": "2026-11-24T02:00:00+08:00", "trigger_type": "TIMER",
                "trigger_name": "fgrevoke-timer", "user_event": text}
    if kind == "apig":
        query = {}
        if method == "DELETE" and set(request) == {"user_id"}:
            query, text = {"user_id": request["user_id"]}, ""
        return {"httpMethod": method, "path": "/fgrevoke", "headers": {"content-type": "application/json"},
                "queryStringParameters": query, "pathParameters": {},
                "requestContext": {"apiId": "api-example", "requestId": uuid.uuid4().hex, "stage": "RELEASE"},
                "body": base64.b64encode(text.encode()).decode() if base64_body else text,
                "isBase64Encoded": base64_body}
    if kind == "cts":
        return {"cts": {"time": 1765788999507, "record_time": 1765788999507, "code": 204,
                        "user": {"name": "iam-admin", "id": "e14aed517380466cac2d109877a5ac6b",
                                 "domain": {"name": "example-account", "id": "e51dfca1c18747919f6c16af2721f35d"}},
                        "request": {}, "response": {}, "service_type": "IAM", "resource_type": "user",
                        "resource_name": user_name, "resource_id": user_id, "trace_name": "deleteUser",
                        "trace_type": "ConsoleAction", "trace_id": str(uuid.uuid4()), "trace_status": "normal"}}
    if kind == "eventgrid":
        return {"id": str(uuid.uuid4()), "specversion": "1.0", "source": "HR.offboarding", "type": "person.left",
                "datacontenttype": "application/json", "subject": "offboarding", "time": "2026-11-24T02:00:00Z",
                "data": request}
    if kind == "smn":
        return {"record": [{"event_version": "1.0", "event_subscription_urn": "urn:example", "event_source": "smn",
                            "smn": {"topic_urn": "urn:smn:example", "timestamp": "2026-11-24T02:00:00Z",
                                    "message_attributes": None, "message": text, "type": "notification",
                                    "message_id": uuid.uuid4().hex, "subject": "fgrevoke"}}],
                "functionname": "fgrevoke", "requestId": str(uuid.uuid4()), "timestamp": "2026-11-24T02:00:00Z"}
    raise ValueError(f"unknown trigger kind {kind!r}; known: {', '.join(KINDS)}")


def read_env_file(path: Optional[Path]) -> Dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments skipped."""
    values: Dict[str, str] = {}
    if path is None:
        return values
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"{path}:{number}: expected KEY=VALUE")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def context_for(spec: FunctionSpec, env: Dict[str, str], keys: Dict[str, str]) -> LocalContext:
    """Request id, remaining time from the template's timeout, user data from its variables and ``env``."""
    user_data = {**{k: str(v) for k, v in spec.variables.items()}, **env}
    return LocalContext(user_data, function_name=spec.name, timeout_seconds=float(spec.properties.get("Timeout", 30)),
                        **keys)


@contextlib.contextmanager
def logs_to_stderr() -> Iterator[None]:
    """The handler logs to stdout (for LTS); locally the result owns stdout."""
    stdout, sys.stdout = sys.stdout, sys.stderr
    try:
        yield
    finally:
        sys.stdout = stdout


def invoke(spec: FunctionSpec, event: Any, env: Dict[str, str], emulator: bool) -> Any:
    handler = functions.load(spec.folder).handler
    if not emulator:
        return _run(handler, event, context_for(spec, env, {}))
    from fgrevoke import demo

    embedded = demo.start_emulator()
    try:
        seed_examples(embedded)
        keys = {"security_access_key": demo.DEMO_AK, "security_secret_key": demo.DEMO_SK,
                "security_token": demo.DEMO_TOKEN}
        env = {"REGION": demo.REGION, "PROJECT_ID": demo.PROJECT, **env}
        return _run(handler, event, context_for(spec, env, keys))
    finally:
        embedded.stop()


def _run(handler: Any, event: Any, context: LocalContext) -> Any:
    with logs_to_stderr():
        return handler(event, context)


def seed_examples(emulator: Any) -> None:
    """What the sample events name exists in the embedded emulator."""
    from fgrevoke.demo import PROJECT

    for user_id in ("u-example", "0b8d4c6f1a2e4f3b9c7d6e5f4a3b2c1d"):
        emulator.modelarts.seed(PROJECT, user_id)
    for index in range(3):
        emulator.workspace.seed(PROJECT, policy_id=f"policy-{index + 1}", age_days=30 * index)
    for index in range(3):
        group = emulator.workspaceapp.seed_group(PROJECT, f"apps-{index}", f"700{index}")
        for account in ("departing.employee", "alice", "bob"):
            emulator.workspaceapp.grant(PROJECT, group, account)
