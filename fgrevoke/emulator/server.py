"""The emulator's HTTP server: routing, signature checks, accounts and regions, fault injection and a request
journal.

One server answers for every region (``endpoint``); ``endpoint_for(region)`` is a listener of its own per region,
so the journal tells which region's endpoint a request came to. A request signed by one account for a project of
another account, or a project-level request (the project in its path) sent to one region's endpoint for a project of
another region, is refused (403), as is an action ``deny`` switched off for a target.
"""

from __future__ import annotations

import json
import random
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Pattern, Tuple
from urllib.parse import unquote

from fgrevoke import request_body
from fgrevoke.emulator import signature
from fgrevoke.emulator.accounts import DEFAULT_ACCOUNT, Directory, Project

MASKED_HEADERS = ("authorization", "x-security-token")
# Keys in answers (STS AssumeAgency's session): the journal and the request log show them masked.
MASKED_FIELDS = ("access_key_id", "secret_access_key", "security_token")
REFUSED = "APIG.0302"  # the emulator's code for a request refused before the service sees it (403)


@dataclass
class Request:
    method: str
    path: str
    query: Dict[str, List[str]]
    headers: Dict[str, str]
    body: bytes
    project_id: str  # the path's, else the X-Project-Id header's
    route: str = ""
    account_id: str = DEFAULT_ACCOUNT  # the account of the key that signed it
    region: Optional[str] = None  # the region of the endpoint it came to (None: the all-regions endpoint)
    regional: bool = False  # its path names the project (a project-level service; IAM and STS are not)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None

    def arg(self, name: str) -> Optional[str]:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: Dict[str, str] = field(default_factory=dict)
    raw: Optional[bytes] = None  # sent as-is (malformed bodies)
    trickle: float = 0.0  # seconds between the body's bytes


def error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"error_code": code, "error_msg": message})


class ServiceError(Exception):
    """An emulated service's error answer, raised by its handler; the server sends ``reply()``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message

    def reply(self) -> Reply:
        return error(self.status, self.code, self.message)


@dataclass
class Fault:
    """What to do instead of (or before) serving a route."""

    route: str
    status: Optional[int] = None
    retry_after: Optional[str] = None
    body: Any = None
    raw_body: Optional[bytes] = None
    latency: float = 0.0
    drop: bool = False  # close the connection without an answer
    drop_mid_response: bool = False  # send headers and part of the body, then close
    serve_first: bool = False  # the service acts, then the answer is delayed, dropped or replaced
    times: Optional[int] = 1  # None: every matching request
    probability: float = 1.0
    when: Optional[Callable[[Request], bool]] = None
    # Runs once the route has served this request, before the answer is sent: the service's state changes
    # between two requests (another revocation removes an entry between two pages of a listing).
    then: Optional[Callable[[Request], None]] = None
    trickle: float = 0.0  # seconds between the answer's bytes: every read is quick, the whole answer is not
    hits: int = 0


Handler = Callable[[Request], Reply]


class Key(NamedTuple):
    secret_key: str
    security_token: Optional[str]
    account_id: str


@dataclass
class Denial:
    """An action a target refuses (403): its agency lacks the permission there. ``None`` matches any."""

    action: str  # a route name (``modelarts.delete_authorizations``), a service (``modelarts``), an IAM action, "*"
    project_id: Optional[str] = None
    account_id: Optional[str] = None
    region: Optional[str] = None

    def matches(self, request: Request, action: str) -> bool:
        return ((self.action in ("*", request.route, action) or request.route.startswith(self.action + "."))
                and self.project_id in (None, request.project_id)
                and self.account_id in (None, request.account_id)
                and self.region in (None, request.region))


class Emulator:
    """Start with ``with Emulator() as emulator:`` or ``start()``; ``endpoint`` is its base URL."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, check_signatures: bool = True,
                 seed: int = 0) -> None:
        from fgrevoke.emulator.service import discover

        self.check_signatures = check_signatures
        self.body_seconds = request_body.READ_SECONDS  # for a body to arrive once its headers have
        self.credentials: Dict[str, Key] = {}
        self.directory = Directory()
        self.journal: List[Dict[str, Any]] = []
        self.listeners: List[Callable[[Dict[str, Any]], None]] = []  # told of each journal entry (request log)
        self.faults: List[Fault] = []
        self.denials: List[Denial] = []
        self.max_in_flight: Dict[str, int] = {}
        self._in_flight: Dict[str, int] = {}
        self._lock = threading.RLock()
        self._random = random.Random(seed)
        self._routes: List[Tuple[str, Pattern[str], str, Handler]] = []
        self.actions: Dict[str, str] = {}  # route -> the IAM action the real API requires
        self.services = {name: build(self) for name, build in discover().items()}  # emulator.<name> reaches one
        self._server = _listener((host, port), self, None)
        self._regional: Dict[str, ThreadingHTTPServer] = {}
        self._serving: List[ThreadingHTTPServer] = []

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        """The base URL answering for every region."""
        return _url(self._server)

    def endpoint_for(self, region: str) -> str:
        """The base URL of ``region``'s own endpoint (a listener of its own: the SDK keeps only the scheme and
        host of an endpoint, so a path cannot tell regions apart); opened on first use."""
        with self._lock:
            server = self._regional.get(region)
            if server is None:
                server = self._regional[region] = _listener((str(self._server.server_address[0]), 0), self, region)
                if self._serving:
                    self._run(server)
        return _url(server)

    @property
    def regions(self) -> Dict[str, str]:
        """The regions with an endpoint of their own, and its base URL."""
        with self._lock:
            return {region: _url(server) for region, server in self._regional.items()}

    def start(self) -> "Emulator":
        with self._lock:
            for server in [self._server, *self._regional.values()]:
                self._run(server)
        return self

    def _run(self, server: ThreadingHTTPServer) -> None:
        # shutdown() waits for the loop's next poll: the default 0.5 s made every embedded emulator cost that.
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="emulator",
                         daemon=True).start()
        self._serving.append(server)

    def stop(self) -> None:
        with self._lock:
            serving, self._serving = list(self._serving), []
        for server in serving:
            server.shutdown()
        for server in [self._server, *self._regional.values()]:
            server.server_close()

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *_exc: Any) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve in the foreground (the regions' endpoints in the background) until stopped."""
        with self._lock:
            for server in self._regional.values():
                self._run(server)
        self._server.serve_forever()

    # -- configuration ---------------------------------------------------------------------
    def add_credentials(self, access_key: str, secret_key: str, security_token: Optional[str] = None,
                        account_id: Optional[str] = None) -> None:
        """Known keys of ``account_id`` (default: the default account); with a token, requests signed by this
        key must carry it."""
        with self._lock:
            self.credentials[access_key] = Key(secret_key, security_token, account_id or DEFAULT_ACCOUNT)

    def add_project(self, region: str, project_id: str, account_id: Optional[str] = None,
                    name: Optional[str] = None) -> Project:
        """A project of ``account_id`` (default: the default account) in ``region``; the first of a region in an
        account is the region's own project (named after it), the next ones its sub-projects."""
        with self._lock:
            return self.directory.add(region, project_id, account_id, name)

    def inject(self, route: str, **options: Any) -> Fault:
        fault = Fault(route, **options)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def deny(self, action: str, *, project_id: Optional[str] = None, account_id: Optional[str] = None,
             region: Optional[str] = None) -> Denial:
        """From now on, ``action`` (a route name, a service's every route, an IAM action, or "*") answers 403 where
        the other arguments match (None: anywhere): the agency lacks that permission in that target."""
        denial = Denial(action, project_id, account_id, region)
        with self._lock:
            self.denials.append(denial)
        return denial

    def reset(self) -> None:
        """Forget state, faults and journal (between tests)."""
        with self._lock:
            self.clear_faults()
            self.denials.clear()
            self.journal.clear()
            self.max_in_flight.clear()
            self.directory.clear()
            for service in self.services.values():
                service.reset()

    def __getattr__(self, name: str) -> Any:
        services = self.__dict__.get("services", {})
        if name in services:
            return services[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def route(self, method: str, template: str, name: str, handler: Handler, action: str) -> None:
        self.actions[name] = action
        pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"
        self._routes.append((method, re.compile(pattern), name, handler))

    def calls(self, route: Optional[str] = None) -> List[Dict[str, Any]]:
        with self._lock:
            return [entry for entry in self.journal if route is None or entry["route"] == route]

    # -- serving ---------------------------------------------------------------------------
    def _serve(self, http: BaseHTTPRequestHandler, region: Optional[str]) -> None:
        raw_target = http.path
        path, _, query_text = raw_target.partition("?")
        try:
            body, refused = request_body.read(http, self.body_seconds), None
        except request_body.BadBody as problem:
            body, refused = b"", error(400, "EMU.BadRequest", f"malformed request: {problem.message}")
            http.close_connection = True  # the body was not read: where the next request starts is unknown
        headers = {name.lower(): value for name, value in http.headers.items()}
        request_id = uuid.uuid4().hex
        match = self._match(http.command, unquote(path))
        route, handler, params = match if match else ("unknown", None, {})
        request = Request(http.command, unquote(path), _query(query_text), headers, body,
                          params.get("project_id") or headers.get("x-project-id", ""), route, region=region,
                          regional="project_id" in params)
        self._enter(route)
        try:
            reply = refused or self._reply(http, request, raw_target, handler, request_id)
        finally:
            self._leave(route)
        if reply is None:
            return
        reply.headers.setdefault("X-Request-Id", request_id)
        self._record(request, reply, request_id)
        _write(http, reply)

    def _reply(self, http: BaseHTTPRequestHandler, request: Request, raw_target: str,
               handler: Optional[Handler], request_id: str) -> Optional[Reply]:
        if self.check_signatures:
            problem = self._authenticate(request, raw_target)
            if problem is not None:
                return problem
        if handler is None:
            return error(404, "APIG.0101", "The API does not exist or has not been published in the environment")
        denied = self._denied(request)
        if denied is not None:
            return denied
        fault = self._fault_for(request)
        if fault is not None and fault.serve_first:
            served = self._call(handler, request)
            if fault.latency:
                time.sleep(fault.latency)
            if fault.drop or fault.drop_mid_response:
                self._record(request, Reply(0, {"dropped": True, "served": served.status}), request_id)
                _drop(http, mid_response=fault.drop_mid_response)
                return None
            if fault.raw_body is not None or fault.body is not None or fault.status is not None:
                return Reply(fault.status or served.status, fault.body, served.headers, raw=fault.raw_body)
            return served
        if fault is not None:
            if fault.latency:
                time.sleep(fault.latency)
            if fault.drop or fault.drop_mid_response:
                self._record(request, Reply(0, {"dropped": True}), request_id)
                _drop(http, mid_response=fault.drop_mid_response)
                return None
            if fault.status is not None:
                reply = Reply(fault.status, fault.body if fault.body is not None else
                              {"error_code": f"EMU.{fault.status}", "error_msg": "injected fault"},
                              raw=fault.raw_body)
                if fault.retry_after is not None:
                    reply.headers["Retry-After"] = fault.retry_after
                return reply
        try:
            reply = self._call(handler, request)
        except (ValueError, KeyError, TypeError, AttributeError) as problem:
            return error(400, "EMU.BadRequest", f"malformed request: {problem}")
        if fault is not None and fault.then is not None:
            with self._lock:
                fault.then(request)
        if fault is not None and fault.trickle:
            reply.trickle = fault.trickle
        return reply

    def _call(self, handler: Handler, request: Request) -> Reply:
        try:
            with self._lock:
                return handler(request)
        except ServiceError as refusal:
            return refusal.reply()

    def _authenticate(self, request: Request, raw_target: str) -> Optional[Reply]:
        secrets = {access_key: key.secret_key for access_key, key in self.credentials.items()}
        try:
            access_key = signature.verify(request.method, raw_target, request.headers, request.body, secrets)
        except signature.SignatureError as problem:
            return error(401, "APIG.0301", f"Incorrect IAM authentication information: {problem}")
        expected_token = self.credentials[access_key].security_token
        request.account_id = self.credentials[access_key].account_id
        if expected_token is not None:
            signed = request.headers.get("authorization", "").split("SignedHeaders=")[1].split(",")[0]
            if request.headers.get("x-security-token") != expected_token or \
                    "x-security-token" not in signed.split(";"):
                return error(401, "APIG.0301", "Incorrect IAM authentication information: "
                                               "security token missing or invalid")
        header_project = request.headers.get("x-project-id")
        if header_project and request.project_id and header_project != request.project_id:
            return error(403, REFUSED, "The project in X-Project-Id does not match the URL")
        return self._misdirected(request)

    def _misdirected(self, request: Request) -> Optional[Reply]:
        """A request for another account's project or domain, or a project-level request for a project of another
        region than the endpoint's (only projects the emulator knows of are checked)."""
        domain = request.headers.get("x-domain-id")
        if domain and domain != request.account_id:
            return error(403, REFUSED, "The account in X-Domain-Id is not the account of the signing key")
        project = self.directory.projects.get(request.project_id)
        if project is None:
            return None
        if project.account_id != request.account_id:
            return error(403, REFUSED, f"The project {project.project_id} does not belong to the account of the "
                                       "signing key")
        if request.regional and request.region is not None and project.region != request.region:
            return error(403, REFUSED, f"The project {project.project_id} is in {project.region}, not in "
                                       f"{request.region}")
        return None

    def _denied(self, request: Request) -> Optional[Reply]:
        action = self.actions.get(request.route, "")
        with self._lock:
            if not any(denial.matches(request, action) for denial in self.denials):
                return None
        # The IAM 5.0 error format for a missing permission (docs/reference/account-wide.md §5); the code is ours.
        return Reply(403, {"error_code": "EMU.AccessDenied",
                           "error_msg": f"access denied: {action or request.route} is not allowed in project "
                                        f"{request.project_id or '(none)'}",
                           "encoded_authorization_message": "emulated"})

    def _match(self, method: str, path: str) -> Optional[Tuple[str, Handler, Dict[str, str]]]:
        for route_method, pattern, name, handler in self._routes:
            found = pattern.match(path)
            if route_method == method and found:
                return name, handler, found.groupdict()
        return None

    def _fault_for(self, request: Request) -> Optional[Fault]:
        with self._lock:
            for fault in self.faults:
                if fault.route not in (request.route, "*"):
                    continue
                if fault.times is not None and fault.hits >= fault.times:
                    continue
                if fault.when is not None and not fault.when(request):
                    continue
                if fault.probability < 1.0 and self._random.random() >= fault.probability:
                    continue
                fault.hits += 1
                return fault
        return None

    def _enter(self, route: str) -> None:
        with self._lock:
            self._in_flight[route] = self._in_flight.get(route, 0) + 1
            self.max_in_flight[route] = max(self.max_in_flight.get(route, 0), self._in_flight[route])

    def _leave(self, route: str) -> None:
        with self._lock:
            self._in_flight[route] -= 1

    def _record(self, request: Request, reply: Reply, request_id: str) -> None:
        try:
            body = request.json()
        except ValueError:
            body = request.body.decode("utf-8", "replace")
        with self._lock:
            self.journal.append({
                "route": request.route, "method": request.method, "path": request.path,
                "query": {key: values[0] if len(values) == 1 else values for key, values in request.query.items()},
                "headers": {name: "***" if name in MASKED_HEADERS else value
                            for name, value in request.headers.items()},
                "body": body, "project_id": request.project_id, "account_id": request.account_id,
                "region": request.region, "status": reply.status,
                "response": _masked(reply.body), "request_id": request_id, "time": time.time()})
            entry = self.journal[-1]
        for listener in list(self.listeners):
            listener(entry)


def _masked(body: Any) -> Any:
    if isinstance(body, dict):
        return {key: "***" if key in MASKED_FIELDS and value else _masked(value) for key, value in body.items()}
    if isinstance(body, list):
        return [_masked(value) for value in body]
    return body


def _url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


def _listener(address: Tuple[str, int], emulator: Emulator, region: Optional[str]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(address, _handler_class(emulator, region))
    server.daemon_threads = True
    return server


def _query(text: str) -> Dict[str, List[str]]:
    query: Dict[str, List[str]] = {}
    for part in text.split("&") if text else []:
        key, _, value = part.partition("=")
        query.setdefault(unquote(key), []).append(unquote(value))
    return query


def _write(http: BaseHTTPRequestHandler, reply: Reply) -> None:
    if reply.raw is not None:
        payload = reply.raw
    elif reply.body is None:
        payload = b""
    else:
        payload = json.dumps(reply.body).encode("utf-8")
    http.send_response(reply.status)
    if payload:
        http.send_header("Content-Type", "application/json")
    for name, value in reply.headers.items():
        http.send_header(name, value)
    http.send_header("Content-Length", str(len(payload)))
    if http.close_connection:
        http.send_header("Connection", "close")
    http.end_headers()
    if payload and http.command != "HEAD":
        if reply.trickle:
            _trickle(http, payload, reply.trickle)
        else:
            http.wfile.write(payload)


def _trickle(http: BaseHTTPRequestHandler, payload: bytes, pause: float) -> None:
    """A byte at a time: every read of the client gets a byte within its timeout, the whole answer takes long."""
    try:
        for index in range(len(payload)):
            http.wfile.write(payload[index:index + 1])
            http.wfile.flush()
            time.sleep(pause)
    except OSError:  # the client gave up and closed the connection
        http.close_connection = True


def _drop(http: BaseHTTPRequestHandler, mid_response: bool) -> None:
    if mid_response:
        http.send_response(200)
        http.send_header("Content-Type", "application/json")
        http.send_header("Content-Length", "100")
        http.end_headers()
        http.wfile.write(b'{"result": ')
        http.wfile.flush()
    http.close_connection = True
    try:
        http.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _handler_class(emulator: Emulator, region: Optional[str]) -> type:
    class EmulatorRequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes; without this Nagle holds the body
            # until the client's delayed ACK (40 ms per call).
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:
            emulator._serve(self, region)

        do_POST = do_DELETE = do_PUT = do_GET

        def log_message(self, *_args: Any) -> None:  # the journal is the log
            pass

    return EmulatorRequestHandler
