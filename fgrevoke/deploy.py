"""``fgrevoke deploy``: make the account match template.yml, through the official FunctionGraph SDK.

For each function: create it or update its code (when the zip's SHA-512 differs from the service's
``digest``) and configuration (when a field differs), create missing triggers and delete those the
template no longer names, and set the asynchronous invocation policy. ``plan`` changes nothing; a
second ``apply`` with nothing changed makes no write call.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from fgrevoke.packaging import mib
from fgrevoke.template import FunctionSpec

PACKAGE = "fgrevoke"


@dataclass
class Action:
    function: str
    kind: str  # create_function, update_code, update_config, create_trigger, delete_trigger, update_async_config
    detail: str
    apply: Callable[[], None] = field(repr=False, default=lambda: None)

    def __str__(self) -> str:
        return f"{self.function}: {self.kind} ({self.detail})"


class Deployer:
    def __init__(self, client: Any, dist: Path, progress: Callable[[str], None] = lambda _: None) -> None:
        from huaweicloudsdkfunctiongraph import v2

        self.sdk = v2
        self.client = client
        self.dist = dist
        self.progress = progress

    # -- reading the account ---------------------------------------------------------------------
    def current(self) -> Dict[str, Dict[str, Any]]:
        functions: Dict[str, Dict[str, Any]] = {}
        marker = "0"
        while True:
            page = self.client.list_functions(self.sdk.ListFunctionsRequest(marker=marker, maxitems="400"))
            body = page.to_json_object() or {}
            for function in body.get("functions") or []:
                functions[function["func_name"]] = function
            entries = len(body.get("functions") or [])
            if not entries or len(functions) >= int(body.get("count") or 0):
                return functions
            marker = str(body.get("next_marker"))

    # -- planning -----------------------------------------------------------------------------------
    def plan(self, specs: List[FunctionSpec]) -> List[Action]:
        existing = self.current()
        actions: List[Action] = []
        for spec in specs:
            code = self._code(spec)
            function = existing.get(spec.name)
            if function is None:
                actions.append(Action(spec.name, "create_function", f"{spec.properties['Runtime']}, "
                                      f"{mib(len(code))} code", partial(self._create, spec, code)))
                urn = None
            else:
                urn = function["func_urn"]
                if function.get("digest") != hashlib.sha512(code).hexdigest():
                    actions.append(Action(spec.name, "update_code", f"upload {mib(len(code))}",
                                          partial(self._update_code, spec, urn, code)))
                changed = [name for name, value in self._config(spec).items() if function.get(name) != value]
                if changed:
                    actions.append(Action(spec.name, "update_config", ", ".join(changed),
                                          partial(self._update_config, spec, urn)))
            actions.extend(self._trigger_actions(spec, urn))
            actions.extend(self._async_actions(spec, urn))
        return actions

    def apply(self, actions: List[Action]) -> None:
        for number, action in enumerate(actions, 1):
            self.progress(f"[{number}/{len(actions)}] {action}")
            action.apply()

    def _config(self, spec: FunctionSpec) -> Dict[str, Any]:
        props = spec.properties
        return {"runtime": props["Runtime"], "handler": props["Handler"], "memory_size": props["MemorySize"],
                "timeout": props["Timeout"], "user_data": json.dumps(spec.variables, sort_keys=True),
                "xrole": props.get("Xrole"), "description": props.get("Description", "")}

    def _code(self, spec: FunctionSpec) -> bytes:
        path = self.dist / f"{spec.folder}.zip"
        if not path.is_file():
            raise SystemExit(f"{path} is missing: run `fgrevoke package` (or `make package`) first")
        return path.read_bytes()

    def _trigger_actions(self, spec: FunctionSpec, urn: Optional[str]) -> List[Action]:
        wanted = {_trigger_key(t["TriggerTypeCode"], t.get("EventData") or {}): t for t in spec.triggers}
        present: Dict[Tuple[str, str], Dict[str, Any]] = {}
        if urn is not None:
            listed = self.client.list_function_triggers(self.sdk.ListFunctionTriggersRequest(function_urn=urn))
            for trigger in listed.to_json_object() or []:
                present[_trigger_key(trigger["trigger_type_code"], trigger.get("event_data") or {})] = trigger
        actions = []
        for key, trigger in wanted.items():
            current = present.get(key)
            if current is not None and _same_trigger(current, trigger):
                continue
            if current is not None:
                actions.append(Action(spec.name, "delete_trigger", f"{key[0]} {key[1]} (changed)",
                                      partial(self._delete_trigger, spec, current)))
            actions.append(Action(spec.name, "create_trigger", f"{key[0]} {key[1]}",
                                  partial(self._create_trigger, spec, trigger)))
        for key, current in present.items():
            if key not in wanted:
                actions.append(Action(spec.name, "delete_trigger", f"{key[0]} {key[1]} (not in the template)",
                                      partial(self._delete_trigger, spec, current)))
        return actions

    def _async_actions(self, spec: FunctionSpec, urn: Optional[str]) -> List[Action]:
        wanted = spec.properties.get("AsyncInvokeConfig")
        if not wanted:
            return []
        if urn is not None:
            from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

            try:
                current = self.client.show_function_async_invoke_config(
                    self.sdk.ShowFunctionAsyncInvokeConfigRequest(function_urn=urn)).to_json_object() or {}
            except ClientRequestException as problem:
                if problem.status_code != 404:
                    raise
                current = {}
            if all(current.get(name) == value for name, value in wanted.items()):
                return []
        detail = f"retries {wanted.get('max_async_retry_attempts')}, max age " \
                 f"{wanted.get('max_async_event_age_in_seconds')} s, on failure " \
                 f"{(wanted.get('destination_config') or {}).get('on_failure', {}).get('destination', 'none')}"
        return [Action(spec.name, "update_async_config", detail, partial(self._update_async, spec))]

    # -- the calls --------------------------------------------------------------------------------
    def _urn(self, spec: FunctionSpec) -> str:
        return self.current()[spec.name]["func_urn"]

    def _create(self, spec: FunctionSpec, code: bytes) -> None:
        self.progress(f"    uploading {spec.folder}.zip ({mib(len(code))})")
        config = self._config(spec)
        body = self.sdk.CreateFunctionRequestBody(
            func_name=spec.name, package=PACKAGE, runtime=config["runtime"], handler=config["handler"],
            memory_size=config["memory_size"], timeout=config["timeout"], user_data=config["user_data"],
            xrole=config["xrole"], description=config["description"], code_type="zip",
            code_filename=f"{spec.folder}.zip", func_code=self.sdk.FuncCode(file=base64.b64encode(code).decode()),
            encrypted_user_data=_encrypted(spec))
        self.client.create_function(self.sdk.CreateFunctionRequest(body=body))

    def _update_code(self, spec: FunctionSpec, urn: str, code: bytes) -> None:
        self.progress(f"    uploading {spec.folder}.zip ({mib(len(code))})")
        body = self.sdk.UpdateFunctionCodeRequestBody(
            code_type="zip", code_filename=f"{spec.folder}.zip",
            func_code=self.sdk.FuncCode(file=base64.b64encode(code).decode()))
        self.client.update_function_code(self.sdk.UpdateFunctionCodeRequest(function_urn=urn, body=body))

    def _update_config(self, spec: FunctionSpec, urn: str) -> None:
        config = self._config(spec)
        body = self.sdk.UpdateFunctionConfigRequestBody(func_name=spec.name, encrypted_user_data=_encrypted(spec),
                                                        **config)
        self.client.update_function_config(self.sdk.UpdateFunctionConfigRequest(function_urn=urn, body=body))

    def _create_trigger(self, spec: FunctionSpec, trigger: Dict[str, Any]) -> None:
        body = self.sdk.CreateFunctionTriggerRequestBody(
            trigger_type_code=trigger["TriggerTypeCode"], trigger_status=trigger.get("Status", "ACTIVE"),
            event_type_code=trigger.get("EventTypeCode"), event_data=dict(trigger.get("EventData") or {}))
        self.client.create_function_trigger(self.sdk.CreateFunctionTriggerRequest(function_urn=self._urn(spec),
                                                                                   body=body))

    def _delete_trigger(self, spec: FunctionSpec, trigger: Dict[str, Any]) -> None:
        self.client.delete_function_trigger(self.sdk.DeleteFunctionTriggerRequest(
            function_urn=self._urn(spec), trigger_type_code=trigger["trigger_type_code"],
            trigger_id=trigger["trigger_id"]))

    def _update_async(self, spec: FunctionSpec) -> None:
        wanted = dict(spec.properties["AsyncInvokeConfig"])
        destination = wanted.pop("destination_config", None)
        body = self.sdk.UpdateFunctionAsyncInvokeConfigRequestBody(**wanted)
        if destination:
            body.destination_config = self.sdk.FuncAsyncDestinationConfig(**{
                when: self.sdk.FuncDestinationConfig(**target) for when, target in destination.items()})
        self.client.update_function_async_invoke_config(self.sdk.UpdateFunctionAsyncInvokeConfigRequest(
            function_urn=self._urn(spec), body=body))


def _trigger_key(type_code: str, event_data: Dict[str, Any]) -> Tuple[str, str]:
    return type_code, str(event_data.get("name") or event_data.get("trigger_name") or "")


def _same_trigger(current: Dict[str, Any], wanted: Dict[str, Any]) -> bool:
    data = current.get("event_data") or {}
    return current.get("trigger_status") == wanted.get("Status", "ACTIVE") and \
        all(data.get(name) == value for name, value in (wanted.get("EventData") or {}).items())


def _encrypted(spec: FunctionSpec) -> Optional[str]:
    return json.dumps(spec.encrypted_variables, sort_keys=True) if spec.encrypted_variables else None


def client(region: str, project_id: str) -> Any:
    """A FunctionGraph client from the SDK's own credential variables and region (endpoint override:
    HUAWEICLOUD_SDK_REGION_FUNCTIONGRAPH_<REGION>)."""
    import os

    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkfunctiongraph.v2 import FunctionGraphClient
    from huaweicloudsdkfunctiongraph.v2.region.functiongraph_region import FunctionGraphRegion

    access_key, secret_key = os.environ.get("HUAWEICLOUD_SDK_AK"), os.environ.get("HUAWEICLOUD_SDK_SK")
    if not access_key or not secret_key:
        raise SystemExit("set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (and HUAWEICLOUD_SDK_SECURITY_TOKEN for "
                         "temporary keys) to deploy")
    credentials = BasicCredentials(access_key, secret_key, project_id)
    token = os.environ.get("HUAWEICLOUD_SDK_SECURITY_TOKEN")
    if token:
        credentials = credentials.with_security_token(token)
    return FunctionGraphClient.new_builder().with_credentials(credentials).with_region(
        FunctionGraphRegion.value_of(region)).build()
