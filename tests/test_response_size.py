"""Reports larger than FunctionGraph's response limit (issue 18, class 5): 6 MB synchronous, 256 KB for an
asynchronous return value (docs/reference/functiongraph.md §1.5).

Above the limit the report keeps its summary, then its failed and not-attempted items, and says truthfully
what it left out and where every item is (the audit log, by correlation id); it is never cut mid-JSON.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Dict, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FAST, load_function
from fgrevoke.testkit import apig_body, apig_event, audit_records
from shared import redaction, response_size, runtime, triggers
from shared.outcomes import Outcome, Report, TargetState

fn = load_function("workspaceapp_batch_delete_app_group_authorization")
LIST = "workspaceapp.list_app_group_authorization"
SIX_MB = 6 * 1024 * 1024


@pytest.mark.slow  # 100,000 items: about 10 s
def test_a_documented_size_request_answers_within_6_mb(emulator, context, capsys):
    """The issue's example: 2,000 groups x 50 accounts (the request's documented maximum of pairs) gave a
    20 MB API Gateway body the caller never received."""
    group_ids = [f"app-group-{index:06d}" for index in range(2000)]
    names = [f"departing.employee.{index:02d}.with.a.rather.long.workspace.account.name" for index in range(50)]
    emulator.inject(LIST, status=500, times=None, when=lambda request: request.arg("account") == names[7])
    response = fn.handler(apig_event("POST", {"app_group_ids": group_ids, "accounts": names},
                                     request_id="apig-big-1"), context(HTTP_MAX_ATTEMPTS="1"))
    assert len(json.dumps(response)) <= SIX_MB
    body = apig_body(response)  # whole JSON
    assert body["summary"] == {"already_absent": 98000, "failed": 2000}
    assert [item["account"] for item in body["items"] if item["outcome"] == "failed"] == [names[7]] * 2000
    left_out = body["items_left_out"]
    assert left_out["count"] == 100000 - len(body["items"]) and left_out["by_outcome"] == {
        "already_absent": left_out["count"]}
    assert "apig-big-1" in left_out["note"]
    audited = audit_records(capsys.readouterr().out)
    assert len(audited) == 100000 and {record["correlation_id"] for record in audited} == {"apig-big-1"}


# -- the property ----------------------------------------------------------------------------------
OUTCOMES = [state for state in TargetState]
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
ITEM = st.builds(lambda target, outcome, reason, transient: Outcome({"user_id": target}, outcome, reason=reason,
                                                                    transient=transient),
                 TEXT, st.sampled_from(OUTCOMES), st.one_of(st.none(), TEXT), st.booleans())
KINDS = [triggers.APIG, triggers.DIRECT, triggers.CTS, triggers.EVENTGRID]


def serialized(kind: str, answer: Dict[str, Any]) -> Dict[str, Any]:
    """The answer as the caller reads it, after checking its size at the wire's worst (ASCII-escaped)."""
    return json.loads(answer["body"]) if kind == triggers.APIG else json.loads(json.dumps(answer))


@settings(max_examples=10 if FAST else 200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(ITEM, max_size=300), kind=st.sampled_from(KINDS), limit=st.integers(2_000, 40_000),
       rejected=st.booleans())
def test_every_answer_fits_and_keeps_what_the_caller_must_act_on(monkeypatch, items, kind, limit, rejected):
    monkeypatch.setattr(response_size, "SYNCHRONOUS_LIMIT", limit + response_size.MARGIN)
    monkeypatch.setattr(response_size, "ASYNCHRONOUS_LIMIT", limit + response_size.MARGIN)
    report = Report("op", False, items=list(items))
    body = report.to_dict()
    if rejected:  # a request refused after earlier ones ran: their report rides along
        body = {"operation": "op", "status": "rejected", "error_code": "FGR.InvalidRequest", "error_msg": "x",
                "completed_before_the_error": body}
    answer = runtime._respond(kind, body, 207)
    assert len(json.dumps(answer)) <= limit
    seen = serialized(kind, answer)
    report_seen = seen["completed_before_the_error"] if rejected else seen
    assert report_seen["summary"] == json.loads(json.dumps(report.to_dict()["summary"]))
    # as the answer has them: masked where a generated value happens to match a key another test registered
    original = [json.loads(json.dumps(redaction.scrub(item.to_dict()))) for item in items]
    kept: List[Dict[str, Any]] = report_seen["items"]
    assert not Counter(json.dumps(i, sort_keys=True) for i in kept) - Counter(
        json.dumps(i, sort_keys=True) for i in original), "an item was changed or made up"
    left = seen.get("items_left_out")
    if left is None:
        assert len(kept) == len(original)
        return
    dropped = Counter(i["outcome"] for i in original) - Counter(i["outcome"] for i in kept)
    assert left["by_outcome"] == dict(dropped) and left["count"] == len(original) - len(kept)
    unfinished_dropped = dropped["failed"] + dropped["not_attempted"]
    finished_kept = sum(1 for i in kept if i["outcome"] not in ("failed", "not_attempted"))
    assert not (unfinished_dropped and finished_kept), "a finished item was kept before an unfinished one"
