"""Trigger recognition and request extraction (shared/triggers.py)."""

from __future__ import annotations

import base64
import json

import pytest

from conftest import reference_event
from fgrevoke.testkit import apig_event
from shared import triggers
from shared.errors import InvalidRequest, MethodNotAllowed, PayloadTooLarge


@pytest.mark.parametrize("name, kind", [
    ("timer.json", "timer"), ("timer_plain_text.json", "timer"), ("apig.json", "apig"),
    ("apig_post_base64_body.json", "apig"), ("apig_path_params.json", "apig"), ("cts.json", "cts"),
    ("cts_iam_deleteUser_RECONSTRUCTED.json", "cts"), ("cts_real_capture_createFunction.json", "cts"),
    ("eg_cloudevent.json", "eventgrid"), ("eg_putevents_envelope.json", "eventgrid"), ("smn.json", "smn"),
])
def test_reference_events_are_recognised(name, kind):
    assert triggers.kind_of(reference_event(name)) == kind


def test_direct_event_is_the_request():
    trigger = triggers.parse({"user_id": "u-1"})
    assert (trigger.kind, trigger.payloads, trigger.asynchronous) == ("direct", ({"user_id": "u-1"},), False)


def test_timer_json_user_event_and_correlation():
    trigger = triggers.parse(reference_event("timer.json"))
    assert trigger.payloads == ({"action": "cleanup", "dry_run": True},)
    assert trigger.correlation_id == "Timer_001@2023-06-01T08:30:00+08:00" and trigger.asynchronous


@pytest.mark.parametrize("user_event", ["Hello world", "", "[1, 2]", None])
def test_timer_without_a_json_object_is_invalid(user_event):
    event = dict(reference_event("timer.json"), user_event=user_event)
    with pytest.raises(InvalidRequest) as raised:
        triggers.parse(event)
    assert raised.value.field == "user_event"


def test_apig_base64_body_is_decoded():
    trigger = triggers.parse(dict(reference_event("apig_post_base64_body.json")))
    assert trigger.payloads == ({"name": "OpenTelekomCloud"},) and trigger.correlation_id == \
        "11cdcdcf33949dc6d722640a13091c77"


def test_apig_query_and_body_merge_and_conflict():
    assert triggers.parse(apig_event("DELETE", query={"user_id": "u-1"})).payloads == ({"user_id": "u-1"},)
    with pytest.raises(InvalidRequest):
        triggers.parse(apig_event("POST", {"user_id": "u-2"}, query={"user_id": "u-1"}))


def test_apig_bad_base64_and_methods():
    event = apig_event("POST", "not base64!!")
    event["isBase64Encoded"] = True
    with pytest.raises(InvalidRequest):
        triggers.parse(event)
    with pytest.raises(MethodNotAllowed):
        triggers.parse(apig_event("PUT", {}))


def test_apig_body_over_4mb_is_refused():
    big = base64.b64encode(b"x" * (4 * 1024 * 1024 + 10)).decode()
    event = apig_event("POST")
    event.update(body=big, isBase64Encoded=True)
    with pytest.raises(PayloadTooLarge):
        triggers.parse(event)


def test_cts_user_deletion_fields():
    trigger = triggers.parse(reference_event("cts_iam_deleteUser_RECONSTRUCTED.json"))
    assert trigger.offboarding == triggers.Offboarding("0b8d4c6f1a2e4f3b9c7d6e5f4a3b2c1d", "departing.employee")
    assert trigger.correlation_id == "00000000-0000-0000-0000-000000000000"


def test_cts_failed_deletion_is_ignored():
    event = reference_event("cts_iam_deleteUser_RECONSTRUCTED.json")
    event["cts"]["code"] = 404
    assert "failed" in triggers.parse(event).ignored


def test_cts_deletion_without_resource_id_is_invalid():
    event = reference_event("cts_iam_deleteUser_RECONSTRUCTED.json")
    del event["cts"]["resource_id"]
    with pytest.raises(InvalidRequest):
        triggers.parse(event)


def test_eventgrid_envelope_gives_one_payload_per_event():
    event = {"events": [{"id": "e1", "specversion": "1.0", "type": "t", "data": {"user_id": "a"}},
                        {"id": "e2", "specversion": "1.0", "type": "t", "data": json.dumps({"user_id": "b"})}]}
    trigger = triggers.parse(event)
    assert trigger.payloads == ({"user_id": "a"}, {"user_id": "b"}) and trigger.correlation_id == "e1,e2"


def test_smn_message_must_be_json_and_refuses_that_record_alone():
    (payload,) = triggers.parse(reference_event("smn.json")).payloads
    assert isinstance(payload, InvalidRequest) and payload.field == "record[0].smn.message"


@pytest.mark.parametrize("event", [None, [], "text", 3])
def test_non_object_events_are_invalid(event):
    with pytest.raises(InvalidRequest):
        triggers.parse(event)
