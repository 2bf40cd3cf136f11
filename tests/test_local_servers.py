"""The local HTTP servers as an attack surface: `fgrevoke serve` answers only its own address and same-site
requests, and both it and the emulator answer a malformed Content-Length with 400 at once — over real sockets."""

from __future__ import annotations

import json
import socket
import threading
from typing import Dict, Iterator, List, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fgrevoke import request_body
from fgrevoke.emulator import Emulator
from fgrevoke.serve import Gateway

HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    """`serve` with no functions: whatever it lets through is answered 404 FGR.NoRoute."""
    server = Gateway("127.0.0.1", 0, body_seconds=0.5)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as server:
        server.body_seconds = 0.5
        yield server


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def exchange(port: int, head: List[Tuple[str, str]], body: bytes = b"", path: str = "/v2/p/authorizations",
             timeout: float = 5.0) -> Tuple[int, Dict[str, str], bytes]:
    """One raw request (the headers exactly as given, duplicates included); the status, headers and body of
    the answer. A server that does not answer within ``timeout`` fails the test."""
    lines = [f"POST {path} HTTP/1.1"] + [f"{name}: {value}" for name, value in head]
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            assert chunk, f"the connection closed without an answer: {received!r}"
            received += chunk
        top, _, rest = received.partition(b"\r\n\r\n")
        status_line, *header_lines = top.decode("latin-1").split("\r\n")
        headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
        while len(rest) < int(headers["content-length"]):
            chunk = connection.recv(65536)
            assert chunk, "the answer was cut short"
            rest += chunk
    return int(status_line.split()[1]), headers, rest


def own_host(gateway: Gateway) -> Tuple[str, str]:
    return ("Host", gateway.url.removeprefix("http://"))


# -- Host, Origin, Sec-Fetch-Site ------------------------------------------------------------------------
def test_its_own_address_and_loopback_names_are_served(gateway):
    port = port_of(gateway.url)
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", f"[::1]:{port}"):
        status, _, body = exchange(port, [("Host", host)], path="/x")
        assert status == 404 and json.loads(body)["error_code"] == "FGR.NoRoute", host
    status, _, body = exchange(port, [own_host(gateway), ("Origin", gateway.url), ("Sec-Fetch-Site", "same-origin")],
                                  path="/x")
    assert status == 404, "a page served from its own origin is not cross-site"


@pytest.mark.parametrize("head, code", [
    ([("Host", "attacker.example:{port}")], "FGR.ForeignHost"),  # DNS rebinding: the page's own name
    ([("Host", "127.0.0.1:1")], "FGR.ForeignHost"),  # another port
    ([], "FGR.ForeignHost"),  # no Host at all
    ([("Host", "127.0.0.1:{port}"), ("Host", "attacker.example")], "FGR.ForeignHost"),
    ([("Host", "127.0.0.1:{port}"), ("Origin", "https://attacker.example")], "FGR.CrossSiteRequest"),  # CSRF
    ([("Host", "127.0.0.1:{port}"), ("Origin", "null")], "FGR.CrossSiteRequest"),  # a sandboxed frame
    ([("Host", "127.0.0.1:{port}"), ("Origin", "http://localhost:1")], "FGR.CrossSiteRequest"),
    ([("Host", "127.0.0.1:{port}"), ("Sec-Fetch-Site", "cross-site")], "FGR.CrossSiteRequest"),
    ([("Host", "127.0.0.1:{port}"), ("Sec-Fetch-Site", "same-site")], "FGR.CrossSiteRequest"),  # localhost:8080
])
def test_foreign_and_cross_site_requests_are_refused(gateway, head, code):
    port = port_of(gateway.url)
    head = [(name, value.format(port=port)) for name, value in head]
    status, headers, body = exchange(port, head + [("Content-Length", "2")], b"{}", path="/x")
    answer = json.loads(body)
    assert status == 403 and headers["content-type"] == "application/json" and answer["error_code"] == code
    assert gateway.url in answer["error_msg"]


@FAST
@given(host=HEADER_TEXT, origin=st.none() | HEADER_TEXT, site=st.none() | HEADER_TEXT)
def test_only_its_own_host_from_its_own_site_reaches_a_function(gateway, host, origin, site):
    port = port_of(gateway.url)
    head = [("Host", host)] + ([("Origin", origin)] if origin is not None else []) + \
        ([("Sec-Fetch-Site", site)] if site is not None else [])
    status, _, body = exchange(port, head, path="/x")
    own = host.strip().lower() in gateway.hosts
    same_site = (origin is None or origin.strip().lower() in {f"http://{name}" for name in gateway.hosts}) and \
        (site is None or site.strip().lower() in ("", "same-origin", "none"))
    assert status == (404 if own and same_site else 403)
    assert json.loads(body)["error_code"] in ("FGR.NoRoute", "FGR.ForeignHost", "FGR.CrossSiteRequest")


# -- Content-Length ---------------------------------------------------------------------------------------
MALFORMED_LENGTHS = [["-1"], ["abc"], ["1e3"], ["0x10"], ["+5"], ["5 5"], ["²"], [str(10 ** 30)],
                     [str(request_body.MAX_BYTES + 1)], ["2", "2"], ["2", "3"]]


def servers(gateway: Gateway, emulator: Emulator) -> List[Tuple[str, int, str]]:
    return [("serve", port_of(gateway.url), "FGR.BadRequestBody"),
            ("emulator", port_of(emulator.endpoint), "EMU.BadRequest")]


@pytest.mark.parametrize("lengths", MALFORMED_LENGTHS, ids=lambda lengths: "|".join(lengths)[:20])
def test_a_malformed_content_length_is_400_at_once(gateway, emulator, lengths):
    for name, port, code in servers(gateway, emulator):
        host = ("Host", gateway.url.removeprefix("http://") if name == "serve" else "127.0.0.1")
        status, headers, body = exchange(port, [host] + [("Content-Length", v) for v in lengths], b"{}")
        answer = json.loads(body)
        assert status == 400 and answer["error_code"] == code and "Content-Length" in answer["error_msg"], name
        assert "did not all arrive" not in answer["error_msg"], f"{name} waited for a body it should have refused"
        assert headers.get("connection") == "close", f"{name}: where the next request starts is unknown"


def test_a_body_shorter_than_its_length_is_400_after_a_bounded_wait(gateway, emulator):
    for name, port, code in servers(gateway, emulator):  # exchange() fails if no answer comes within 5 s
        host = ("Host", gateway.url.removeprefix("http://") if name == "serve" else "127.0.0.1")
        status, _, body = exchange(port, [host, ("Content-Length", "100")], b'{"user_id": "u')
        assert status == 400 and json.loads(body)["error_code"] == code and "did not all arrive" in \
            json.loads(body)["error_msg"], name


def test_a_refused_body_is_in_the_emulators_journal(emulator):
    emulator.journal.clear()
    exchange(port_of(emulator.endpoint), [("Host", "127.0.0.1"), ("Content-Length", "-5")])
    assert [entry["status"] for entry in emulator.calls()] == [400]


@FAST
@given(lengths=st.lists(st.one_of(HEADER_TEXT, st.integers().map(str)), min_size=1, max_size=3))
def test_any_content_length_gets_an_answer_never_a_hang(gateway, emulator, lengths):
    """Well-formed lengths (the body sent matches) are served; every other one is 400. Never a traceback:
    the answer is JSON, and the server still answers the next request."""
    for name, port, code in servers(gateway, emulator):
        host = ("Host", gateway.url.removeprefix("http://") if name == "serve" else "127.0.0.1")
        well_formed = len(lengths) == 1 and lengths[0].strip().isascii() and lengths[0].strip().isdigit() and \
            int(lengths[0]) <= 64
        body = b"x" * int(lengths[0]) if well_formed else b""
        status, _, answer = exchange(port, [host] + [("Content-Length", v) for v in lengths], body)
        assert "error_code" in json.loads(answer) or status < 400, name
        if not well_formed:
            assert status == 400 and json.loads(answer)["error_code"] == code, (name, lengths)
        else:
            assert status != 400 or json.loads(answer)["error_code"] != code, (name, lengths)
