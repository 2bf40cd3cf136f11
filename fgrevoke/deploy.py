"""``fgrevoke deploy`` and ``destroy``: make the account match template.yml, or remove what deploy made,
through the official FunctionGraph SDK.

For each function: create it or update its code (when the zip's SHA-512 differs from the service's
``digest``) and configuration (when a field differs), create missing triggers and delete those the
template no longer names, and set the asynchronous invocation policy. ``plan`` changes nothing; a
second ``apply`` with nothing changed makes no write call. Triggers are compared on what the service
returns of them only (``trigger_rules.returned_event_data``), so a redeploy does not recreate them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional

from fgrevoke import trigger_rules
from fgrevoke.errors import ToolError, UsageError
from fgrevoke.functions import ROOT
from fgrevoke.packaging import mib
from fgrevoke.template import FunctionSpec

PACKAGE = "fgrevoke"
SECRET_NAME = ("SECRET", "PASSWORD", "TOKEN", "PRIVATE", "_SK", "_AK")
FLAG_ON = ("true", "1", "yes", "on")  # as shared/settings.py reads a flag
PROTECTED_LISTS = ("PROTECTED_USER_IDS", "PROTECTED_POLICY_IDS", "PROTECTED_ACCOUNTS")
OPT_INS = {"ALLOW_ALL_USERS": "a request may now revoke every user",
           "ALLOW_ENABLED_POLICY_DELETION": "access policies in force may now be deleted"}
SKIPPED = ("__pycache__",)


@dataclass
class SettingChange:
    name: str
    old: Optional[str]
    new: Optional[str]
    widens: str = ""  # why this change lets the function do more, or ''

    def shown(self, value: Optional[str]) -> str:
        if value is None:
            return "(unset)"
        return "****" if any(part in self.name.upper() for part in SECRET_NAME) else json.dumps(value)

    def __str__(self) -> str:
        mark = f"   ! widens: {self.widens}" if self.widens else ""
        return f"    {self.name}: {self.shown(self.old)} -> {self.shown(self.new)}{mark}"

    def as_json(self) -> Dict[str, Any]:
        return {"name": self.name, "old": None if self.old is None else self.shown(self.old),
                "new": None if self.new is None else self.shown(self.new), "widens": self.widens or None}


@dataclass
class Action:
    function: str
    kind: str  # create_function, update_code, update_config, create_trigger, delete_trigger,
    #            update_async_config, delete_function
    detail: str
    apply: Callable[[], None] = field(repr=False, default=lambda: None)
    settings: List[SettingChange] = field(default_factory=list)

    @property
    def widening(self) -> List[str]:
        return [f"{self.function}: {change.name} ({change.widens})" for change in self.settings if change.widens]

    def __str__(self) -> str:
        return "\n".join([f"{self.function}: {self.kind} ({self.detail})", *map(str, self.settings)])

    def as_json(self) -> Dict[str, Any]:
        return {"function": self.function, "action": self.kind, "detail": self.detail,
                "settings": [change.as_json() for change in self.settings]}


# -- what is deployed is what the commit holds -------------------------------------------------------
def stale_files(spec: FunctionSpec, zip_path: Path) -> List[str]:
    """Source files (paths from the project root) whose bytes the zip does not hold as they are now:
    the function's folder at the zip root and shared/, as ``fgrevoke package`` lays them out."""
    if not zip_path.is_file():
        return [f"{zip_path} (missing)"]
    if not zipfile.is_zipfile(zip_path):  # e.g. a build that was killed half-way, before builds were atomic
        return [f"{zip_path} (not a zip file)"]
    with zipfile.ZipFile(zip_path) as archive:
        packed = {info.filename: info for info in archive.infolist()}
        stale = []
        for source, name in _sources(spec):
            data = source.read_bytes()
            info = packed.get(name)
            if info is None or info.file_size != len(data) or archive.read(info) != data:
                stale.append(str(source.relative_to(ROOT)))
    return stale


def _sources(spec: FunctionSpec) -> Iterator["tuple[Path, str]"]:
    for top, prefix in ((ROOT / "functions" / spec.folder, ""), (ROOT / "shared", "shared/")):
        for path in sorted(top.rglob("*")):
            if path.is_file() and path.suffix != ".pyc" and not set(SKIPPED) & set(path.parts):
                yield path, prefix + path.relative_to(top).as_posix()


def fresh_packages(specs: List[FunctionSpec], dist: Path, build: bool,
                   progress: Callable[[str], None] = lambda _: None) -> None:
    """Build every zip that is missing or older than its sources; with ``build`` False, refuse them."""
    from fgrevoke import packaging

    for spec in specs:
        zip_path = dist / f"{spec.folder}.zip"
        stale = stale_files(spec, zip_path)
        if not stale:
            continue
        if not build:
            shown = ", ".join(stale[:5]) + (f" and {len(stale) - 5} more" if len(stale) > 5 else "")
            raise ToolError(f"{zip_path} does not hold the current sources ({shown}); run `fgrevoke package` "
                            "or deploy without --no-build")
        progress(f"{spec.folder}: {zip_path.name} is not built from the current sources; building it")
        built = packaging.build(spec, dist, progress)
        if built.problems:
            raise ToolError("; ".join(built.problems))


# -- what a setting change does ----------------------------------------------------------------------
def widens(name: str, old: Optional[str], new: Optional[str]) -> str:
    """Why changing the setting ``name`` from ``old`` to ``new`` (None: unset) lets the function do more."""
    if name == "DRY_RUN" and _on(old, default=True) and not _on(new, default=True):
        return "dry run off: the function now deletes for real"
    if name in PROTECTED_LISTS:
        lost = sorted(_entries(old) - _entries(new))
        return f"no longer protected: {', '.join(lost)}" if lost else ""
    if name in OPT_INS and _on(new, default=False) and not _on(old, default=False):
        return f"turned on: {OPT_INS[name]}"
    return ""


def _on(value: Optional[str], default: bool) -> bool:
    return default if value is None else value.strip().lower() in FLAG_ON


def _entries(value: Optional[str]) -> set:
    return {part.strip().casefold() for part in (value or "").split(",") if part.strip()}


def setting_changes(old: Mapping[str, str], new: Mapping[str, str]) -> List[SettingChange]:
    return [SettingChange(name, old.get(name), new.get(name), widens(name, old.get(name), new.get(name)))
            for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name)]


class Deployer:
    def __init__(self, client: Any, dist: Path, progress: Callable[[str], None] = lambda _: None) -> None:
        from huaweicloudsdkfunctiongraph import v2

        self.sdk = v2
        self.client = client
        self.dist = dist
        self.progress = progress

    # -- reading the account ---------------------------------------------------------------------
    def current(self) -> Dict[str, Dict[str, Any]]:
        """This project's functions in the fgrevoke package, by name."""
        functions: Dict[str, Dict[str, Any]] = {}
        seen, marker = 0, "0"
        while True:
            page = self._call(self.client.list_functions, self.sdk.ListFunctionsRequest(marker=marker,
                                                                                        maxitems="400"))
            body = page.to_json_object() or {}
            entries = body.get("functions") or []
            seen += len(entries)
            for function in entries:
                if function.get("package") in (None, PACKAGE):
                    functions[function["func_name"]] = function
            if not entries or seen >= int(body.get("count") or 0):
                return functions
            marker = str(body.get("next_marker"))

    def _triggers(self, urn: str) -> List[Dict[str, Any]]:
        listed = self._call(self.client.list_function_triggers, self.sdk.ListFunctionTriggersRequest(function_urn=urn))
        return list(listed.to_json_object() or [])

    # -- planning -----------------------------------------------------------------------------------
    def plan(self, specs: List[FunctionSpec]) -> List[Action]:
        existing = self.current()
        actions: List[Action] = []
        for spec in specs:
            code = self._code(spec)
            function = existing.get(spec.name)
            if function is None:
                actions.append(Action(spec.name, "create_function", f"{spec.properties['Runtime']}, "
                                      f"{mib(len(code))} code", partial(self._create, spec, code),
                                      setting_changes({}, spec.variables)))
                urn = None
            else:
                urn = function["func_urn"]
                if function.get("digest") != hashlib.sha512(code).hexdigest():
                    actions.append(Action(spec.name, "update_code", f"upload {mib(len(code))}",
                                          partial(self._update_code, spec, urn, code)))
                changes = self._config_changes(spec, function)
                if changes:
                    actions.append(Action(spec.name, "update_config", ", ".join(c.name for c in changes),
                                          partial(self._update_config, spec, urn), changes))
            actions.extend(self._trigger_actions(spec, urn))
            actions.extend(self._async_actions(spec, urn))
        return actions

    def destroy_plan(self, specs: List[FunctionSpec]) -> List[Action]:
        """Delete the template's functions that deploy created (package fgrevoke): each trigger, so the plan names
        them (deleting the function would take them too), then the function with all its versions."""
        existing = self.current()
        actions: List[Action] = []
        for spec in specs:
            function = existing.get(spec.name)
            if function is None:
                continue
            urn = function["func_urn"]
            for trigger in self._triggers(urn):
                actions.append(Action(spec.name, "delete_trigger", _trigger_label(trigger),
                                      partial(self._delete_trigger, spec, trigger)))
            actions.append(Action(spec.name, "delete_function", f"{urn}, all versions",
                                  partial(self._delete_function, urn)))
        return actions

    def apply(self, actions: List[Action]) -> None:
        for number, action in enumerate(actions, 1):
            self.progress(f"[{number}/{len(actions)}] {action.function}: {action.kind} ({action.detail})")
            try:
                action.apply()
            except ToolError as error:
                raise ToolError(f"{error.message}; {number - 1} of {len(actions)} change(s) were made before it, "
                                "none after: fix the cause and run the command again") from None

    def _config(self, spec: FunctionSpec) -> Dict[str, Any]:
        props = spec.properties
        return {"runtime": props["Runtime"], "handler": props["Handler"], "memory_size": props["MemorySize"],
                "timeout": props["Timeout"], "user_data": json.dumps(spec.variables, sort_keys=True),
                "xrole": props.get("Xrole"), "description": props.get("Description", "")}

    def _config_changes(self, spec: FunctionSpec, function: Dict[str, Any]) -> List[SettingChange]:
        wanted = self._config(spec)
        changes = [SettingChange(name, _text(function.get(name)), _text(value)) for name, value in wanted.items()
                   if name != "user_data" and function.get(name) != value and {function.get(name), value} != {None, ""}]
        try:
            current = json.loads(function.get("user_data") or "{}")
        except ValueError:
            current = {}
        return changes + setting_changes({k: str(v) for k, v in current.items()}, spec.variables)

    def _code(self, spec: FunctionSpec) -> bytes:
        path = self.dist / f"{spec.folder}.zip"
        if not path.is_file():
            raise UsageError(f"{path} is missing: run `fgrevoke package` (or `make package`) first")
        return path.read_bytes()

    def _trigger_actions(self, spec: FunctionSpec, urn: Optional[str]) -> List[Action]:
        present = self._triggers(urn) if urn is not None else []
        claimed: set = set()
        actions = []
        for trigger in spec.enabled_triggers:
            type_code, data = trigger["TriggerTypeCode"], trigger.get("EventData") or {}
            wanted_name = trigger_rules.name(type_code, data)
            label = f"{type_code} {wanted_name}"
            current = next((t for t in present if t["trigger_id"] not in claimed and t["trigger_type_code"] == type_code
                            and trigger_rules.matches(type_code, wanted_name, t.get("event_data") or {})), None)
            if current is not None:
                claimed.add(current["trigger_id"])
                changes = _trigger_changes(current, trigger)
                if not changes:
                    continue
                actions.append(Action(spec.name, "delete_trigger", f"{label} (changed)",
                                      partial(self._delete_trigger, spec, current), changes))
            actions.append(Action(spec.name, "create_trigger", label,
                                  partial(self._create_trigger, spec, trigger)))
        for current in present:
            if current["trigger_id"] not in claimed:
                actions.append(Action(spec.name, "delete_trigger", f"{_trigger_label(current)} (not in the template)",
                                      partial(self._delete_trigger, spec, current)))
        return actions

    def _async_actions(self, spec: FunctionSpec, urn: Optional[str]) -> List[Action]:
        wanted = spec.async_invoke_config
        if not wanted:
            return []
        if urn is not None:
            from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException, SdkException

            try:
                current = self.client.show_function_async_invoke_config(
                    self.sdk.ShowFunctionAsyncInvokeConfigRequest(function_urn=urn)).to_json_object() or {}
            except ClientRequestException as problem:
                if problem.status_code != 404:  # a missing configuration is a 404 (Terraform reads it so)
                    raise ToolError(_sdk_message("show_function_async_invoke_config", problem)) from None
                current = {}
            except SdkException as problem:
                raise ToolError(_sdk_message("show_function_async_invoke_config", problem)) from None
            if all(current.get(name) == value for name, value in wanted.items()):
                return []
        destinations = wanted.get("destination_config") or {}
        detail = f"retries {wanted.get('max_async_retry_attempts')}, max age " \
                 f"{wanted.get('max_async_event_age_in_seconds')} s, on failure " \
                 f"{destinations.get('on_failure', {}).get('destination', 'none')}, on success " \
                 f"{destinations.get('on_success', {}).get('destination', 'none')}"
        return [Action(spec.name, "update_async_config", detail, partial(self._update_async, spec))]

    # -- the calls --------------------------------------------------------------------------------
    def _call(self, method: Callable[[Any], Any], request: Any) -> Any:
        from huaweicloudsdkcore.exceptions.exceptions import SdkException

        try:
            return method(request)
        except SdkException as problem:
            raise ToolError(_sdk_message(method.__name__, problem)) from None

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
        self._call(self.client.create_function, self.sdk.CreateFunctionRequest(body=body))

    def _update_code(self, spec: FunctionSpec, urn: str, code: bytes) -> None:
        self.progress(f"    uploading {spec.folder}.zip ({mib(len(code))})")
        body = self.sdk.UpdateFunctionCodeRequestBody(
            code_type="zip", code_filename=f"{spec.folder}.zip",
            func_code=self.sdk.FuncCode(file=base64.b64encode(code).decode()))
        self._call(self.client.update_function_code, self.sdk.UpdateFunctionCodeRequest(function_urn=urn, body=body))

    def _update_config(self, spec: FunctionSpec, urn: str) -> None:
        config = self._config(spec)
        body = self.sdk.UpdateFunctionConfigRequestBody(func_name=spec.name, encrypted_user_data=_encrypted(spec),
                                                        **config)
        self._call(self.client.update_function_config, self.sdk.UpdateFunctionConfigRequest(function_urn=urn,
                                                                                             body=body))

    def _create_trigger(self, spec: FunctionSpec, trigger: Dict[str, Any]) -> None:
        body = self.sdk.CreateFunctionTriggerRequestBody(
            trigger_type_code=trigger["TriggerTypeCode"], trigger_status=trigger.get("Status", "ACTIVE"),
            event_type_code=trigger.get("EventTypeCode"), event_data=dict(trigger.get("EventData") or {}))
        self._call(self.client.create_function_trigger,
                   self.sdk.CreateFunctionTriggerRequest(function_urn=self._urn(spec), body=body))

    def _delete_trigger(self, spec: FunctionSpec, trigger: Dict[str, Any]) -> None:
        self._call(self.client.delete_function_trigger, self.sdk.DeleteFunctionTriggerRequest(
            function_urn=self._urn(spec), trigger_type_code=trigger["trigger_type_code"],
            trigger_id=trigger["trigger_id"]))

    def _delete_function(self, urn: str) -> None:
        # "The latest version of a function cannot be deleted. To delete a function and all its versions, provide a
        # URN without any version or alias" (API reference, Deleting a Function or Function Version).
        unversioned = ":".join(urn.split(":")[:7])  # urn:fss:<region>:<project>:function:<package>:<name>
        self._call(self.client.delete_function, self.sdk.DeleteFunctionRequest(function_urn=unversioned))

    def _update_async(self, spec: FunctionSpec) -> None:
        wanted = dict(spec.async_invoke_config)
        destination = wanted.pop("destination_config", None)
        body = self.sdk.UpdateFunctionAsyncInvokeConfigRequestBody(**wanted)
        if destination:
            body.destination_config = self.sdk.FuncAsyncDestinationConfig(**{
                when: self.sdk.FuncDestinationConfig(**target) for when, target in destination.items()})
        self._call(self.client.update_function_async_invoke_config, self.sdk.UpdateFunctionAsyncInvokeConfigRequest(
            function_urn=self._urn(spec), body=body))


def _trigger_label(trigger: Dict[str, Any]) -> str:
    data = trigger.get("event_data") or {}
    type_code = trigger["trigger_type_code"]
    return f"{type_code} {trigger_rules.name(type_code, data) or data.get('api_name') or trigger['trigger_id']}"


def _trigger_changes(current: Dict[str, Any], wanted: Dict[str, Any]) -> List[SettingChange]:
    """The template's trigger fields that differ from what the service returned. Fields the service does not
    return are not compared (they would differ on every deploy), nor the name it matched on."""
    type_code = wanted["TriggerTypeCode"]
    returned = current.get("event_data") or {}
    identity = "trigger_name" if type_code == "EVENTGRID" else "name"
    changes = []
    if current.get("trigger_status") != wanted.get("Status", "ACTIVE"):
        changes.append(SettingChange("Status", current.get("trigger_status"), wanted.get("Status", "ACTIVE")))
    for name, value in (wanted.get("EventData") or {}).items():
        if name != identity and name in returned and not _same(returned[name], value):
            changes.append(SettingChange(f"EventData.{name}", _text(returned[name]), _text(value)))
    return changes


def _same(returned: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict) and isinstance(returned, dict):
        return all(name in returned and _same(returned[name], value) for name, value in wanted.items())
    if isinstance(wanted, list) and isinstance(returned, list):
        return len(wanted) == len(returned) and all(map(_same, returned, wanted))
    return _text(returned) == _text(wanted)  # the service may give 1 back as "1"


def _text(value: Any) -> Optional[str]:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _encrypted(spec: FunctionSpec) -> Optional[str]:
    return json.dumps(spec.encrypted_variables, sort_keys=True) if spec.encrypted_variables else None


def _sdk_message(call: str, problem: Exception) -> str:
    status = getattr(problem, "status_code", None)
    if status is None:
        return f"FunctionGraph could not be reached ({call}): {type(problem).__name__}; check the network, the " \
               "region and any HUAWEICLOUD_SDK_REGION_FUNCTIONGRAPH_* endpoint"
    code, text = getattr(problem, "error_code", ""), getattr(problem, "error_msg", "")
    hint = " (check HUAWEICLOUD_SDK_AK/SK and the project id)" if status in (401, 403) else ""
    return f"FunctionGraph answered {status} {code} to {call}: {text}{hint}"


def client(region: str, project_id: str) -> Any:
    """A FunctionGraph client from the SDK's own credential variables and region (endpoint override:
    HUAWEICLOUD_SDK_REGION_FUNCTIONGRAPH_<REGION>)."""
    import os

    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkfunctiongraph.v2 import FunctionGraphClient
    from huaweicloudsdkfunctiongraph.v2.region.functiongraph_region import FunctionGraphRegion

    access_key, secret_key = os.environ.get("HUAWEICLOUD_SDK_AK"), os.environ.get("HUAWEICLOUD_SDK_SK")
    if not access_key or not secret_key:
        raise UsageError("set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (and HUAWEICLOUD_SDK_SECURITY_TOKEN for "
                         "temporary keys) to reach FunctionGraph")
    credentials = BasicCredentials(access_key, secret_key, project_id)
    token = os.environ.get("HUAWEICLOUD_SDK_SECURITY_TOKEN")
    if token:
        credentials = credentials.with_security_token(token)
    try:
        region_object = FunctionGraphRegion.value_of(region)
    except KeyError:
        raise UsageError(f"the SDK knows no FunctionGraph region {region!r}; give a region id such as "
                         "cn-north-4 (Region parameter, or region in fgrevoke.toml)") from None
    return FunctionGraphClient.new_builder().with_credentials(credentials).with_region(region_object).build()
