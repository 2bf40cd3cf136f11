"""The safety invariants (docs/reliability.md), checked after every generated invocation.

Each property generates events of every trigger kind, settings and upstream answers, runs the real
handler (real SDK, real HTTP, the emulator) and judges the promise from what a user could see: the
wire, the service's true state, the result, the raised exception and the log lines.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from typing import Any, Dict, List, Optional, Set, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import AK, FAST, SK, TOKEN, load_function, make_context
from invariants import (
    FUNCTIONS,
    MODELARTS,
    WORKSPACE,
    WORKSPACEAPP,
    WRITES,
    Case,
    body_of,
    cases,
    item_key,
    items_of,
    plant,
    state,
    wire_targets,
)
from shared.errors import RevokeError, TransientUpstreamFailure

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
EVERYONE = {"all": "all", "allusers": "all-users"}
DONE = ("deleted", "already_absent")
EXAMPLES = 10 if FAST else 300
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                            HealthCheck.too_slow])


def everyone(value: str) -> Optional[str]:
    return EVERYONE.get(value.casefold().replace("-", "").replace("_", "").replace(".", ""))


def valid_name(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and value == value.strip() and value.isprintable()


def folded(setting: Optional[str]) -> Set[str]:
    return {part.strip().casefold() for part in (setting or "").split(",") if part.strip()}


def setting_dry(case: Case) -> bool:
    return case.settings.get("DRY_RUN") in (None, "true")


def runs_dry(case: Case, request: Dict[str, Any]) -> bool:
    return setting_dry(case) or request.get("dry_run") is True


def run(emulator: Any, case: Case) -> Tuple[Optional[Dict[str, Any]], Optional[BaseException], Set[Any]]:
    emulator.reset()
    plant(emulator, case)
    before = state(emulator, case.function)
    try:
        return body_of(load_function(case.function).handler(case.event(), make_context(**case.settings))), \
            None, before
    except RevokeError as raised:
        return None, raised, before


# -- 1. Deletion bound -----------------------------------------------------------------------------

def allowed_targets(case: Case, before: Set[Any]) -> Set[Any]:
    """Every target a delete call may carry: named or implied, not protected, not in a dry run."""
    allowed: Set[Any] = set()
    s = case.settings
    if case.function == MODELARTS:
        protected = folded(s.get("PROTECTED_USER_IDS"))
        guarded = s.get("ALLOW_ALL_USERS") == "true" and not protected
        if case.kind == "cts":
            user_id = case.cts_user[0]
            named = [] if setting_dry(case) or everyone(user_id) else [user_id]
        else:
            named = []
            for request in case.requests:
                if runs_dry(case, request):
                    continue
                if "user_id" in request and everyone(request["user_id"]) and SAFE_ID.fullmatch(request["user_id"]):
                    named += [everyone(request["user_id"])] if guarded else []
                else:
                    named += [request.get("user_id")] + list(request.get("user_ids") or [])
        allowed = {u for u in named if isinstance(u, str) and SAFE_ID.fullmatch(u) and u.casefold() not in protected
                   and (not everyone(u) or u in EVERYONE.values())}
    elif case.function == WORKSPACE:
        protected = folded(s.get("PROTECTED_POLICY_IDS"))
        for request in case.requests:
            if case.kind == "cts" or runs_dry(case, request):
                continue
            named = request.get("policy_id_list") or sorted(before)
            allowed |= {p for p in named if SAFE_ID.fullmatch(p) and p.casefold() not in protected}
        if s.get("ALLOW_ENABLED_POLICY_DELETION") != "true":
            allowed -= {p for p, kind, enabled, _age in case.seed["policies"] if kind != "IP_WHITE_LIST" or enabled}
    else:
        protected = folded(s.get("PROTECTED_ACCOUNTS"))
        configured = s["APP_GROUP_IDS"].split(",")
        for request in [] if case.kind == "cts" else case.requests:
            if runs_dry(case, request):
                continue
            names = list(request.get("accounts") or []) + ([request["user_name"]] if "user_name" in request else [])
            groups = request.get("app_group_ids") or configured
            allowed |= {(g, a) for a in names if valid_name(a) and a.casefold() not in protected
                        for g in (["g-1", "g-2", "g-3"] if groups == ["*"] else groups) if SAFE_ID.fullmatch(g)}
        if case.kind == "cts" and not setting_dry(case):
            name = case.cts_user[1]
            if valid_name(name) and name.casefold() not in protected:
                groups = ["g-1", "g-2", "g-3"] if configured == ["*"] else configured
                allowed |= {(g, name) for g in groups}
    return allowed


@pytest.mark.parametrize("function", FUNCTIONS)
@PROPERTY
@given(data=st.data())
def test_deletes_only_what_was_asked_and_allowed(emulator, function, data):
    case = data.draw(cases(function))
    body, _raised, before = run(emulator, case)
    sent = wire_targets(emulator, case.function)
    beyond = [target for target in sent if target not in allowed_targets(case, before)]
    assert not beyond, f"sent {beyond} beyond what {case.requests} and the settings allow"


# -- 2. Evidence of absence ------------------------------------------------------------------------

@pytest.mark.parametrize("function", FUNCTIONS)
@PROPERTY
@given(data=st.data())
def test_gone_is_reported_only_when_gone(emulator, function, data):
    case = data.draw(cases(function))
    body, _raised, before = run(emulator, case)
    after = state(emulator, case.function)
    for item in items_of(body or {}):
        key = item_key(case.function, item)
        if item["outcome"] in DONE:
            if case.function == WORKSPACEAPP and key[0] == "*":
                assert not any(account == key[1] for _group, account in after), item
            else:
                assert key not in after, f"{item} while the service still holds it"
        if item["outcome"] == "would_delete":
            assert key in before or key == ("*", item.get("account")), f"{item}: previewed a grant that is not there"
        if item["outcome"] == "deleted" and case.function == WORKSPACEAPP:
            assert key in before, f"{item}: deleted, but it was never there"


@pytest.mark.parametrize("function", FUNCTIONS)
@PROPERTY
@given(data=st.data())
def test_every_deleted_item_says_how_to_restore_it_and_no_restore_holds_a_key(emulator, function, data):
    """The report is the recipe of its undo (docs/restore.md): what each deletion took, never a key."""
    case = data.draw(cases(function))
    body, _raised, _before = run(emulator, case)
    for item in items_of(body or {}):
        if item["outcome"] == "deleted":
            assert "restore" in item and (item["restore"] is not None or item.get("restore_unavailable")), item
        else:
            assert "restore" not in item, f"{item}: only what was deleted is restored"
        recipe = json.dumps(item.get("restore"))
        assert not any(key in recipe for key in (AK, SK, TOKEN)) and "secret" not in recipe, item


def test_gateway_404_is_a_failure_naming_the_endpoint_and_raises_on_async(emulator):
    emulator.modelarts.seed("0a1b2c3d4e5f60718293a4b5c6d7e8f9", "u-alice")
    emulator.inject("*", status=404, body={"error_code": "APIG.0101", "error_msg": "The API does not exist"},
                    times=None)
    fn = load_function(MODELARTS)
    body = fn.handler({"user_id": "u-alice"}, make_context())
    (item,) = body["items"]
    assert item["outcome"] == "failed" and item["error_code"] == "APIG.0101" and "REGION" in item["error_msg"]
    with pytest.raises(TransientUpstreamFailure, match="REGION"):
        fn.handler({"trigger_type": "TIMER", "trigger_name": "t", "user_event": json.dumps({"user_id": "u-alice"})},
                   make_context())


# -- 3. Time ---------------------------------------------------------------------------------------

@settings(max_examples=5 if FAST else 25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases(with_faults=False), timeout=st.sampled_from([0.5, 1.2, 2.5]),
       latency=st.sampled_from([0.0, 0.3]))
def test_no_call_starts_without_the_time_it_may_need(emulator, capsys, case, timeout, latency):
    case.settings.update(HTTP_CONNECT_TIMEOUT="0.2", HTTP_READ_TIMEOUT="0.5", DRY_RUN="false")
    emulator.reset()
    plant(emulator, case)
    emulator.inject("*", latency=latency, times=None)
    started = time.monotonic()
    try:
        body: Optional[Dict[str, Any]] = body_of(load_function(case.function).handler(
            case.event(), make_context(timeout_seconds=timeout, **case.settings)))
    except RevokeError:
        body = None
    assert time.monotonic() - started <= timeout + 0.3, "the invocation outlived its timeout"
    for item in items_of(body or {}):
        if item["outcome"] == "not_attempted":
            assert item["retryable"] is True and item["reason"]
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    write_attempts = sum(line["attempts"] for line in logged if line.get("event") == "upstream.call"
                         and line.get("call") == WRITES[case.function])
    assert write_attempts == len(emulator.calls(WRITES[case.function])), "a write call without its record"


# -- 4. Retry truth --------------------------------------------------------------------------------

@pytest.mark.parametrize("function", FUNCTIONS)
@PROPERTY
@given(data=st.data())
def test_async_returns_only_when_a_retry_cannot_help(emulator, function, data):
    case = data.draw(cases(function, kinds=("timer", "cts", "eventgrid", "smn")))
    body, raised, _before = run(emulator, case)
    if raised is not None:
        assert raised.error_code != "FGR.InternalError"
        return
    for item in items_of(body or {}):
        assert not item.get("retryable"), f"{item} is retryable, yet the event was not raised for a retry"
    for request in (body or {}).get("requests", []):
        assert not request.get("retryable"), request


# -- 5. Secrets ------------------------------------------------------------------------------------

secret_text = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", min_size=20,
                      max_size=60)


@settings(max_examples=max(EXAMPLES // 5, 3), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases(with_faults=False), keys=st.tuples(secret_text, secret_text, secret_text),
       echo=st.sampled_from(["whole", "cut", "headers"]), cut=st.integers(16, 40))
def test_no_key_or_piece_of_one_leaves(emulator, capsys, case, keys, echo, cut):
    ak, sk, token = keys
    emulator.reset()
    emulator.add_credentials(ak, sk, token)
    plant(emulator, case)
    echoed = {"whole": f"bad request: X-Security-Token={token} Access={ak} secret {sk}",
              "cut": "x" * (500 - cut) + token,  # cut to 500 characters upstream: a piece of the token stays
              "headers": json.dumps({"headers": {"X-Security-Token": token, "Authorization": f"Access={ak}"}})}[echo]
    emulator.inject("*", status=503, body={"error_code": "SVC.0503", "error_msg": echoed}, times=None)
    context = make_context(MAX_ATTEMPTS="1", LOG_LEVEL="DEBUG", **{k: v for k, v in case.settings.items()
                                                                    if k != "MAX_ATTEMPTS"})
    context.security_access_key, context.security_secret_key, context.security_token = ak, sk, token
    try:
        outcome = json.dumps(load_function(case.function).handler(case.event(), context))
    except RevokeError as error:
        outcome = f"{type(error).__name__}: {error} {error.args}"
    seen = capsys.readouterr()
    for text in (seen.out, seen.err, outcome):
        for secret in (ak, sk, token):
            pieces = [secret[i:i + 16] for i in range(len(secret) - 15)]
            assert not any(piece in text for piece in pieces), f"a piece of a key leaked: {text[:300]}"


@pytest.mark.parametrize("which", ["access", "secret", "token"])
def test_credentials_with_control_characters_are_refused_without_echo(emulator, which):
    keys = {"access": AK, "secret": SK, "token": TOKEN}
    keys[which] = keys[which][:10] + "\n" + keys[which][10:]
    context = make_context()
    context.security_access_key, context.security_secret_key, context.security_token = \
        keys["access"], keys["secret"], keys["token"]
    body = load_function(MODELARTS).handler({"user_id": "u-alice"}, context)
    assert body["error_code"] == "FGR.ConfigurationError" and emulator.calls() == []
    assert keys[which][:10] not in json.dumps(body)


# -- 6. Totality -----------------------------------------------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12))
json_values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=3),
    st.dictionaries(st.sampled_from(["cts", "events", "record", "data", "user_id", "accounts", "select",
                                     "resource_id", "trace_name", "httpMethod", "body", "user_event", "smn",
                                     "message", "trigger_type", "policy_id_list", "type", "id"]), children,
                    max_size=4)), max_leaves=15)


class OddContext:
    """A context whose methods answer strangely or fail."""

    def __init__(self, remaining: Any, user_data: Any, raising: bool) -> None:
        self.remaining, self.user_data, self.raising = remaining, user_data, raising

    def getRemainingTimeInMilliSeconds(self) -> Any:
        if self.raising:
            raise RuntimeError("no clock")
        return self.remaining

    def getUserData(self, key: str, default: str = "") -> Any:
        if self.raising and key == "LOG_LEVEL":
            raise RuntimeError("no settings")
        return self.user_data.get(key, default) if isinstance(self.user_data, dict) else self.user_data

    def getRequestID(self) -> Any:
        return {"not": "text"}


@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=json_values, name=st.sampled_from([MODELARTS, WORKSPACE, WORKSPACEAPP]),
       remaining=st.one_of(st.none(), st.floats(), st.integers(-5, 10**9), st.text(max_size=3)),
       raising=st.booleans(), odd_settings=st.booleans())
def test_every_event_and_context_ends_structured(emulator, event, name, remaining, raising, odd_settings):
    emulator.reset()
    settings_data: Any = {"REGION": "cn-north-4", "PROJECT_ID": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
                          "APP_GROUP_IDS": "g-1", "MAX_ATTEMPTS": "1"}
    context = OddContext(remaining, 12345 if odd_settings else settings_data, raising)
    try:
        result = load_function(name).handler(event, context)
    except RevokeError as raised:
        assert raised.error_code != "FGR.InternalError", raised
        return
    body = body_of(result)
    assert isinstance(body, dict) and body.get("error_code") != "FGR.InternalError", body


def test_a_failed_listing_is_an_upstream_failure_not_a_defect(emulator):
    emulator.inject("workspace.list_access_policies", status=500, times=None)
    fn = load_function(WORKSPACE)
    body = fn.handler({"select": {"older_than_days": 1}}, make_context(MAX_ATTEMPTS="1"))
    assert body["error_code"] == "FGR.UpstreamFailure" and body["status"] == "error"
    with pytest.raises(RevokeError) as raised:
        fn.handler({"trigger_type": "TIMER", "trigger_name": "t",
                    "user_event": json.dumps({"select": {"older_than_days": 1}})}, make_context(MAX_ATTEMPTS="1"))
    assert raised.value.error_code == "FGR.UpstreamFailure"


# -- 7. Report truth -------------------------------------------------------------------------------

@pytest.mark.parametrize("function", FUNCTIONS)
@PROPERTY
@given(data=st.data())
def test_report_fields_say_what_happened_to_each_request(emulator, function, data):
    case = data.draw(cases(function, kinds=("eventgrid", "smn", "direct", "apig_body")))
    body, _raised, _before = run(emulator, case)
    if body is None or "items" not in body:
        return
    items = items_of(body)
    assert body["summary"] == dict(Counter(item["outcome"] for item in items))
    unfinished = [item for item in items if item["outcome"] in ("failed", "not_attempted")]
    if body["status"] == "succeeded":
        assert not unfinished and items
    requests: List[Dict[str, Any]] = body.get("requests") or [body]
    for index, request in enumerate(requests):
        if "dry_run" in request:
            assert request["dry_run"] == runs_dry(case, case.requests[index]), request
    ran = [request for request in requests if "dry_run" in request]
    assert body["dry_run"] == (bool(ran) and all(request["dry_run"] for request in ran))
