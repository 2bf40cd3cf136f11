"""Issue 18's classes, tried from outside by a session that did not write the code: each case broke a promise
when it was found and is a regression test now (its docstring names the promise and why the input is plausible).
The handlers run the real SDK over HTTP against the emulator, as the other suites do.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable, List

import pytest

from conftest import PROJECT, load_function
from fgrevoke.testkit import apig_event
from shared import runtime, triggers
from shared.outcomes import Outcome, Report, TargetState, Verdict

MODELARTS = load_function("modelarts_delete_authorizations")
WORKSPACEAPP = load_function("workspaceapp_batch_delete_app_group_authorization")
WORKSPACE = load_function("workspace_batch_delete_access_policies")
# per read 1 s, connect 1 s: one call may take 2 s in all (as tests/test_call_deadline.py)
TIGHT = {"HTTP_READ_TIMEOUT": "1", "HTTP_CONNECT_TIMEOUT": "1", "MAX_CONCURRENCY": "1"}


def after_first_page(action: Callable[[], None], nth: int = 1) -> Callable[[Any], None]:
    """A ``then`` hook: once the ``nth`` first page (offset 0) of the route has been served, ``action()`` runs."""
    served: List[bool] = []

    def hook(request: Any) -> None:
        if request.arg("offset") in (None, "0"):
            served.append(True)
            if len(served) == nth:
                action()

    return hook


# -- class 1: a listing that changes while it is paged ---------------------------------------------
def test_modelarts_a_shift_that_keeps_the_total_is_not_evidence_of_absence(emulator, context):
    """Class 1, the issue's own example with one more change between the pages: while reconcile pages
    GetAuthorizations, another revocation removes u0005 *and* someone is granted u1500. The total stays 1500, so the
    pages "agree"; under the documented reading of ``offset`` (a page number, docs/reference/real-services.md §1.4,
    the emulator's ``page`` reading) page 2 starts one entry later and u1000, at the seam, is never seen. When found,
    the failed deletion of u1000 is reported ``deleted`` ("a complete listing shows no access remains") while u1000
    still holds its grant. Promise: "nothing shifted", else read again / cannot tell, never evidence of absence."""
    emulator.modelarts.reading["offset"] = "page"
    for index in range(1500):
        emulator.modelarts.seed(PROJECT, f"u{index:04d}")
    emulator.inject("modelarts.delete_authorizations", status=500, times=None,
                    when=lambda request: request.arg("user_id") == "u1000")

    def another_revocation_and_a_grant() -> None:
        emulator.modelarts.authorizations[PROJECT].pop("u0005")
        emulator.modelarts.seed(PROJECT, "u1500")

    # the first listing is the one taken before the deletion (restore's); the second is reconcile's
    emulator.inject("modelarts.get_authorizations", times=None,
                    then=after_first_page(another_revocation_and_a_grant, nth=2))
    result = MODELARTS.handler({"user_ids": ["u1000"]}, context())
    (item,) = result["items"]
    assert "u1000" in emulator.modelarts.user_ids(PROJECT)
    assert item["outcome"] == "failed" and item["retryable"] is True, item


def test_workspace_a_shift_that_keeps_the_total_does_not_make_a_policy_absent(emulator, context):
    """Class 1 on Workspace ListAccessPolicies (offset read as a page number: the emulator's ``page`` reading,
    which the docs leave open): 150 policies; between page 1 and page 2 another deletion removes p005 and a new
    policy p150 is created. The total stays 150 and p100, at the seam, is never seen: it is reported
    ``already_absent`` and never deleted, though the service holds it. Promise: a listing that shifted is read
    again, and is never evidence of absence."""
    emulator.workspace.reading["offset"] = "page"
    for index in range(150):
        emulator.workspace.seed(PROJECT, policy_id=f"p{index:03d}")  # switched-off IP whitelists: deletable

    def another_deletion_and_a_creation() -> None:
        emulator.workspace.remove(PROJECT, "p005")
        emulator.workspace.seed(PROJECT, policy_id="p150")

    emulator.inject("workspace.list_access_policies", times=None,
                    then=after_first_page(another_deletion_and_a_creation))
    result = WORKSPACE.handler({"policy_id_list": ["p100"]}, context())
    (item,) = result["items"]
    assert not (item["outcome"] == "already_absent" and "p100" in emulator.workspace.policy_ids(PROJECT)), item


# -- class 3: hostile answers ----------------------------------------------------------------------
DEEP = b"[" * 100_000 + b"]" * 100_000
UNPARSED = [  # listings read with shared.clients.unparsed: the body is decoded in Invocation.read
    ("modelarts.get_authorizations", MODELARTS, {"user_ids": ["u1"], "verify": True}),
    ("iam.keystone_list_users", MODELARTS, {"sweep": {}}),
    ("workspaceapp.list_app_group_authorization", WORKSPACEAPP, {"sweep": {}}),
    ("workspace.list_users", WORKSPACEAPP, {"sweep": {}}),
]


@pytest.mark.parametrize("route,fn,request_body", UNPARSED, ids=[case[0] for case in UNPARSED])
def test_a_deeply_nested_listing_answer_is_an_upstream_failure(emulator, context, route, fn, request_body):
    """Class 3: "any upstream number is an upstream answer: unreadable -> upstream failure, never internal".
    A 200 answer nested 100,000 deep (the brief's "deeply nested JSON answers") makes ``json.loads`` raise
    RecursionError in ``Invocation.read``, which catches only ValueError/ArithmeticError: the invocation ends in
    ``FGR.InternalError`` for every listing read undecoded (GetAuthorizations, KeystoneListUsers, the sweep's
    ListAppGroupAuthorization and ListUsers). The same body through the SDK's models is already an upstream
    failure."""
    emulator.workspaceapp.seed_group(PROJECT, "g001", "g001")
    emulator.workspaceapp.grant(PROJECT, "g001", "alice", age_hours=100)
    emulator.modelarts.seed(PROJECT, "u1", age_hours=100)
    emulator.inject(route, status=200, raw_body=DEEP, times=None)
    result = fn.handler(request_body, context(RETRY_BASE_DELAY="0.01"))
    assert emulator.calls(route), "the hostile answer was read"
    assert result.get("error_code") != "FGR.InternalError", result


SWEPT_NUMBERS = [
    ("modelarts.get_authorizations", MODELARTS, lambda n: {"total_count": 1, "auth": [
        {"user_id": "u1", "user_name": "u1", "type": "agency", "content": "c", "user_type": "iam",
         "create_time": n}]}),
    ("workspaceapp.list_app_group_authorization", WORKSPACEAPP, lambda n: {"count": 1, "authorizations": [
        {"id": "a1", "account_id": "x", "account": "alice", "app_group_id": "g001", "account_type": "USER",
         "authorization_type": "APP_GROUP", "domain": "", "platform_type": "LOCAL", "create_at": n}]}),
]


@pytest.mark.parametrize("number", ["9" * 401, "-" + "9" * 401])
@pytest.mark.parametrize("route,fn,shape", SWEPT_NUMBERS, ids=[case[0] for case in SWEPT_NUMBERS])
def test_a_huge_grant_time_in_a_sweep_is_an_upstream_answer(emulator, context, route, fn, shape, number):
    """Class 3, "huge numbers in every numeric field of every answer": the sweep reads each grant's age
    (ModelArts ``create_time``, epoch milliseconds; Workspace App ``create_at``) with
    ``shared.timestamps.epoch_seconds``, whose ``math.isfinite`` raises OverflowError on a 401-digit integer:
    the sweep ends in ``FGR.InternalError``. (The non-sweep path's create_time is covered by
    tests/test_hostile_numbers.py; the sweep's is not.)"""
    body = json.dumps(shape("__N__")).replace('"__N__"', number).encode()
    emulator.inject(route, status=200, raw_body=body, times=None)
    result = fn.handler({"sweep": {}}, context(RETRY_BASE_DELAY="0.01"))
    assert emulator.calls(route), "the hostile answer was read"
    assert result.get("error_code") != "FGR.InternalError", result


def strict_json(text: str) -> Any:
    """JSON as RFC 8259 has it: ``NaN`` and ``Infinity`` are not JSON (JSON.parse, jq, Go and Java refuse them)."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("number", ["1e400", "NaN", "-Infinity"])
def test_a_hostile_number_echoed_into_the_report_keeps_it_json(emulator, context, number):
    """Class 3 (and class 5's "never anything but whole JSON"): ListAccessPolicies answers an IP whitelist whose
    ``ip_total_count`` (a documented number) is ``1e400`` or ``NaN``. The number is not read as an upstream failure;
    it is copied into the item's ``effect`` as a float and the API Gateway body says ``"ip_total_count": Infinity``
    (or ``NaN``): not JSON, so the caller's JSON.parse / jq fails on the whole report of a deletion that happened."""
    entry = {"policy_id": "p1", "policy_name": "PRIVATE_ACCESS", "blacklist_type": "IP", "is_enable": False,
             "access_control_type": "IP_WHITE_LIST", "ip_list": [], "ip_total_count": "__N__",
             "create_time": "2020-01-01T00:00:00Z"}
    emulator.workspace.seed(PROJECT, policy_id="p1")
    emulator.inject("workspace.list_access_policies", status=200, times=None,
                    raw_body=json.dumps({"total": 1, "policies": [entry]}).replace('"__N__"', number).encode())
    response = WORKSPACE.handler(apig_event("POST", {"policy_id_list": ["p1"]}), context())
    strict_json(response["body"])


# -- class 4: a call that never ends ----------------------------------------------------------------
@pytest.mark.slow  # a failing run waits out the trickle (~7 s)
def test_a_trickled_undecoded_listing_ends_by_its_deadline(emulator, context):
    """Class 4: "each upstream call has a total deadline". GetAuthorizations (like the sweep's listings) is read
    through ``shared.clients.unparsed``, whose stream response type makes the SDK send with ``stream=True``:
    ``WatchedAdapter.send`` then returns after the headers and the body is read later, in
    ``to_json_object``, outside the watch. Trickled a byte every 10 ms (each read well within its 1 s), one call
    of a 2 s share runs ~7 s in a 4 s invocation: FunctionGraph would kill it before it reports."""
    for user in ("u1", "u2", "u3", "u4", "u5"):
        emulator.modelarts.seed(PROJECT, user)
    emulator.inject("modelarts.get_authorizations", times=None, trickle=0.01)
    started = time.monotonic()
    MODELARTS.handler({"user_ids": ["u1"], "verify": True}, context(timeout_seconds=4, **TIGHT))
    elapsed = time.monotonic() - started
    assert elapsed < 4, f"the invocation ran {elapsed:.1f} s of its 4 s"


# -- class 5: reports larger than the response limit -------------------------------------------------
def test_an_offboarding_across_many_targets_fits_the_asynchronous_limit(emulator):
    """Class 5: above the limit the answer must still be delivered (256 KB for an asynchronous return value,
    docs/reference/functiongraph.md §1.5), keeping summary + unfinished items + a truthful note. A CTS offboarding
    with TARGETS over 1,000 targets (e.g. ``*`` across 40 member accounts x 25 regions: docs/targets.md) carries
    one verdict row per target in ``targets``; ``response_size.fitted`` only ever drops ``items``, so the answer
    stays ~330 KB and FunctionGraph records an empty value instead."""
    report = Report("workspaceapp.batch_delete_app_group_authorization", False, scoped=True)
    for index in range(1000):
        where = {"region": f"ap-southeast-{index % 25 + 1}", "project_id": f"{index:032x}",
                 "account_id": f"{index % 40:032x}", "agency": "fgrevoke-member-agency"}
        item = Outcome({"app_group_id": "*", "account": "leaver", "account_type": "USER", **where},
                       TargetState.ALREADY_ABSENT, reason="no authorization was found for the mapped account name "
                       "'leaver' in any application group")
        report.items.append(item)
        report.targets.append(runtime.verdict_row(where, Report(report.operation, False, items=[item])))
    answer = runtime._respond(triggers.CTS, report.to_dict(), 200)
    assert answer["summary"]["targets"] == {str(Verdict.NOTHING_HELD): 1000}
    assert len(json.dumps(answer)) <= 256 * 1024, f"{len(json.dumps(answer))} bytes"


# -- class 6: identity of a Workspace App account --------------------------------------------------
def test_a_domain_the_service_ignores_does_not_remove_a_namesake_of_another_domain(emulator, context):
    """Class 6: "a domain given beside users either applies to them or is refused — never ignored while removing
    a same-named person of another domain". Whether BatchDeleteAppGroupAuthorization honours AccountInfo.domain
    is unknown (docs/reference/real-services.md §3.3, §7); under the emulator's default ``ignored`` reading the
    removal of alice@corp.example also removes alice@other.example, whom the function's own listing showed in
    the group. It sends the removal anyway and reports one ``deleted`` and ``succeeded``: the other person lost
    access silently. It must not send a removal that can take a namesake of another domain (refuse, or leave
    that pair failed), whatever the reading."""
    emulator.workspaceapp.reading["domain"] = "ignored"
    emulator.workspaceapp.seed_group(PROJECT, "g001", "g001")
    emulator.workspaceapp.grant(PROJECT, "g001", "alice", domain="corp.example")
    emulator.workspaceapp.grant(PROJECT, "g001", "alice", domain="other.example")
    result = WORKSPACEAPP.handler({"app_group_ids": ["g001"], "domain": "corp.example",
                                   "users": [{"user_name": "alice"}]}, context())
    remaining = sorted((entry["account"], entry["domain"])
                       for entry in emulator.workspaceapp.authorizations[PROJECT].values())
    assert ("alice", "other.example") in remaining or result.get("error_code"), (remaining, result)


def test_the_sweep_tells_user_groups_named_alike_apart(emulator, context):
    """Class 6 in the sweep: "two groups named alike with different ids are two targets". g001 holds two
    USER_GROUP authorizations named ``ops``: grp-1 (an existing Workspace user group) and grp-2 (deleted: an
    orphan). The sweep removes grp-2 by id, but its check afterwards (``sweep._pair``: group, type, *name*) finds
    grp-1's entry and reports grp-2 ``failed`` FGR.StillAuthorized ("the access remains", retryable) though it is
    gone: every asynchronous run raises and is retried for a removal that succeeded."""
    emulator.workspaceapp.reading["domain"] = "matched"
    emulator.workspaceapp.seed_group(PROJECT, "g001", "g001")
    emulator.workspace.seed_user_group(PROJECT, "ops", "grp-1")
    for group_id in ("grp-1", "grp-2"):
        emulator.workspaceapp.grant(PROJECT, "g001", "ops", account_type="USER_GROUP", account_id=group_id,
                                    age_hours=100)
    result = WORKSPACEAPP.handler({"sweep": {}}, context(SWEEP_MAX_FRACTION="1"))
    remaining = sorted(entry["account_id"] for entry in emulator.workspaceapp.authorizations[PROJECT].values())
    assert remaining == ["grp-1"], "the orphan was removed and the other group kept"
    (item,) = [item for item in result["items"] if item.get("id") == "grp-2"]
    assert item["outcome"] == "deleted", item


def test_a_name_held_in_two_domains_is_restorable_as_both(emulator, context):
    """Class 6 and the restore recipe: "domain is part of who someone is: two entries with the same name in
    different domains are two targets". Asked to remove ``alice`` (no domain: the plain-string form of
    ``accounts``), g001 holds alice@corp.example and alice@other.example; the removal (no domain) takes both,
    under either reading of the service. The report has one item and its ``restore`` holds only the entry the
    listing showed last (``listed`` is keyed by the asked identity), so ``fgrevoke restore`` re-grants one of the
    two people and the other is silently dropped."""
    emulator.workspaceapp.seed_group(PROJECT, "g001", "g001")
    for domain in ("corp.example", "other.example"):
        emulator.workspaceapp.grant(PROJECT, "g001", "alice", domain=domain)
    result = WORKSPACEAPP.handler({"app_group_ids": ["g001"], "accounts": ["alice"]}, context())
    assert emulator.workspaceapp.authorizations[PROJECT] == {}, "both namesakes were removed"
    recipes = [item.get("restore") for item in result["items"] if item["outcome"] == "deleted"]
    restorable = {(recipe or {}).get("account", {}).get("domain") for recipe in recipes}
    assert restorable >= {"corp.example", "other.example"}, recipes
