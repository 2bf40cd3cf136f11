"""Hostile numbers from upstream (issue 18, class 3): any number a service answers with is its answer.

A 401-digit ``total_count``, ``count`` or ``total`` overflowed float and ended in ``FGR.InternalError``.
Every numeric field the handlers read (a listing's total, the entries' numbers) is given numbers past
float's range, past Python's int-string limit, infinite, fractional or negative, as JSON text on the
wire: the invocation ends with an upstream failure for what it could not read, never an internal
error, and nothing is reported absent on the word of a listing whose total could not be read.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FAST, load_function, make_context

WORKSPACEAPP = load_function("workspaceapp_batch_delete_app_group_authorization")
MODELARTS = load_function("modelarts_delete_authorizations")
WORKSPACE = load_function("workspace_batch_delete_access_policies")
HOLE = "__NUMBER__"

# JSON number texts a service could send: huge (past float: 401 digits; past the int-string limit: 5,000),
# infinite once read as float, fractional, negative, tiny.
NUMBERS = st.one_of(
    st.sampled_from(["9" * 401, "-" + "9" * 401, "9" * 5000, "1e400", "-1e400", "1e308", "1.5", "-1", "0.1",
                     "4.9e-324", "123456789012345678901234567890", "0e0"]),
    st.integers(min_value=10 ** 308, max_value=10 ** 450).map(str),
    st.integers(min_value=-(10 ** 20), max_value=10 ** 20).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr))

# Per function: the listing route, a listing body with one numeric field left open, the request, and the
# target each item names; the fields are the numbers the handler and the SDK read from that answer.
ENTRY_APP = {"id": "a1", "account_id": "x", "account": "alice", "app_group_id": "g001", "account_type": "USER",
             "domain": "", "create_at": "2026-01-01T00:00:00Z", "platform_type": "LOCAL"}
ENTRY_MA = {"user_id": "u1", "user_name": "u1", "type": "agency", "content": "c", "user_type": "iam"}
ENTRY_WS = {"policy_id": "p1", "policy_name": "PRIVATE_ACCESS", "blacklist_type": "IP", "is_enable": False,
            "access_control_type": "IP", "ip_list": [], "ip_total_count": 0, "create_time": "2020-01-01T00:00:00Z"}
Case = Tuple[str, Callable[[str], Dict[str, Any]], Any, Dict[str, Any]]
CASES: Dict[str, Case] = {
    "workspaceapp count": ("workspaceapp.list_app_group_authorization",
                           lambda n: {"count": n, "authorizations": [ENTRY_APP]}, WORKSPACEAPP,
                           {"accounts": ["alice"], "app_group_ids": ["g001"]}),
    "modelarts total_count": ("modelarts.get_authorizations", lambda n: {"total_count": n, "auth": [ENTRY_MA]},
                              MODELARTS, {"user_ids": ["u1"], "verify": True}),
    "modelarts create_time": ("modelarts.get_authorizations",
                              lambda n: {"total_count": 1, "auth": [{**ENTRY_MA, "create_time": n}]},
                              MODELARTS, {"user_ids": ["u1"], "verify": True}),
    "workspace total": ("workspace.list_access_policies", lambda n: {"total": n, "policies": [ENTRY_WS]},
                        WORKSPACE, {"select": {"older_than_days": 1}}),
    "workspace ip_total_count": ("workspace.list_access_policies",
                                 lambda n: {"total": 1, "policies": [{**ENTRY_WS, "ip_total_count": n}]},
                                 WORKSPACE, {"select": {"older_than_days": 1}}),
    "workspace create_time": ("workspace.list_access_policies",
                              lambda n: {"total": 1, "policies": [{**ENTRY_WS, "create_time": n}]},
                              WORKSPACE, {"select": {"older_than_days": 1}}),
}


def wire_body(shape: Callable[[str], Dict[str, Any]], number: str) -> bytes:
    return json.dumps(shape(HOLE)).replace(json.dumps(HOLE), number).encode()


def readable_count(number: str) -> bool:
    try:
        value = json.loads(number)
    except ValueError:
        return False
    return isinstance(value, int) and 0 <= value <= 10 ** 9 or (
        isinstance(value, float) and value.is_integer() and 0 <= value <= 10 ** 9)


@pytest.mark.parametrize("case", sorted(CASES))
@settings(max_examples=8 if FAST else 60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=NUMBERS)
def test_a_hostile_number_is_an_upstream_answer_never_an_internal_error(emulator, case, number):
    emulator.reset()
    route, shape, fn, request = CASES[case]
    emulator.inject(route, status=200, raw_body=wire_body(shape, number), times=None)
    result = fn.handler(request, make_context())
    assert result.get("error_code") != "FGR.InternalError", result
    assert result["status"] != "error" or result["error_code"] == "FGR.UpstreamFailure"
    if case.endswith(("count", "total")) and not readable_count(number):
        # the listing's total could not be read: nothing is absent, deleted or selected on its word
        assert not [item for item in result.get("items", ()) if item["outcome"] in ("already_absent", "deleted")
                    and "not verified" not in (item.get("reason") or "")], result


@pytest.mark.parametrize("number", ["9" * 401, "1e400", "9" * 5000])
def test_a_401_digit_count_is_a_failed_listing(emulator, context, number):
    """The issue's example: the Workspace App listing answers a 401-digit count."""
    emulator.inject("workspaceapp.list_app_group_authorization", status=200, times=None,
                    raw_body=wire_body(lambda n: {"count": n, "authorizations": []}, number))
    result = WORKSPACEAPP.handler({"accounts": ["alice"], "app_group_ids": ["g001"]}, context())
    (item,) = result["items"]
    assert item["outcome"] == "failed" and item["error_code"] in ("FGR.IncompleteListing", "FGR.UnreadableAnswer")
    assert emulator.calls("workspaceapp.batch_delete_app_group_authorization") == []
