"""``fgrevoke validate``: the template against the code and FunctionGraph's limits.

Limits: docs/reference/functiongraph.md §1.4, §2, §4 (runtimes, memory sizes, timeout 3-900 s,
at most 20 environment variables and 4 KB, timer schedules).
"""

from __future__ import annotations

import ast
import re
from typing import Any, Dict, List

from fgrevoke import functions as function_folders
from fgrevoke import trigger_rules
from fgrevoke.functions import ROOT
from fgrevoke.template import FunctionSpec, functions

RUNTIMES = ("Python3.9", "Python3.10", "Python3.12")
MEMORY_SIZES = (128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096)
TRIGGER_TYPES = ("TIMER", "APIG", "DEDICATEDGATEWAY", "CTS", "EVENTGRID", "SMN")
MAX_VARIABLES, MAX_VARIABLES_SIZE = 20, 4096
SECRET_NAME = re.compile(r"(SECRET|PASSWORD|TOKEN|_SK$|_AK$|PRIVATE)", re.IGNORECASE)
SETTING_READ = re.compile(
    r"source\.(get|text|required|flag|integer|seconds|items|protected)\(\s*\"([A-Z][A-Z0-9_]*)\"")
RATE = re.compile(r"^(\d+)([mhd])$")
RATE_LIMITS = {"m": (1, 60), "h": (1, 24), "d": (1, 30)}
CRON_FIELD = re.compile(r"^[0-9*?/,\-LW#A-Za-z]+$")


def settings_read(folder: str) -> Dict[str, bool]:
    """Setting name -> must be declared: every setting the function's own code reads, and the ones
    shared/ requires. shared/'s tuning settings with defaults (MAX_ATTEMPTS, timeouts, …), the
    runtime's RUNTIME_PROJECT_ID and the SDK's key variables (an agency replaces them) may be left out."""
    own_code = (ROOT / "functions" / folder / "index.py").read_text(encoding="utf-8")
    reads: Dict[str, bool] = {name: True for _method, name in SETTING_READ.findall(own_code)}
    for path in sorted((ROOT / "shared").glob("*.py")):
        for method, name in SETTING_READ.findall(path.read_text(encoding="utf-8")):
            reads[name] = reads.get(name, False) or method == "required"
    return reads


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
    return errors + trigger_rules.check(template)


def _function_errors(spec: FunctionSpec, folder_exists: bool) -> List[str]:
    where = f"Resources.{spec.resource}.Properties"
    props = spec.properties
    errors = []
    if props.get("Runtime") not in RUNTIMES:
        errors.append(f"{where}.Runtime: {props.get('Runtime')!r} is not a FunctionGraph Python runtime "
                      f"({', '.join(RUNTIMES)})")
    if props.get("MemorySize") not in MEMORY_SIZES:
        errors.append(f"{where}.MemorySize: {props.get('MemorySize')!r} MB is not one of {MEMORY_SIZES}")
    timeout = props.get("Timeout")
    if not isinstance(timeout, int) or not 3 <= timeout <= 900:
        errors.append(f"{where}.Timeout: {timeout!r} must be 3-900 seconds")
    if folder_exists:
        errors.extend(_handler_errors(spec, where))
        errors.extend(_variable_errors(spec, where))
    if not props.get("Xrole"):
        errors.append(f"{where}.Xrole: the function needs an agency for its temporary credentials")
    for index, trigger in enumerate(spec.triggers):
        errors.extend(_trigger_errors(trigger, f"{where}.Triggers[{index}]"))
    return errors


def _handler_errors(spec: FunctionSpec, where: str) -> List[str]:
    handler = str(spec.properties.get("Handler", ""))
    module, _, attribute = handler.partition(".")
    path = ROOT / "functions" / spec.folder / f"{module}.py"
    if not module or not attribute or not path.is_file():
        return [f"{where}.Handler: {handler!r} does not resolve to a file in functions/{spec.folder}"]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if attribute not in names:
        return [f"{where}.Handler: {path.relative_to(ROOT)} defines no function {attribute!r}"]
    return []


def _variable_errors(spec: FunctionSpec, where: str) -> List[str]:
    errors = []
    variables, encrypted = spec.variables, spec.encrypted_variables
    every = {**variables, **encrypted}
    if len(every) > MAX_VARIABLES:
        errors.append(f"{where}.Environment: {len(every)} variables; FunctionGraph allows {MAX_VARIABLES}")
    size = sum(len(str(k)) + len(str(v)) for k, v in every.items())
    if size > MAX_VARIABLES_SIZE:
        errors.append(f"{where}.Environment: {size} characters; FunctionGraph allows {MAX_VARIABLES_SIZE}")
    reads = settings_read(spec.folder)
    for name in sorted(every):
        if not re.match(r"^[A-Za-z][A-Za-z0-9_]*$", str(name)):
            errors.append(f"{where}.Environment.Variables.{name}: names are letters, digits and _, "
                          "starting with a letter")
        elif name not in reads and not str(name).startswith("HUAWEICLOUD_SDK_REGION_"):
            errors.append(f"{where}.Environment.Variables.{name}: the handler never reads this setting "
                          f"(it reads {', '.join(sorted(reads))})")
    for name, required in sorted(reads.items()):
        if required and name not in every:
            errors.append(f"{where}.Environment.Variables.{name}: read by the handler but not declared")
    for name in sorted(variables):
        if SECRET_NAME.search(str(name)):
            errors.append(f"{where}.Environment.Variables.{name}: a secret in plain text; move it to "
                          "EncryptedVariables (or use the agency)")
    return errors


def _trigger_errors(trigger: Dict[str, Any], where: str) -> List[str]:
    kind = trigger.get("TriggerTypeCode")
    data = trigger.get("EventData") or {}
    if kind not in TRIGGER_TYPES:
        return [f"{where}.TriggerTypeCode: {kind!r} is not one of {', '.join(TRIGGER_TYPES)}"]
    if trigger.get("Status", "ACTIVE") not in ("ACTIVE", "DISABLED"):
        return [f"{where}.Status: ACTIVE or DISABLED"]
    if kind == "TIMER":
        problem = schedule_problem(str(data.get("schedule_type")), str(data.get("schedule", "")))
        return [f"{where}.EventData.schedule: {problem}"] if problem else []
    if kind == "CTS" and not data.get("operations"):
        return [f"{where}.EventData.operations: name the traced operations (e.g. IAM:user:deleteUser)"]
    return []


def schedule_problem(schedule_type: str, schedule: str) -> str:
    """'' when the TIMER schedule parses: Rate (1-60m, 1-24h, 1-30d), 6-field Cron or @every."""
    if schedule_type == "Rate":
        match = RATE.match(schedule)
        if not match:
            return f"Rate {schedule!r} must look like 5m, 1h or 1d"
        low, high = RATE_LIMITS[match.group(2)]
        unit = match.group(2)
        return "" if low <= int(match.group(1)) <= high else f"Rate {schedule!r} is out of {low}-{high}{unit}"
    if schedule_type == "Cron":
        if schedule.startswith("@every "):
            valid = re.match(r"^@every (\d+h)?(\d+m)?(\d+s)?$", schedule) and schedule.strip() != "@every"
            return "" if valid else f"{schedule!r} is not a valid @every duration"
        fields = schedule.split()
        if len(fields) not in (5, 6) or not all(CRON_FIELD.match(f) for f in fields):
            return f"Cron {schedule!r} must have 6 fields: second minute hour day-of-month month day-of-week"
        if len(fields) == 5:
            return f"Cron {schedule!r} has 5 fields; FunctionGraph's Cron starts with seconds (6 fields)"
        return ""
    return f"schedule_type {schedule_type!r} must be Rate or Cron"
