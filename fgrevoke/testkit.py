"""One kit for the tests, the CLI and the demo: events of every trigger kind, a FunctionGraph-like
context, and readers for what the functions answer and log.

Event shapes are FunctionGraph's (README, "Triggers"; captured examples in tests/events/).
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Tuple

from fgrevoke.errors import UsageError
from fgrevoke.functions import ROOT
from fgrevoke.template import FunctionSpec
from shared.triggers import APIG, CTS, DIRECT, EVENTGRID, SMN, TIMER

if TYPE_CHECKING:
    from fgrevoke.emulator import Emulator

KINDS = (DIRECT, TIMER, APIG, CTS, EVENTGRID, SMN)
EVENT_TIME = "2026-11-24T02:00:00+08:00"


# -- the context ------------------------------------------------------------------------------------
class LocalContext:
    """What FunctionGraph hands a handler as ``context``: request id, remaining time, user data, keys."""

    def __init__(self, user_data: Optional[Dict[str, str]] = None, *, function_name: str = "local",
                 timeout_seconds: float = 30.0, request_id: Optional[str] = None,
                 security_access_key: str = "", security_secret_key: str = "",
                 security_token: str = "") -> None:
        self.user_data = dict(user_data or {})
        self.function_name = function_name
        self.timeout_seconds = timeout_seconds
        self.request_id = request_id or str(uuid.uuid4())
        self.security_access_key = security_access_key
        self.security_secret_key = security_secret_key
        self.security_token = security_token
        self._started = time.monotonic()

    def getRequestID(self) -> str:
        return self.request_id

    def getRemainingTimeInMilliSeconds(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))

    def getUserData(self, key: str, default: str = "") -> str:
        return self.user_data.get(key, default)

    def getFunctionName(self) -> str:
        return self.function_name

    def getRunningTimeInSeconds(self) -> int:
        return int(self.timeout_seconds)

    def getSecurityAccessKey(self) -> str:
        return self.security_access_key

    def getSecuritySecretKey(self) -> str:
        return self.security_secret_key

    def getSecurityToken(self) -> str:
        return self.security_token


@dataclass(frozen=True, repr=False)
class AgencyKeys:
    """The temporary keys FunctionGraph gives a function with an agency."""

    access_key: str
    secret_key: str
    security_token: str = ""

    def __repr__(self) -> str:
        return "AgencyKeys(access_key='***')"


def context(settings: Optional[Mapping[str, Optional[str]]] = None, *, keys: Optional[AgencyKeys] = None,
            timeout_seconds: float = 30.0, function_name: str = "local",
            request_id: Optional[str] = None) -> LocalContext:
    """A context whose user data are ``settings`` (None values left out), signed with ``keys`` if given."""
    user_data = {name: str(value) for name, value in (settings or {}).items() if value is not None}
    agency = {} if keys is None else {"security_access_key": keys.access_key,
                                      "security_secret_key": keys.secret_key,
                                      "security_token": keys.security_token}
    return LocalContext(user_data, function_name=function_name, timeout_seconds=timeout_seconds,
                        request_id=request_id, **agency)


# -- events of each trigger kind ----------------------------------------------------------------------
def direct_event(request: Dict[str, Any]) -> Dict[str, Any]:
    return dict(request)


def timer_event(user_event: Any, *, name: str = "fgrevoke-timer", at: str = EVENT_TIME) -> Dict[str, Any]:
    """``user_event`` is the trigger's additional information: text as configured, or a request to encode."""
    text = user_event if isinstance(user_event, str) else json.dumps(user_event)
    return {"version": "v1.0", "time": at, "trigger_type": "TIMER", "trigger_name": name, "user_event": text}


def apig_event(method: str = "POST", body: Any = None, query: Optional[Dict[str, Any]] = None,
               base64_body: bool = False, *, path: str = "/revoke", request_id: str = "apig-req-1",
               stage: str = "RELEASE", headers: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """What an API Gateway trigger sends; ``body`` is bytes or text as sent, or a value to encode as JSON."""
    if isinstance(body, bytes):
        text = base64.b64encode(body).decode("ascii") if base64_body else body.decode("utf-8", "replace")
    else:
        text = "" if body is None else (body if isinstance(body, str) else json.dumps(body))
        if base64_body:
            text = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return {"httpMethod": method, "path": path,
            "headers": {"content-type": "application/json"} if headers is None else dict(headers),
            "queryStringParameters": query or {}, "pathParameters": {},
            "requestContext": {"apiId": "api-1", "requestId": request_id, "stage": stage},
            "body": text, "isBase64Encoded": base64_body}


def cts_event(user_id: str, user_name: Optional[str] = None, *, trace_name: str = "deleteUser",
              code: int = 204, trace_id: Optional[str] = None) -> Dict[str, Any]:
    """A CTS trace of an IAM user deletion (the offboarding the functions act on)."""
    return {"cts": {"time": 1765788999507, "record_time": 1765788999507, "code": code,
                    "user": {"name": "iam-admin", "id": "e14aed517380466cac2d109877a5ac6b",
                             "domain": {"name": "example-account", "id": "e51dfca1c18747919f6c16af2721f35d"}},
                    "request": {}, "response": {}, "service_type": "IAM", "resource_type": "user",
                    "resource_name": user_name, "resource_id": user_id, "trace_name": trace_name,
                    "trace_type": "ConsoleAction", "trace_id": trace_id or str(uuid.uuid4()),
                    "trace_status": "normal"}}


def eventgrid_event(data: Any, *, source: str = "HR.offboarding", event_type: str = "person.left",
                    event_id: Optional[str] = None) -> Dict[str, Any]:
    """One CloudEvent as an EventGrid trigger delivers it."""
    return {"id": event_id or str(uuid.uuid4()), "specversion": "1.0", "source": source, "type": event_type,
            "datacontenttype": "application/json", "subject": "offboarding", "time": "2026-11-24T02:00:00Z",
            "data": data}


def smn_event(message: Any, *, topic_urn: str = "urn:smn:example", message_id: Optional[str] = None
              ) -> Dict[str, Any]:
    """An SMN notification; ``message`` is text as published, or a request to encode."""
    text = message if isinstance(message, str) else json.dumps(message)
    return {"record": [{"event_version": "1.0", "event_subscription_urn": "urn:example", "event_source": "smn",
                        "smn": {"topic_urn": topic_urn, "timestamp": "2026-11-24T02:00:00Z",
                                "message_attributes": None, "message": text, "type": "notification",
                                "message_id": message_id or uuid.uuid4().hex, "subject": "fgrevoke"}}],
            "functionname": "fgrevoke", "requestId": str(uuid.uuid4()), "timestamp": "2026-11-24T02:00:00Z"}


# -- reading what came back ---------------------------------------------------------------------------
def apig_body(response: Dict[str, Any]) -> Dict[str, Any]:
    """The JSON body of an APIG-shaped answer, after checking the shape APIG requires."""
    assert set(response) == {"statusCode", "headers", "body", "isBase64Encoded"}
    assert response["isBase64Encoded"] is False
    return dict(json.loads(response["body"]))


def log_lines(text: str) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def audit_records(text: str) -> List[Dict[str, Any]]:
    """One dict per target from the grouped "revocation" audit lines."""
    flat: List[Dict[str, Any]] = []
    for line in log_lines(text):
        if line["event"] == "revocation":
            common = {key: value for key, value in line.items() if key != "targets"}
            flat.extend({**common, **target} for target in line["targets"])
    return flat


# -- a sample event per function and trigger kind ----------------------------------------------------
# A request each function accepts (tests/test_event.py proves it with the function's validate_request).
SAMPLE_REQUESTS: Dict[str, Dict[str, Any]] = {
    "modelarts_delete_authorizations": {"user_id": "u-example"},
    "workspace_batch_delete_access_policies": {"policy_id_list": ["policy-1"]},
    "workspaceapp_batch_delete_app_group_authorization": {"accounts": ["departing.employee"]},
}
# Access policies are not a person's: this function ignores IAM user deletions (CTS).
IGNORES_OFFBOARDING = frozenset({"workspace_batch_delete_access_policies"})
SAMPLE_USER_ID, SAMPLE_USER_NAME = "0b8d4c6f1a2e4f3b9c7d6e5f4a3b2c1d", "departing.employee"
TRIGGER_TYPES = {TIMER: ("TIMER",), APIG: ("DEDICATEDGATEWAY", "APIG"), CTS: ("CTS",),
                 EVENTGRID: ("EVENTGRID",), SMN: ("SMN",)}


def kinds_for(folder: str) -> Tuple[str, ...]:
    """The trigger kinds a function acts on."""
    return tuple(kind for kind in KINDS if not (kind == CTS and folder in IGNORES_OFFBOARDING))


def sample_event(spec: FunctionSpec, kind: str, request: Optional[Dict[str, Any]] = None, *,
                 body: Optional[str] = None, method: str = "POST", user_id: str = SAMPLE_USER_ID,
                 user_name: str = SAMPLE_USER_NAME) -> Dict[str, Any]:
    """An event of ``kind`` for the function of ``spec``, shaped by its trigger in the template when it has
    one (the TIMER's own ``user_event``, the APIG path, the EventGrid source and type)."""
    if kind not in kinds_for(spec.folder):
        raise UsageError(f"{spec.folder} does not act on {kind} events; it takes: {', '.join(kinds_for(spec.folder))}")
    trigger = _template_trigger(spec, kind)
    configured = trigger.get("user_event") if kind == TIMER and request is None else None
    request = dict(SAMPLE_REQUESTS.get(spec.folder, {}) if request is None else request)
    if kind == DIRECT:
        return direct_event(request)
    if kind == TIMER:
        return timer_event(configured if configured else request, name=str(trigger.get("name", "fgrevoke-timer")))
    if kind == APIG:
        query: Dict[str, Any] = {}
        if body is None and method == "DELETE" and set(request) == {"user_id"}:
            query, body = {"user_id": request["user_id"]}, ""
        return apig_event(method, json.dumps(request) if body is None else body, query, base64_body=True,
                          path=str(trigger.get("path", f"/{spec.folder}")), request_id=uuid.uuid4().hex,
                          stage=str(trigger.get("env_name", "RELEASE")))
    if kind == CTS:
        operation = str((trigger.get("operations") or ["IAM:user:deleteUser"])[0])
        # Service:resource:op1;op2 (the documented form): the sample is a trace of the first operation
        return cts_event(user_id, user_name, trace_name=operation.rsplit(":", 1)[-1].split(";")[0])
    if kind == EVENTGRID:
        types = trigger.get("event_types") or ["person.left"]
        return eventgrid_event(request, source=str(trigger.get("source_name", "HR.offboarding")),
                               event_type=str(types[0]))
    return smn_event(request, topic_urn=str(trigger.get("topic_urn", "urn:smn:example")))


def _template_trigger(spec: FunctionSpec, kind: str) -> Dict[str, Any]:
    for trigger in spec.triggers:
        if trigger.get("TriggerTypeCode") in TRIGGER_TYPES.get(kind, ()):
            return dict(trigger.get("EventData") or {})
    return {}


# -- endpoints: every region at the emulator ---------------------------------------------------------
# The SDK services the functions and their scope (discovery, member accounts) call.
REGIONAL_SERVICES = ("MODELARTS", "WORKSPACE", "WORKSPACEAPP", "IAM", "STS")


def region_endpoints(emulator: "Emulator", regions: Iterable[str],
                     services: Iterable[str] = REGIONAL_SERVICES) -> Dict[str, str]:
    """``HUAWEICLOUD_SDK_REGION_<SERVICE>_<REGION>`` for each service and region, naming the emulator's endpoint
    of that region (``Emulator.endpoint_for``), so its journal tells which region each call went to. A service
    left out stays as the SDK's region table has it (a region where it has no endpoint stays without one)."""
    return {f"HUAWEICLOUD_SDK_REGION_{service.upper()}_{region.replace('-', '_').upper()}":
            emulator.endpoint_for(region) for service in services for region in regions}


def sources_only_package(spec: FunctionSpec, dist: Path) -> Path:
    """A zip as `fgrevoke package` lays out the sources, without the dependencies (which deploy does not check):
    deploy takes it as current, so a test of what deploy does after the build need not wait for pip."""
    import zipfile

    from fgrevoke import deploy

    path = dist / f"{spec.folder}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for source, name in deploy._sources(spec):
            archive.writestr(name, source.read_bytes())
    return path


# -- the fgrevoke command, run as a user runs it ------------------------------------------------------
SETTING_PREFIXES = ("HUAWEICLOUD_SDK_", "REGION", "PROJECT_ID", "RUNTIME_PROJECT_ID", "DRY_RUN", "LOG_LEVEL",
                    "PROTECTED_", "ALLOW_ALL_USERS", "APP_GROUP_IDS", "MAX_", "HTTP_", "RETRY_", "POLICY_")


def command_env(**settings: str) -> Dict[str, str]:
    """This process's environment without any function or SDK setting, plus ``settings``; loopback unproxied."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(SETTING_PREFIXES)}
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env.update(settings)
    return env


def run_command(*argv: str, env: Optional[Dict[str, str]] = None, stdin: Optional[str] = None,
                timeout: float = 120.0) -> "subprocess.CompletedProcess[str]":
    """``python -m fgrevoke ARGV`` in a subprocess: its exit code, stdout and stderr."""
    return subprocess.run([sys.executable, "-m", "fgrevoke", *argv], input=stdin, capture_output=True, text=True,
                          env=command_env() if env is None else env, timeout=timeout, cwd=ROOT)


class Background:
    """``python -m fgrevoke ARGV`` left running (an emulator, ``serve``), its output lines collected."""

    def __init__(self, *argv: str, env: Optional[Dict[str, str]] = None) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "fgrevoke", *argv], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, cwd=ROOT,
                                        env=command_env() if env is None else env)
        self.stdout: List[str] = []
        self.stderr: List[str] = []
        for stream, lines in ((self.process.stdout, self.stdout), (self.process.stderr, self.stderr)):
            threading.Thread(target=_collect, args=(stream, lines), daemon=True).start()

    def wait_for(self, pattern: str, stream: str = "stderr", timeout: float = 30.0) -> "re.Match[str]":
        """The first match of ``pattern`` in a line of ``stream``; fails if the process ends first."""
        lines = self.stdout if stream == "stdout" else self.stderr
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ended = self.process.poll() is not None
            if ended:
                time.sleep(0.2)  # let the readers take the last lines
            for line in list(lines):
                found = re.search(pattern, line)
                if found:
                    return found
            if ended:
                raise AssertionError(f"exited {self.process.returncode} without {pattern!r}: "
                                     f"{''.join(self.stdout + self.stderr)[-2000:]}")
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} within {timeout} s: {''.join(lines)[-2000:]}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(timeout=30)

    def __enter__(self) -> "Background":
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.stop()


def _collect(stream: Any, lines: List[str]) -> None:
    for line in stream:
        lines.append(line)
