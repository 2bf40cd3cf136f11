"""``fgrevoke validate``: the template against the functions' manifests, their own request parsers, the
SDK's region tables and FunctionGraph's limits. Each error names the resource and the field.

Limits: docs/reference/functiongraph.md §1.4, §2, §4 (runtimes, memory sizes, timeout 3-900 s,
at most 20 environment variables and 4 KB, timer schedules).
"""

from __future__ import annotations

import ast
import functools
import importlib
import re
from typing import Any, Dict, FrozenSet, List, Optional, Set

from fgrevoke import functions as function_folders
from fgrevoke import trigger_rules
from fgrevoke.functions import FUNCTIONS_DIR, ROOT
from fgrevoke.template import FunctionSpec, functions
from shared import clients, manifest, triggers
from shared.errors import InvalidRequest
from shared.manifest import FunctionManifest

RUNTIMES = ("Python3.9", "Python3.10", "Python3.12")  # the FunctionGraph Pythons this project runs on
FUNCTIONGRAPH_RUNTIMES = ("Python2.7", "Python3.6", *RUNTIMES)
MEMORY_SIZES = (128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096)
TRIGGER_TYPES = ("TIMER", "APIG", "DEDICATEDGATEWAY", "CTS", "EVENTGRID", "SMN")
MAX_VARIABLES, MAX_VARIABLES_SIZE = 20, 4096
SECRET_NAME = re.compile(r"(SECRET|PASSWORD|TOKEN|_SK$|_AK$|PRIVATE)", re.IGNORECASE)
VARIABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
ENDPOINT_OVERRIDE = "HUAWEICLOUD_SDK_REGION_"  # the SDK's own per-service endpoint variables


def validate(template: Dict[str, Any]) -> List[str]:
    errors: List[str] = []
    specs = functions(template)
    folders = set(function_folders.names())
    by_folder: Dict[str, List[str]] = {}
    for spec in specs:
        by_folder.setdefault(spec.folder, []).append(spec.resource)
    for folder in sorted(folders - set(by_folder)):
        errors.append(f"functions/{folder}: no resource in template.yml deploys it")
    for folder, resources in sorted(by_folder.items()):
        if folder not in folders:
            errors.append(f"Resources.{resources[0]}.Properties.CodeUri: functions/{folder} does not exist")
        if len(resources) > 1:
            errors.append(f"Resources.{', '.join(resources)}: more than one resource deploys functions/{folder}")
    for spec in specs:
        errors.extend(_function_errors(spec, spec.folder in folders))
    return errors + [error for error in trigger_rules.check(template) if error not in errors]


def _function_errors(spec: FunctionSpec, folder_exists: bool) -> List[str]:
    where = f"Resources.{spec.resource}.Properties"
    props = spec.properties
    errors = _runtime_errors(props.get("Runtime"), where)
    if props.get("MemorySize") not in MEMORY_SIZES:
        errors.append(f"{where}.MemorySize: {props.get('MemorySize')!r} MB is not one of {MEMORY_SIZES}")
    timeout = props.get("Timeout")
    if not isinstance(timeout, int) or not 3 <= timeout <= 900:
        errors.append(f"{where}.Timeout: {timeout!r} must be 3-900 seconds")
    if not props.get("Xrole"):
        errors.append(f"{where}.Xrole: the function needs an agency for its temporary credentials")
    for index, trigger in enumerate(spec.triggers):
        errors.extend(_trigger_errors(trigger, f"{where}.Triggers[{index}]"))
    if not folder_exists:
        return errors
    handler_errors = _handler_errors(spec, where)
    try:
        declared = function_folders.manifest(spec.folder)
    except Exception as error:  # a broken manifest is the user's to fix, not a traceback
        return errors + handler_errors + [f"functions/{spec.folder}/manifest.py: {type(error).__name__}: {error}"]
    errors += handler_errors + _variable_errors(spec, where, declared) + _region_errors(spec, where, declared) + \
        _targets_errors(spec, where)
    errors += _agency_errors(spec, where, declared)
    for index, trigger in enumerate(spec.triggers):
        errors.extend(_trigger_request_errors(spec, trigger, f"{where}.Triggers[{index}]", declared,
                                              not handler_errors))
    return errors


def _runtime_errors(runtime: Any, where: str) -> List[str]:
    if runtime in RUNTIMES:
        return []
    if runtime in FUNCTIONGRAPH_RUNTIMES:
        return [f"{where}.Runtime: {runtime} is a FunctionGraph runtime this project does not support (its code "
                f"needs Python 3.9 or later); use {', '.join(RUNTIMES)}"]
    return [f"{where}.Runtime: {runtime!r} is not a FunctionGraph Python runtime this project supports "
            f"({', '.join(RUNTIMES)})"]


def _handler_errors(spec: FunctionSpec, where: str) -> List[str]:
    handler = str(spec.properties.get("Handler", ""))
    module, _, attribute = handler.partition(".")
    path = FUNCTIONS_DIR / spec.folder / f"{module}.py"
    if not module or not attribute or not path.is_file():
        return [f"{where}.Handler: {handler!r} does not resolve to a file in functions/{spec.folder}"]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if attribute not in names:
        return [f"{where}.Handler: {path.relative_to(ROOT)} defines no function {attribute!r}"]
    return []


def _variable_errors(spec: FunctionSpec, where: str, declared: FunctionManifest) -> List[str]:
    errors = []
    settings = {setting.name: setting for setting in declared.all_settings}
    source = f"functions/{spec.folder}/manifest.py"
    every = {**spec.variables, **spec.encrypted_variables}
    if len(every) > MAX_VARIABLES:
        errors.append(f"{where}.Environment: {len(every)} variables; FunctionGraph allows {MAX_VARIABLES}")
    size = sum(len(str(k)) + len(str(v)) for k, v in every.items())
    if size > MAX_VARIABLES_SIZE:
        errors.append(f"{where}.Environment: {size} characters; FunctionGraph allows {MAX_VARIABLES_SIZE}")
    for group, variables in (("Variables", spec.variables), ("EncryptedVariables", spec.encrypted_variables)):
        for name, raw in sorted(variables.items()):
            field = f"{where}.Environment.{group}.{name}"
            setting = settings.get(str(name))
            if not VARIABLE_NAME.match(str(name)):
                errors.append(f"{field}: names are letters, digits and _, starting with a letter")
            elif setting is None and not str(name).startswith(ENDPOINT_OVERRIDE):
                errors.append(f"{field}: not a setting of this function ({source} and shared/manifest.py declare "
                              f"{', '.join(sorted(settings))})")
            elif group == "Variables" and ((setting is not None and setting.secret) or SECRET_NAME.search(name)):
                errors.append(f"{field}: a secret in plain text; move it to EncryptedVariables (or use the agency)")
            elif setting is not None:
                problem = setting.problem("" if raw is None else str(raw))
                if problem and group == "EncryptedVariables":
                    problem = f"setting {name} is not {setting.allowed} (value not shown: it is encrypted)"
                if problem:
                    errors.append(f"{field}: {problem}")
    for setting in declared.all_settings:
        own = setting in declared.settings  # the function's own settings are stated, so a reviewer sees them
        if (own or setting.required) and setting.name not in every:
            errors.append(f"{where}.Environment.Variables.{setting.name}: declared in "
                          f"{source if own else 'shared/manifest.py'} but not set (default: {setting.default_text})")
    return errors


def _targets_errors(spec: FunctionSpec, where: str) -> List[str]:
    """Every region TARGETS names is one an SDK region table knows (a typo would only ever be not_offered)."""
    raw = str(spec.variables.get("TARGETS") or "")
    if not raw or manifest.TARGETS.problem(raw):
        return []  # empty is the default scope; malformed is reported by the settings check
    known = frozenset().union(*(known_regions(service.region_module, service.region_class)
                                for service in (clients.MODELARTS, clients.WORKSPACE, clients.WORKSPACEAPP,
                                                clients.IAM, clients.STS)))
    unknown = sorted({entry.region for entry in manifest.TARGETS.parse(raw)
                      if entry.region is not None and entry.region not in known})
    return [f"{where}.Environment.Variables.TARGETS: no SDK region table knows {region!r}: check the region id"
            for region in unknown]


def member_accounts(spec: FunctionSpec) -> bool:
    """TARGETS names a member account: the agency must allow AssumeAgency too."""
    raw = str(spec.variables.get("TARGETS") or "")
    return bool(raw) and not manifest.TARGETS.problem(raw) and any(
        entry.account_id for entry in manifest.TARGETS.parse(raw))


def _region_errors(spec: FunctionSpec, where: str, declared: FunctionManifest) -> List[str]:
    region = str(spec.variables.get("REGION") or "")
    service = declared.service
    if not region or manifest.REGION.problem(region) or region in known_regions(service.region_module,
                                                                                 service.region_class):
        return []  # a missing or malformed REGION is reported by the settings check
    override = f"{ENDPOINT_OVERRIDE}{service.env_name}_{region.upper().replace('-', '_')}"
    if override in spec.variables:
        return []
    known = ", ".join(sorted(known_regions(service.region_module, service.region_class)))
    return [f"{where}.Environment.Variables.REGION: the {declared.sdk_distribution} SDK knows no region {region!r}, "
            f"so every call would fail; it knows {known} (or set {override} to the endpoint)"]


@functools.cache
def known_regions(region_module: str, region_class: str) -> FrozenSet[str]:
    """The region ids in the SDK's own table for a service (its static_fields)."""
    package = region_module.split(".region.")[0]
    from shared.sdk_loader import service_package

    service_package(package)  # the lazy package must exist before its region module is imported
    table = getattr(importlib.import_module(region_module), region_class)
    return frozenset(table.static_fields)


def _agency_errors(spec: FunctionSpec, where: str, declared: FunctionManifest) -> List[str]:
    policy = spec.properties.get("AgencyPolicy")
    wanted = set(declared.required_actions)
    if member_accounts(spec):
        wanted.add(manifest.SCOPE_ACTIONS["sts.assume_agency"])
    source = f"functions/{spec.folder}/manifest.py"
    if not isinstance(policy, dict):
        return [f"{where}.AgencyPolicy: missing; it must allow exactly {', '.join(sorted(wanted))} ({source})"]
    allowed: Set[str] = set()
    for statement in policy.get("Statement") or []:
        if isinstance(statement, dict) and statement.get("Effect") == "Allow":
            action = statement.get("Action") or []
            allowed.update([action] if isinstance(action, str) else map(str, action))
    errors = []
    if wanted - allowed:
        errors.append(f"{where}.AgencyPolicy.Statement: does not allow {', '.join(sorted(wanted - allowed))}, "
                      f"which {source} declares: those calls would be refused (403)")
    if allowed - wanted:
        errors.append(f"{where}.AgencyPolicy.Statement: allows {', '.join(sorted(allowed - wanted))}, which "
                      f"{source} does not declare: the agency must allow only what the function needs")
    return errors


def _trigger_errors(trigger: Dict[str, Any], where: str) -> List[str]:
    kind = trigger.get("TriggerTypeCode")
    data = trigger.get("EventData") or {}
    if kind not in TRIGGER_TYPES:
        return [f"{where}.TriggerTypeCode: {kind!r} is not one of {', '.join(TRIGGER_TYPES)}"]
    if trigger.get("Status", "ACTIVE") not in ("ACTIVE", "DISABLED"):
        return [f"{where}.Status: ACTIVE or DISABLED"]
    if kind == "TIMER":
        problem = trigger_rules.schedule_problem(str(data.get("schedule_type")), str(data.get("schedule", "")))
        return [f"{where}.EventData.schedule: {problem}"] if problem else []
    if kind == "CTS" and not data.get("operations"):
        return [f"{where}.EventData.operations: name the traced operations (e.g. IAM:user:deleteUser)"]
    return []


def _trigger_request_errors(spec: FunctionSpec, trigger: Dict[str, Any], where: str, declared: FunctionManifest,
                            handler_loads: bool) -> List[str]:
    """What the function itself would say about the trigger's events: its request, or that it ignores them."""
    kind = trigger.get("TriggerTypeCode")
    data = trigger.get("EventData") or {}
    if kind == "CTS" and not declared.offboards:
        return [f"{where}.TriggerTypeCode: {declared.operation} does not act on IAM user deletions, so it would "
                "ignore every event of this CTS trigger"]
    if kind != "TIMER" or not handler_loads:
        return []
    event = {"trigger_type": "TIMER", "trigger_name": data.get("name"), "user_event": data.get("user_event")}
    problem = _request_problem(spec, event)
    return [f"{where}.EventData.user_event: {problem}"] if problem else []


def _request_problem(spec: FunctionSpec, event: Dict[str, Any]) -> Optional[str]:
    """Why the function would refuse the request this event carries, or None."""
    check = getattr(function_folders.load(spec.folder), "validate_request", None)
    if not callable(check):
        return f"functions/{spec.folder}/index.py has no validate_request(payload) to check the request with"
    try:
        for payload in triggers.parse(event).payloads:
            if isinstance(payload, InvalidRequest):  # an envelope entry that could not be read
                raise payload
            if not isinstance(payload, dict):
                continue
            check(payload)
            project_id = payload.get("project_id")
            configured = spec.variables.get("PROJECT_ID")
            if project_id is not None and configured and project_id != configured:
                return (f"the request names project {project_id!r}, but PROJECT_ID is {configured!r}: the "
                        "function refuses requests for another project")
    except InvalidRequest as error:
        return error.message + (f" (field {error.field})" if error.field not in (None, "user_event") else "")
    return None
