"""``fgrevoke serve``: a local HTTP endpoint that hands each request to a function as the API Gateway
trigger event FunctionGraph would give it (as ``sam local start-api`` does), and answers with the
function's APIG response, so ``curl`` works.

Routes: ``/<function folder>`` for every function, and the path of its API Gateway trigger in the
template (e.g. ``/fgrevoke/modelarts/authorizations``). The body is passed Base64-encoded with
``isBase64Encoded: true``, as APIG does.

It answers only its own address: a request whose ``Host`` is another name (a web page that rebound its
domain to 127.0.0.1) or that a browser marks as sent from another site (``Origin``, ``Sec-Fetch-Site``) is
refused with 403 before any function runs, so a page a developer opens cannot make it revoke.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import time
import uuid
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Set, Tuple
from urllib.parse import parse_qs, urlsplit

from fgrevoke import request_body, testkit
from fgrevoke.errors import ToolError
from fgrevoke.local import Prepared

TRIGGER_TYPES = ("DEDICATEDGATEWAY", "APIG")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
SAME_SITE = ("same-origin", "none")  # Sec-Fetch-Site of a page of its own, or an address typed in the browser
Answer = Tuple[int, Dict[str, str], bytes]  # status, headers, body


def routes(prepared: List[Prepared]) -> Dict[str, Prepared]:
    table: Dict[str, Prepared] = {}
    for item in prepared:
        table[f"/{item.spec.folder}"] = item
        for trigger in item.spec.triggers:
            path = (trigger.get("EventData") or {}).get("path")
            if trigger.get("TriggerTypeCode") in TRIGGER_TYPES and path:
                table[str(path)] = item
    return table


class Gateway:
    """Serves ``routes`` on ``host:port`` (port 0: any free port) until stopped; binds at once, so a port
    in use is known before the functions are prepared."""

    def __init__(self, host: str = "127.0.0.1", port: int = 3000,
                 body_seconds: float = request_body.READ_SECONDS) -> None:
        self.routes: Dict[str, Prepared] = {}
        self.body_seconds = body_seconds
        try:
            self._server = ThreadingHTTPServer((host, port), _handler_class(self))
        except OSError as error:
            raise ToolError(f"cannot listen on {host}:{port}: {error.strerror or error}; pick another --port "
                            "(0 picks a free one)") from None
        self._server.daemon_threads = True
        self._serving = False
        self._log_lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def hosts(self) -> Set[str]:
        """The ``Host`` values that name this server: its address, or a loopback name, with its port."""
        host, port = self._server.server_address[:2]
        names = {str(host), *LOOPBACK_NAMES}
        hosts = {f"[{name}]:{port}" if ":" in name else f"{name}:{port}" for name in names}
        if port == 80:  # a client leaves out the default port
            hosts |= {f"[{name}]" if ":" in name else name for name in names}
        return hosts

    def refusal(self, headers: Message) -> Optional[Answer]:
        """403 for a request that is not for this server or comes from another site; None for one to serve."""
        hosts = headers.get_all("Host") or []
        if len(hosts) != 1 or hosts[0].strip().lower() not in self.hosts:
            return _error(403, "FGR.ForeignHost", f"this server answers only requests for {self.url} (Host "
                          f"{' or '.join(sorted(self.hosts))}); a request for another name is refused, as a web "
                          "page that rebinds its domain to this machine would send")
        origins = headers.get_all("Origin") or []
        site = (headers.get("Sec-Fetch-Site") or "").strip().lower()
        if any(origin.strip().lower() not in {f"http://{host}" for host in self.hosts} for origin in origins) or \
                (site and site not in SAME_SITE):
            return _error(403, "FGR.CrossSiteRequest", f"a request sent by a web page of another site is refused: "
                          f"it could make the functions revoke; call {self.url} from curl, a script or a test")
        return None

    def serve_forever(self) -> None:
        self._serving = True
        self._server.serve_forever()

    def stop(self) -> None:
        if self._serving:  # shutdown() waits for a serve_forever loop, so only when one ran
            self._server.shutdown()
        self._server.server_close()

    def answer(self, method: str, target: str, headers: Dict[str, str], body: bytes) -> Answer:
        """The HTTP answer to one request: the function's APIG response, or the gateway's own error."""
        parts = urlsplit(target)
        prepared = self.routes.get(parts.path.rstrip("/") or "/")
        if prepared is None:
            return _error(404, "FGR.NoRoute", f"no function at {parts.path}; the routes are {', '.join(self.routes)}")
        query = {key: values[0] if len(values) == 1 else values
                 for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
        event = testkit.apig_event(method, body, query, base64_body=True, path=parts.path,
                                   request_id=uuid.uuid4().hex, headers=headers)
        name = prepared.spec.folder
        try:
            response = prepared.handler(event, prepared.context())
        except Exception as error:  # what APIG shows when the backend function fails
            return _error(502, "FGR.FunctionFailed", f"{name} raised {type(error).__name__}: {error}")
        if not isinstance(response, dict) or not isinstance(response.get("statusCode"), int):
            return _error(502, "FGR.BadFunctionResponse", f"{name} did not answer with an APIG response")
        payload = str(response.get("body") or "")
        content = base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode("utf-8")
        return response["statusCode"], {str(k): str(v) for k, v in (response.get("headers") or {}).items()}, content

    def log(self, line: str) -> None:
        with self._log_lock:
            print(line, file=sys.stderr, flush=True)


def _error(status: int, code: str, message: str) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps({"error_code": code, "error_msg": message}).encode()


def _handler_class(gateway: Gateway) -> type:
    class GatewayRequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            started = time.monotonic()
            status, reply_headers, content = self._answer()
            self.send_response(status)
            if self.close_connection:
                self.send_header("Connection", "close")
            for name, value in reply_headers.items():
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)
            gateway.log(f"{self.command} {self.path} -> {status} ({(time.monotonic() - started) * 1000:.0f} ms)")

        do_GET = do_PUT = do_DELETE = do_PATCH = do_POST

        def _answer(self) -> Answer:
            refused = gateway.refusal(self.headers)
            if refused is None:
                try:
                    body = request_body.read(self, gateway.body_seconds)
                except request_body.BadBody as problem:
                    refused = _error(400, "FGR.BadRequestBody", problem.message)
            if refused is not None:
                self.close_connection = True  # the body, if any, was not read: the next request's start is unknown
                return refused
            headers = {name.lower(): value for name, value in self.headers.items()}
            return gateway.answer(self.command, self.path, headers, body)

        def log_message(self, *_args: Any) -> None:  # one line per request, written by do_POST
            pass

    return GatewayRequestHandler


def banner(gateway: Gateway, as_json: bool) -> str:
    by_function: Dict[str, List[str]] = {}
    for path, prepared in gateway.routes.items():
        by_function.setdefault(prepared.spec.folder, []).append(gateway.url + path)
    if as_json:
        return json.dumps({"url": gateway.url, "routes": by_function})
    lines = [f"fgrevoke serve: listening on {gateway.url} (POST or DELETE; Ctrl-C stops)"]
    lines += [f"  {url} -> {folder}" for folder, urls in by_function.items() for url in urls]
    return "\n".join(lines)


def serve(gateway: Gateway, as_json: bool) -> None:
    print(banner(gateway, as_json), flush=True)
    sys.stdout = sys.stderr  # the functions' log lines; stdout carried only the banner
    gateway.serve_forever()
