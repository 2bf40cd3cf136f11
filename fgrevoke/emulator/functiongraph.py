"""FunctionGraph, the calls ``fgrevoke deploy`` makes: functions (list, create, show and update config,
update code), triggers (list, create, delete) and asynchronous invocation configuration.

Shapes from the FunctionGraph API reference and the SDK models (``huaweicloudsdkfunctiongraph.v2``).
``digest`` is the SHA-512 of the code (the SDK documents it as what tells whether code changed).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List

from fgrevoke.emulator.server import Emulator, Reply, Request, error

BASE = "/v2/{project_id}/fgs"
CONFIG_FIELDS = ("runtime", "handler", "memory_size", "timeout", "user_data", "xrole", "app_xrole", "description")


class FunctionGraph:
    def __init__(self, emulator: Emulator) -> None:
        self.functions: Dict[str, Dict[str, Dict[str, Any]]] = {}
        self.code: Dict[str, bytes] = {}
        self.triggers: Dict[str, List[Dict[str, Any]]] = {}
        self.async_configs: Dict[str, Dict[str, Any]] = {}
        routes = [
            ("GET", "/functions", "functiongraph.list_functions", self.list, "functiongraph:function:list"),
            ("POST", "/functions", "functiongraph.create_function", self.create, "functiongraph:function:create"),
            ("GET", "/functions/{urn}/config", "functiongraph.show_function_config", self.show,
             "functiongraph:function:getConfig"),
            ("PUT", "/functions/{urn}/config", "functiongraph.update_function_config", self.update_config,
             "functiongraph:function:updateConfig"),
            ("PUT", "/functions/{urn}/code", "functiongraph.update_function_code", self.update_code,
             "functiongraph:function:updateCode"),
            ("GET", "/triggers/{urn}", "functiongraph.list_function_triggers", self.list_triggers,
             "functiongraph:trigger:list"),
            ("POST", "/triggers/{urn}", "functiongraph.create_function_trigger", self.create_trigger,
             "functiongraph:trigger:create"),
            ("DELETE", "/triggers/{urn}/{type_code}/{trigger_id}", "functiongraph.delete_function_trigger",
             self.delete_trigger, "functiongraph:trigger:delete"),
            ("GET", "/functions/{urn}/async-invoke-config", "functiongraph.show_function_async_invoke_config",
             self.show_async, "functiongraph:function:getAsyncInvokeConfig"),
            ("PUT", "/functions/{urn}/async-invoke-config", "functiongraph.update_function_async_invoke_config",
             self.update_async, "functiongraph:function:updateAsyncInvokeConfig"),
        ]
        for method, path, name, handler, action in routes:
            emulator.route(method, BASE + path, name, handler, action)

    def reset(self) -> None:
        self.functions.clear()
        self.code.clear()
        self.triggers.clear()
        self.async_configs.clear()

    def _project(self, request: Request) -> Dict[str, Dict[str, Any]]:
        return self.functions.setdefault(request.project_id, {})

    def _find(self, request: Request) -> Any:
        urn = request.path.split("/")[5]  # /v2/{project_id}/fgs/<functions|triggers>/{urn}/...
        for function in self._project(request).values():
            if function["func_urn"] == urn:
                return function
        return error(404, "FSS.0404", f"function {urn} not found")

    def list(self, request: Request) -> Reply:
        functions = sorted(self._project(request).values(), key=lambda f: f["func_name"])
        marker, limit = int(request.arg("marker") or 0), int(request.arg("maxitems") or 400)
        page = functions[marker:marker + limit]
        return Reply(200, {"functions": page, "next_marker": marker + len(page), "count": len(functions)})

    def create(self, request: Request) -> Reply:
        body = request.json() or {}
        name = body.get("func_name")
        if not name or not body.get("runtime") or not body.get("handler"):
            return error(400, "FSS.0400", "func_name, runtime and handler are required")
        if name in self._project(request):
            return error(409, "FSS.0409", f"function {name} already exists")
        package = body.get("package") or "default"
        urn = f"urn:fss:cn-north-4:{request.project_id}:function:{package}:{name}:latest"
        function = {"func_urn": urn, "func_name": name, "package": package, "code_type": body.get("code_type"),
                    "code_filename": body.get("code_filename"), "version": "latest"}
        function.update({field: body.get(field) for field in CONFIG_FIELDS})
        self._project(request)[name] = function
        self._store_code(function, body)
        return Reply(200, function)

    def show(self, request: Request) -> Reply:
        function = self._find(request)
        return function if isinstance(function, Reply) else Reply(200, function)

    def update_config(self, request: Request) -> Reply:
        function = self._find(request)
        if isinstance(function, Reply):
            return function
        body = request.json() or {}
        function.update({field: body[field] for field in CONFIG_FIELDS if field in body})
        function["last_modified"] = _now()
        return Reply(200, function)

    def update_code(self, request: Request) -> Reply:
        function = self._find(request)
        if isinstance(function, Reply):
            return function
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
        if isinstance(function, Reply):
            return function
        return Reply(200, self.triggers.get(function["func_urn"], []))

    def create_trigger(self, request: Request) -> Reply:
        function = self._find(request)
        if isinstance(function, Reply):
            return function
        body = request.json() or {}
        if not body.get("trigger_type_code") or not isinstance(body.get("event_data"), dict):
            return error(400, "FSS.0400", "trigger_type_code and event_data are required")
        trigger = {"trigger_id": uuid.uuid4().hex, "trigger_type_code": body["trigger_type_code"],
                   "trigger_status": body.get("trigger_status") or "ACTIVE", "event_data": body["event_data"],
                   "created_time": _now(), "last_updated_time": _now()}
        self.triggers.setdefault(function["func_urn"], []).append(trigger)
        return Reply(201, trigger)

    def delete_trigger(self, request: Request) -> Reply:
        function = self._find(request)
        if isinstance(function, Reply):
            return function
        trigger_id = request.path.rsplit("/", 1)[1]
        triggers = self.triggers.get(function["func_urn"], [])
        remaining = [t for t in triggers if t["trigger_id"] != trigger_id]
        if len(remaining) == len(triggers):
            return error(404, "FSS.0404", f"trigger {trigger_id} not found")
        self.triggers[function["func_urn"]] = remaining
        return Reply(204, None)

    def show_async(self, request: Request) -> Reply:
        function = self._find(request)
        if isinstance(function, Reply):
            return function
        config = self.async_configs.get(function["func_urn"])
        return Reply(200, config) if config else error(404, "FSS.0404", "no asynchronous invocation config")

    def update_async(self, request: Request) -> Reply:
        function = self._find(request)
        if isinstance(function, Reply):
            return function
        body = request.json() or {}
        config = {"func_urn": function["func_urn"], **body, "last_modified": _now()}
        self.async_configs[function["func_urn"]] = config
        return Reply(200, config)

    def user_data(self, project_id: str, name: str) -> Dict[str, str]:
        return json.loads(self.functions[project_id][name].get("user_data") or "{}")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")
