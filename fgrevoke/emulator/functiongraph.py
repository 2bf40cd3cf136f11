"""FunctionGraph, the calls ``fgrevoke deploy`` and ``destroy`` make: functions (list, create, show and
update config, update code, delete), triggers (list, create, show, delete) and asynchronous invocation
configuration.

Shapes from the FunctionGraph API reference and the SDK models (``huaweicloudsdkfunctiongraph.v2``).
``digest`` is the SHA-512 of the code (the SDK documents it as what tells whether code changed).
Trigger rules, and what a trigger listing leaves out of ``event_data``: ``fgrevoke/trigger_rules.py`` (with
its sources). Error codes: the API reference's error-code appendix (T-Systems copy:
opentelekomcloud-docs/function-graph api-ref/source/appendix/error_codes.rst), and where the real service answers
otherwise, huaweicloud/terraform-provider-huaweicloud
huaweicloud/services/fgs/resource_huaweicloud_fgs_function_trigger.go (GetTriggerById, the trigger delete).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List

from fgrevoke import trigger_rules
from fgrevoke.emulator.service import EmulatedService, Reply, Request, Route, ServiceError

BASE = "/v2/{project_id}/fgs"
CONFIG_FIELDS = ("runtime", "handler", "memory_size", "timeout", "user_data", "xrole", "app_xrole", "description")


def _route(method: str, path: str, name: str, action: str, handler: str) -> Route:
    return Route(method, BASE + path, f"functiongraph.{name}", f"functiongraph:{action}", handler)


class FunctionGraph(EmulatedService):
    name = "functiongraph"
    routes = (
        _route("GET", "/functions", "list_functions", "function:list", "list"),
        _route("POST", "/functions", "create_function", "function:create", "create"),
        _route("GET", "/functions/{urn}/config", "show_function_config", "function:getConfig", "show"),
        _route("PUT", "/functions/{urn}/config", "update_function_config", "function:updateConfig", "update_config"),
        _route("PUT", "/functions/{urn}/code", "update_function_code", "function:updateCode", "update_code"),
        _route("DELETE", "/functions/{urn}", "delete_function", "function:delete", "delete"),
        _route("GET", "/triggers/{urn}", "list_function_triggers", "trigger:list", "list_triggers"),
        _route("POST", "/triggers/{urn}", "create_function_trigger", "trigger:create", "create_trigger"),
        _route("GET", "/triggers/{urn}/{type_code}/{trigger_id}", "show_function_trigger", "trigger:get",
               "show_trigger"),
        _route("DELETE", "/triggers/{urn}/{type_code}/{trigger_id}", "delete_function_trigger", "trigger:delete",
               "delete_trigger"),
        _route("GET", "/functions/{urn}/async-invoke-config", "show_function_async_invoke_config",
               "function:getAsyncInvokeConfig", "show_async"),
        _route("PUT", "/functions/{urn}/async-invoke-config", "update_function_async_invoke_config",
               "function:updateAsyncInvokeConfig", "update_async"),
    )
    state = ("functions", "code", "triggers", "async_configs")
    bad_request_code = "FSS.0400"  # the error-code appendix
    functions: Dict[str, Dict[str, Dict[str, Any]]]
    code: Dict[str, bytes]
    triggers: Dict[str, List[Dict[str, Any]]]
    async_configs: Dict[str, Dict[str, Any]]

    def _project(self, request: Request) -> Dict[str, Dict[str, Any]]:
        return self.functions.setdefault(request.project_id, {})

    def _find(self, request: Request) -> Dict[str, Any]:
        urn = request.path.split("/")[5]  # /v2/{project_id}/fgs/<functions|triggers>/{urn}/...
        for function in self._project(request).values():
            # A URN without a version names the function ("Deleting a Function or Function Version").
            if urn in (function["func_urn"], function["func_urn"].rsplit(":", 1)[0]):
                return function
        raise ServiceError(404, "FSS.1051", f"function {urn} does not exist")  # error-code appendix

    def list(self, request: Request) -> Reply:
        """ListFunctions: ``marker`` (a start index) and ``maxitems``, answering ``next_marker`` and ``count``
        (API reference "Querying Functions"; SDK ListFunctionsRequest/ListFunctionsResponse)."""
        functions = sorted(self._project(request).values(), key=lambda f: f["func_name"])
        marker, limit = int(request.arg("marker") or 0), int(request.arg("maxitems") or 400)
        page = functions[marker:marker + limit]
        return Reply(200, {"functions": page, "next_marker": marker + len(page), "count": len(functions)})

    def create(self, request: Request) -> Reply:
        """CreateFunction: fields of the SDK's CreateFunctionRequestBody; the URN as in the API reference's
        function model (urn:fss:<region>:<project>:function:<package>:<name>:latest)."""
        body = request.json() or {}
        name = body.get("func_name")
        if not name or not body.get("runtime") or not body.get("handler"):
            raise self.bad_request("func_name, runtime and handler are required")  # error-code appendix
        if name in self._project(request):
            raise ServiceError(409, "FSS.1061", f"function {name} already exists")  # error-code appendix
        package = body.get("package") or "default"
        urn = f"urn:fss:cn-north-4:{request.project_id}:function:{package}:{name}:latest"
        function = {"func_urn": urn, "func_name": name, "package": package, "code_type": body.get("code_type"),
                    "code_filename": body.get("code_filename"), "version": "latest"}
        function.update({field: body.get(field) for field in CONFIG_FIELDS})
        self._project(request)[name] = function
        self._store_code(function, body)
        return Reply(200, function)

    def show(self, request: Request) -> Reply:
        return Reply(200, self._find(request))

    def update_config(self, request: Request) -> Reply:  # SDK UpdateFunctionConfigRequestBody
        function = self._find(request)
        body = request.json() or {}
        function.update({field: body[field] for field in CONFIG_FIELDS if field in body})
        function["last_modified"] = _now()
        return Reply(200, function)

    def update_code(self, request: Request) -> Reply:  # SDK UpdateFunctionCodeRequestBody (func_code.file: base64)
        function = self._find(request)
        self._store_code(function, request.json() or {})
        return Reply(200, {"func_urn": function["func_urn"], "digest": function["digest"]})

    def _store_code(self, function: Dict[str, Any], body: Dict[str, Any]) -> None:
        encoded = (body.get("func_code") or {}).get("file") or ""
        code = base64.b64decode(encoded) if encoded else b""
        self.code[function["func_urn"]] = code
        function.update(digest=hashlib.sha512(code).hexdigest(), code_size=len(code), last_modified=_now(),
                        code_filename=body.get("code_filename") or function.get("code_filename"))

    def list_triggers(self, request: Request) -> Reply:
        function = self._find(request)
        return Reply(200, self.listed_triggers(function["func_urn"]))

    def listed_triggers(self, urn: str) -> List[Dict[str, Any]]:
        function = next(f for functions in self.functions.values() for f in functions.values() if f["func_urn"] == urn)
        return [self._as_listed(function, trigger) for trigger in self.triggers.get(urn, [])]

    def create_trigger(self, request: Request) -> Reply:
        function = self._find(request)
        body = request.json() or {}
        type_code, data = body.get("trigger_type_code"), body.get("event_data")
        if not type_code or not isinstance(data, dict):
            raise self.bad_request("trigger_type_code and event_data are required")
        status = body.get("trigger_status") or "ACTIVE"
        found = trigger_rules.violations(type_code, data, status)
        if found:  # the first refusal, with its documented status and code (trigger_rules.Violation)
            raise ServiceError(found[0].status, found[0].code, f"event_data.{found[0].field}: {found[0].message}"
                         if found[0].field not in ("trigger_type_code", "trigger_status") else found[0].message)
        existing = self.triggers.setdefault(function["func_urn"], [])
        if len(existing) >= trigger_rules.MAX_TRIGGERS:
            raise ServiceError(400, "FSS.1306", "the number of triggers exceeds the maximum allowed limit")
        wanted = trigger_rules.name(type_code, data)
        if any(t["trigger_type_code"] == type_code and trigger_rules.name(type_code, t["event_data"]) == wanted
               for t in existing):
            raise ServiceError(400, "FSS.1307", f"the trigger name {wanted} already exists")
        trigger = {"trigger_id": uuid.uuid4().hex, "trigger_type_code": type_code, "trigger_status": status,
                   "event_data": data, "created_time": _now(), "last_updated_time": _now()}
        existing.append(trigger)
        return Reply(201, self._as_listed(function, trigger))

    def _as_listed(self, function: Dict[str, Any], trigger: Dict[str, Any]) -> Dict[str, Any]:
        """What the service gives back: trigger_rules.returned_event_data (fields it does not return dropped)."""
        return {**trigger, "event_data": trigger_rules.returned_event_data(
            trigger["trigger_type_code"], trigger["event_data"], function["func_name"])}

    def show_trigger(self, request: Request) -> Reply:
        function = self._find(request)
        trigger_id = request.path.rsplit("/", 1)[1]
        for trigger in self.triggers.get(function["func_urn"], []):
            if trigger["trigger_id"] == trigger_id:
                return Reply(200, self._as_listed(function, trigger))
        # Terraform's GetTriggerById reads a missing trigger as 500 FSS.0500 (ConvertExpected500ErrInto404Err).
        raise ServiceError(500, "FSS.0500", "internal server error")

    def delete_trigger(self, request: Request) -> Reply:
        try:
            function = self._find(request)
        except ServiceError:
            # Terraform's trigger delete reads 401 FSS.0401 as "function not found" (ConvertExpected401ErrInto404Err).
            raise ServiceError(401, "FSS.0401", "unauthorized access") from None
        trigger_id = request.path.rsplit("/", 1)[1]
        triggers = self.triggers.get(function["func_urn"], [])
        remaining = [t for t in triggers if t["trigger_id"] != trigger_id]
        if len(remaining) == len(triggers):
            raise ServiceError(404, "FSS.1131", f"the trigger {trigger_id} does not exist")  # error-code appendix
        self.triggers[function["func_urn"]] = remaining
        return Reply(204, None)

    def delete(self, request: Request) -> Reply:
        """DeleteFunction: with a URN without version, the function with its versions, triggers and asynchronous
        configuration. "The latest version of a function cannot be deleted" (API reference, Deleting a Function or
        Function Version); the status of that refusal is not documented: the emulator answers 400 FSS.0400."""
        function = self._find(request)
        if request.path.split("/")[5].endswith(":latest"):
            raise self.bad_request("the latest version of a function cannot be deleted; give the URN "
                                   "without a version")
        urn = function["func_urn"]
        del self._project(request)[function["func_name"]]
        self.code.pop(urn, None)
        self.triggers.pop(urn, None)
        self.async_configs.pop(urn, None)
        return Reply(204, None)

    def show_async(self, request: Request) -> Reply:
        function = self._find(request)
        config = self.async_configs.get(function["func_urn"])
        # Terraform's async-invoke-configuration resource reads a missing configuration as 404.
        if not config:
            raise ServiceError(404, "FSS.0404", "no asynchronous invocation config")
        return Reply(200, config)

    def update_async(self, request: Request) -> Reply:
        function = self._find(request)
        body = request.json() or {}
        # SDK UpdateFunctionAsyncInvokeConfigRequestBody docstrings: retries 0-3, maximum event age 60-86400 s.
        retries, age = body.get("max_async_retry_attempts", 1), body.get("max_async_event_age_in_seconds", 3600)
        if not (isinstance(retries, int) and 0 <= retries <= 3 and isinstance(age, int) and 60 <= age <= 86400):
            raise self.bad_request("max_async_retry_attempts is 0-3 and max_async_event_age_in_seconds "
                                   "60-86400")
        config = {"func_urn": function["func_urn"], **body, "last_modified": _now()}
        self.async_configs[function["func_urn"]] = config
        return Reply(200, config)

    def user_data(self, project_id: str, name: str) -> Dict[str, str]:
        return json.loads(self.functions[project_id][name].get("user_data") or "{}")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")
