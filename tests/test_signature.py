"""The emulator's verifier against the SDK's published known-answer vectors (docs/reference/sdk.md §2.5)."""

from __future__ import annotations

import hashlib

from fgrevoke.emulator import signature

SK = "FakeSecretKey0123456789abcdefghijklmnopqrs"
HEADERS = {"content-type": "application/json", "host": "127.0.0.1:18080",
           "user-agent": "huaweicloud-usdk-python/3.0; fg-handler/1.0",
           "x-project-id": "0123456789abcdef0123456789abcdef", "x-sdk-date": "20250101T000000Z",
           "x-security-token": "FAKE-SECURITY-TOKEN-abc=="}
SIGNED = sorted(HEADERS)
PID = "0123456789abcdef0123456789abcdef"


def sign(method, target, body=b""):
    canonical = signature.canonical_request(method, target, HEADERS, SIGNED, body)
    return hashlib.sha256(canonical.encode()).hexdigest(), signature.signature(SK, "20250101T000000Z", canonical)


def test_modelarts_vector():
    digest, sig = sign("DELETE", f"/v2/{PID}/authorizations?user_id=all")
    assert digest == "8d3be88bb5b451bdf19e69d3e7c7c6ddeb914207748ac67ac19f32fbb85cbb96"
    assert sig == "cacfe35cc552ef2b3d16057e2631f6ed56220f57f7abaf645d8e88f48f74b11a"


def test_workspace_vector():
    _, sig = sign("DELETE", f"/v2/{PID}/access-policy", b'{"policy_id_list": ["p-1", "p-2"]}')
    assert sig == "63a33ae1ae49fe590684e81879bedb418789f664f7b7e7fbe7d3798f4aa339ab"


def test_workspaceapp_vector():
    body = b'{"app_group_ids": ["g-1"], "accounts": [{"account": "alice", "account_type": "USER"}]}'
    _, sig = sign("POST", f"/v1/{PID}/app-groups/actions/batch-delete-authorization", body)
    assert sig == "7291b1389d1d085f317e20b070fce99661e0005b9f4db774213bc17e6dfcd24a"


def test_canonical_query_vector():
    raw = "limit=1&enable=true&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29&path=%2Ftmp%2F123&multi=3&multi=1&multi=2"
    assert signature.canonical_query(raw) == \
        "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"


def test_tampered_request_is_rejected():
    _, sig = sign("DELETE", f"/v2/{PID}/authorizations?user_id=u-1")
    headers = dict(HEADERS, authorization=f"SDK-HMAC-SHA256 Access=AK, SignedHeaders={';'.join(SIGNED)}, "
                                          f"Signature={sig}")
    assert signature.verify("DELETE", f"/v2/{PID}/authorizations?user_id=u-1", headers, b"", {"AK": SK},
                            max_skew=None) == "AK"
    for target in (f"/v2/{PID}/authorizations?user_id=all", "/v2/other/authorizations?user_id=u-1"):
        try:
            signature.verify("DELETE", target, headers, b"", {"AK": SK}, max_skew=None)
        except signature.SignatureError:
            continue
        raise AssertionError(f"{target} should not verify")
