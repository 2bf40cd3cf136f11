"""What FunctionGraph's CreateFunctionTrigger requires of each trigger's ``event_data``, and what
ListFunctionTriggers gives back. One set of rules for ``fgrevoke validate`` (``check``), the emulator's
FunctionGraph API (``violations``, ``returned_event_data``) and ``fgrevoke deploy`` (``matches``).

Sources (public):
- [API] Creating a Trigger, https://support.huaweicloud.com/intl/en-us/api-functiongraph/functiongraph_06_0122.html
  (T-Systems copy: opentelekomcloud-docs/function-graph api-ref/source/api/function_triggers/creating_a_trigger.rst)
- [MODELS] Trigger management models: opentelekomcloud-docs/function-graph
  api-ref/source/before_you_start/function_model_definition/trigger_management_models.rst
- [CODES] Error codes: opentelekomcloud-docs/function-graph api-ref/source/appendix/error_codes.rst
- [LIST] Querying All Triggers of a Function (its example response): opentelekomcloud-docs/function-graph
  api-ref/source/api/function_triggers/querying_all_triggers_of_a_function.rst
- [SDK] huaweicloud/huaweicloud-sdk-python-v3 huaweicloud-sdk-functiongraph/huaweicloudsdkfunctiongraph/v2/model/
  trigger_event_data_request_body.py (docstrings)
- [TF] huaweicloud/terraform-provider-huaweicloud: docs/resources/fgs_function_trigger.md,
  examples/fgs/triggers/cts/README.md, examples/fgs/triggers/eg/README.md and main.tf,
  huaweicloud/services/deprecated/resource_huaweicloud_fgs_trigger.go (getDedicatedApigSubDomainAndEnvId)
- [C7N] huaweicloud/cloud-custodian tools/c7n_huaweicloud/c7n_huaweicloud/mu.py (_get_default_cts_trigger_name,
  _build_create_cts_trigger_request_body, EventGridServiceSource.add)
- [TIMER] https://support.huaweicloud.com/intl/en-us/usermanual-functiongraph/functiongraph_01_0207.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping

from fgrevoke.template import enabled, functions

# [API] / [TF] fgs_function_trigger.md: "only TIMER, DDS, DMS, KAFKA and LTS triggers can be disabled".
CAN_BE_DISABLED = ("TIMER", "DDS", "DMS", "KAFKA", "LTS")
MAX_TRIGGERS = 10  # per function version: Notes and Constraints, [CODES] FSS.1306
# [TIMER]: letters, digits, _ and -, starting with a letter, at most 64 characters.
TIMER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
# [C7N] _get_default_cts_trigger_name: "only letters, digits and underscores, at most 64 characters".
CTS_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
# [MODELS] / [TF] cts README: "service:resource A;resource B:operation 1;operation 2" ([C7N] joins with ';').
CTS_OPERATION = re.compile(r"^[A-Za-z0-9_-]+:[A-Za-z0-9_-]+(;[A-Za-z0-9_-]+)*:[A-Za-z0-9_]+(;[A-Za-z0-9_]+)*$")
RATE = re.compile(r"^(\d+)([mhd])$")
RATE_LIMITS = {"m": (1, 60), "h": (1, 24), "d": (1, 30)}  # [API] schedule_type Rate
CRON_FIELD = re.compile(r"^[0-9*?/,\-LW#A-Za-z]+$")
# [SDK] / [MODELS]: every APIG field below is "mandatory for APIG triggers"; sl_domain per [MODELS] Table 6 and the
# [API] example; instance_id identifies the dedicated gateway ([TF] getDedicatedApigSubDomainAndEnvId).
APIG_REQUIRED = ("name", "group_id", "env_id", "env_name", "auth", "protocol", "path", "match_mode", "req_method",
                 "backend_type", "type", "sl_domain")
APIG_CHOICES = {"auth": ("IAM", "APP", "NONE"), "protocol": ("HTTP", "HTTPS"), "match_mode": ("SWA", "NORMAL"),
                "req_method": ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "ANY"),
                "backend_type": ("FUNCTION",), "type": ("1", "2")}  # [SDK] docstrings
EVENTGRID_REQUIRED = ("trigger_name", "channel_id", "channel_name", "source_name", "event_types", "agency")  # [SDK]
OFFICIAL_CHANNEL = "default"  # [TF] eg/main.tf and [C7N]: the channel named default is the OFFICIAL one
OFFICIAL_SOURCE_PREFIX = "HC."  # cloud services' own sources (HC.OBS.DWR, [TF]); anything else is custom
# What ListFunctionTriggers leaves out of event_data. DEDICATEDGATEWAY: [LIST]'s example carries no sl_domain,
# backend_type or instance_id (the service looks the gateway up itself). EVENTGRID: [TF] fgs_function_trigger.md,
# "Parts of event_data content are not returned by FunctionGraph Service" (ignore_changes = [event_data]); which
# parts is not documented: the emulator's reading is that the agency is not returned.
NOT_RETURNED = {"DEDICATEDGATEWAY": ("sl_domain", "backend_type", "instance_id"), "EVENTGRID": ("agency",)}


@dataclass(frozen=True)
class Violation:
    """One thing CreateFunctionTrigger refuses, with the status and error code it answers ([CODES])."""

    field: str  # an event_data field, or trigger_type_code / trigger_status
    message: str
    status: int = 400
    code: str = "FSS.0400"


def violations(type_code: str, event_data: Mapping[str, Any], status: str = "ACTIVE") -> List[Violation]:
    rules = _RULES.get(type_code)
    if rules is None:
        return [Violation("trigger_type_code", f"{type_code!r} is not a trigger type this project uses "
                          f"({', '.join(_RULES)})", code="FSS.1101")]
    found = rules(event_data)
    if status not in ("ACTIVE", "DISABLED"):
        found.append(Violation("trigger_status", f"{status!r} must be ACTIVE or DISABLED"))
    elif status == "DISABLED" and type_code not in CAN_BE_DISABLED:
        found.append(Violation("trigger_status", f"a {type_code} trigger cannot be DISABLED (only "
                               f"{', '.join(CAN_BE_DISABLED)}); leave it out instead (Enabled: false)"))
    return found


def check(template: Dict[str, Any]) -> List[str]:
    """Errors naming the resource and the field, for every enabled trigger the real API would refuse."""
    errors: List[str] = []
    for spec in functions(template):
        where = f"Resources.{spec.resource}.Properties.Triggers"
        live = 0
        for index, trigger in enumerate(spec.triggers):
            here = f"{where}[{index}]"
            try:
                if not enabled(trigger):
                    continue
            except ValueError as problem:
                errors.append(f"{here}.Enabled: {problem}")
                continue
            live += 1
            type_code = str(trigger.get("TriggerTypeCode"))
            data = trigger.get("EventData") or {}
            for found in violations(type_code, data, str(trigger.get("Status", "ACTIVE"))):
                field = {"trigger_type_code": "TriggerTypeCode", "trigger_status": "Status"}.get(
                    found.field, f"EventData.{found.field}")
                errors.append(f"{here}.{field}: {found.message}")
            if type_code == "EVENTGRID" and data.get("agency") and data.get("agency") == spec.properties.get("Xrole"):
                # [TF] eg README: the trigger's agency (default fgs_to_eg) lets EventGrid reach FunctionGraph; the
                # function's agency is delegated to FunctionGraph, so it cannot be that one.
                errors.append(f"{here}.EventData.agency: {data['agency']!r} is the function's own agency; EventGrid "
                              "needs its own (e.g. fgs_to_eg, delegated to EventGrid)")
        if live > MAX_TRIGGERS:
            errors.append(f"{where}: {live} enabled triggers; FunctionGraph allows {MAX_TRIGGERS} per function")
    return errors


def returned_event_data(type_code: str, event_data: Mapping[str, Any], function_name: str) -> Dict[str, Any]:
    """event_data as ListFunctionTriggers answers it after a create (see NOT_RETURNED)."""
    returned = {key: value for key, value in event_data.items() if key not in NOT_RETURNED.get(type_code, ())}
    if type_code == "EVENTGRID":
        # [TF] eg README: the service names the trigger default-{function_name}-{trigger_name_suffix}.
        returned["trigger_name"] = f"default-{function_name}-{event_data.get('trigger_name')}"
    return returned


def name(type_code: str, event_data: Mapping[str, Any]) -> str:
    return str(event_data.get("trigger_name") if type_code == "EVENTGRID" else event_data.get("name") or "")


def matches(type_code: str, wanted_name: str, returned: Mapping[str, Any]) -> bool:
    """Whether a listed trigger is the one the template names (EVENTGRID: the name is the suffix, see above)."""
    listed = name(type_code, returned) or str(returned.get("api_name") or "")  # [LIST]: APIG also has api_name
    return listed == wanted_name or (type_code == "EVENTGRID" and listed.endswith(f"-{wanted_name}"))


def schedule_problem(schedule_type: str, schedule: str) -> str:
    """'' when the TIMER schedule parses: Rate (1-60m, 1-24h, 1-30d), 6-field Cron or @every ([API], [TF])."""
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


def _timer(data: Mapping[str, Any]) -> List[Violation]:
    found = []
    if not TIMER_NAME.match(str(data.get("name") or "")):
        found.append(Violation("name", f"{data.get('name')!r}: letters, digits, _ and -, starting with a letter, "
                               "at most 64 characters", code="FSS.1109"))
    problem = schedule_problem(str(data.get("schedule_type")), str(data.get("schedule", "")))
    if problem:
        field = "schedule_type" if problem.startswith("schedule_type") else "schedule"
        found.append(Violation(field, problem, code="FSS.1109"))
    return found


def _cts(data: Mapping[str, Any]) -> List[Violation]:
    found = []
    trigger_name = str(data.get("name") or "")
    if not trigger_name:
        found.append(Violation("name", "the notification name is required", code="FSS.1312"))
    elif len(trigger_name) > 64:
        found.append(Violation("name", f"{trigger_name!r} is longer than 64 characters", code="FSS.1317"))
    elif not CTS_NAME.match(trigger_name):
        # [CODES] lists FSS.1319 "Invalid trigger name" with status 502.
        found.append(Violation("name", f"{trigger_name!r}: only letters, digits and _ (no hyphens), at most 64",
                               status=502, code="FSS.1319"))
    operations = data.get("operations")
    if not operations or not isinstance(operations, list):
        return found + [Violation("operations", "a list of \"Service:resource:op1;op2\" strings is required "
                                  "(e.g. IAM:user:deleteUser;deleteUserV5)", code="FSS.1314")]
    seen = set()
    for operation in operations:
        if not isinstance(operation, str) or not CTS_OPERATION.match(operation):
            found.append(Violation("operations", f"{operation!r} is not \"Service:resource:op1;op2\" "
                                   "(e.g. IAM:user:deleteUser;deleteUserV5)", code="FSS.1318"))
            continue
        service_resource = tuple(operation.split(":")[:2])
        if service_resource in seen:
            # [CODES] FSS.1316 "Duplicate operation resource": one entry per service and resource, ops joined by ';'.
            found.append(Violation("operations", f"{':'.join(service_resource)} appears twice; list its operations "
                                   "in one entry joined by ';'", code="FSS.1316"))
        seen.add(service_resource)
    return found


def _dedicated_gateway(data: Mapping[str, Any]) -> List[Violation]:
    return _apig(data, ("instance_id",), "FSS.1417")  # [CODES] FSS.1417 Invalid APIG (dedicated) trigger parameters


def _shared_gateway(data: Mapping[str, Any]) -> List[Violation]:
    return _apig(data, (), "FSS.1107")  # [CODES] FSS.1107 Invalid APIG trigger parameters


def _apig(data: Mapping[str, Any], extra: tuple, code: str) -> List[Violation]:
    found = []
    for field in (*APIG_REQUIRED, *extra):
        value = data.get(field)
        if value is None or str(value).strip() == "":
            found.append(Violation(field, "required by CreateFunctionTrigger and empty (give the real value, or "
                                   "leave the trigger out with Enabled: false)", code=code))
        elif field in APIG_CHOICES and str(value) not in APIG_CHOICES[field]:
            found.append(Violation(field, f"{value!r} is not one of {', '.join(APIG_CHOICES[field])}", code=code))
    path = str(data.get("path") or "")
    if path and not path.startswith("/"):
        found.append(Violation("path", f"{path!r} must start with / (e.g. /a/b)", code=code))
    return found


def _eventgrid(data: Mapping[str, Any]) -> List[Violation]:
    found = []
    for field in EVENTGRID_REQUIRED:
        value = data.get(field)
        if value is None or value == "" or value == []:
            found.append(Violation(field, "required by CreateFunctionTrigger and empty (give the real value, or "
                                   "leave the trigger out with Enabled: false)"))
    source = str(data.get("source_name") or "")
    if data.get("channel_name") == OFFICIAL_CHANNEL and source and not source.startswith(OFFICIAL_SOURCE_PREFIX):
        found.append(Violation("channel_name", f"the {OFFICIAL_CHANNEL!r} channel is EventGrid's OFFICIAL channel "
                               f"and carries only cloud-service sources (HC.*); the custom source {source!r} needs "
                               "a custom channel"))
    if "event_types" in data and not isinstance(data.get("event_types"), list):
        found.append(Violation("event_types", "a list of event types"))
    return found


_RULES = {"TIMER": _timer, "CTS": _cts, "DEDICATEDGATEWAY": _dedicated_gateway, "APIG": _shared_gateway,
          "EVENTGRID": _eventgrid}
