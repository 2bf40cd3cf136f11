"""`fgrevoke serve`: HTTP requests become the APIG events the functions receive; tested with a real
HTTP client against the command running as a subprocess."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest

from conftest import AK, SK
from fgrevoke.emulator.seed import EXAMPLE_PROJECT
from fgrevoke.testkit import Background, run_command

pytestmark = pytest.mark.slow  # each test runs the command as a subprocess: make test-fast skips them


def http(method, url, body=None, headers=None):
    request = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(), method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    settings = tmp_path_factory.mktemp("serve") / ".env"
    settings.write_text("APP_GROUP_IDS=7000,7001\nPROTECTED_USER_IDS=u-admin\n")  # each read by one function only
    with Background("serve", "--emulator", "--port", "0", "--param", "DryRun=false", "--env-file", str(settings)
                    ) as server:
        server.url = server.wait_for(r"listening on (http://[\d.:]+)", stream="stdout").group(1)
        yield server


def test_each_function_answers_at_its_route(served):
    status, body = http("DELETE", f"{served.url}/modelarts_delete_authorizations?user_id=u-example")
    assert status == 200 and body["items"] == [{"user_id": "u-example", "outcome": "deleted",
                                                "upstream_request_id": body["items"][0]["upstream_request_id"]}]
    status, body = http("POST", f"{served.url}/fgrevoke/workspace/access-policies", {"policy_id_list": ["policy-1"]})
    assert status == 200 and body["summary"] == {"deleted": 1}
    status, body = http("POST", f"{served.url}/workspaceapp_batch_delete_app_group_authorization",
                        {"accounts": ["alice"]})
    assert status == 200 and body["summary"] == {"deleted": 2}  # the two groups APP_GROUP_IDS names
    served.wait_for(r"POST /workspaceapp_batch_delete_app_group_authorization -> 200")  # the request log


def test_the_functions_own_errors_come_back_as_http(served):
    status, body = http("GET", f"{served.url}/modelarts_delete_authorizations")
    assert status == 405 and body["error_code"] == "FGR.MethodNotAllowed"
    status, body = http("POST", f"{served.url}/modelarts_delete_authorizations", {"user_id": "../all"})
    assert status == 400 and body["error_code"] == "FGR.InvalidRequest"
    status, body = http("POST", f"{served.url}/nowhere", {})
    assert status == 404 and "/modelarts_delete_authorizations" in body["error_msg"]


def test_a_web_page_cannot_make_it_revoke(served):
    """A page the developer opens posts to it (CSRF), or rebinds its own name to 127.0.0.1 (DNS rebinding):
    refused with 403 before the function runs, so the person is still there for a request of its own."""
    target = f"{served.url}/modelarts_delete_authorizations?user_id=0b8d4c6f1a2e4f3b9c7d6e5f4a3b2c1d"
    for headers, code in (({"Origin": "https://attacker.example", "Sec-Fetch-Site": "cross-site"},
                           "FGR.CrossSiteRequest"),
                          ({"Host": "attacker.example:3000"}, "FGR.ForeignHost")):
        status, body = http("DELETE", target, headers=headers)
        assert status == 403 and body["error_code"] == code
    status, body = http("DELETE", target)
    assert status == 200 and body["items"][0]["outcome"] == "deleted", "the refused requests revoked nothing"


def test_a_malformed_content_length_is_400(served):
    host, port = served.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(f"POST /modelarts_delete_authorizations HTTP/1.1\r\nHost: {host}:{port}\r\n"
                           "Content-Length: -1\r\n\r\n".encode())
        answer = connection.makefile("rb").read()  # the server closes the connection after its answer
    assert answer.startswith(b"HTTP/1.1 400 ") and b'"error_code": "FGR.BadRequestBody"' in answer


def test_a_real_endpoint_needs_yes(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"project_id": EXAMPLE_PROJECT, "modelarts": {"authorizations": ["u-alice"]}}))
    with Background("emulator", "--port", "0", "--access-key", AK, "--secret-key", SK, "--seed", str(seed)) as real:
        endpoint = real.wait_for(r"listening on (http://[\d.:]+)").group(1)
        settings = tmp_path / ".env"
        settings.write_text(f"DRY_RUN=false\nPROJECT_ID={EXAMPLE_PROJECT}\nHUAWEICLOUD_SDK_AK={AK}\n"
                            f"HUAWEICLOUD_SDK_SK={SK}\nHUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4={endpoint}\n")
        refused = run_command("serve", "--port", "0", "--env-file", str(settings))
        assert refused.returncode == 2 and endpoint in refused.stderr and "--yes" in refused.stderr
        with Background("serve", "--port", "0", "--env-file", str(settings), "--yes") as server:
            url = server.wait_for(r"listening on (http://[\d.:]+)", stream="stdout").group(1)
            status, body = http("POST", f"{url}/modelarts_delete_authorizations", {"user_id": "u-alice"})
            assert status == 200 and body["items"][0]["outcome"] == "deleted"
        real.wait_for(r"DELETE /v2/\w+/authorizations\?user_id=u-alice -> 200")


def test_a_port_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = run_command("serve", "--emulator", "--port", str(taken.getsockname()[1]))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("fgrevoke: cannot listen on 127.0.0.1:")
