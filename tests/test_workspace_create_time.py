"""Workspace cleanup by age: ``create_time`` is read the same on every FunctionGraph Python.

Regression: on Python 3.9/3.10 a fraction followed by a zone (``.000+00:00``, or the emulator's ``.123Z``)
was not read, so ``older_than_days`` selected nothing there while the tests on 3.11 passed.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from conftest import PROJECT, load_function

fn = load_function("workspace_batch_delete_access_policies")
UTC = timezone.utc


@pytest.mark.parametrize("text, expected", [
    ("2022-10-24T17:24:56.000+00:00", datetime(2022, 10, 24, 17, 24, 56, tzinfo=UTC)),
    ("2022-10-24T17:24:56.123Z", datetime(2022, 10, 24, 17, 24, 56, 123000, tzinfo=UTC)),
    ("2022-10-24T17:24:56.1Z", datetime(2022, 10, 24, 17, 24, 56, 100000, tzinfo=UTC)),
    ("2022-10-24T17:24:56.12345+00:00", datetime(2022, 10, 24, 17, 24, 56, 123450, tzinfo=UTC)),
    ("2022-10-24T17:24:56.123456789Z", datetime(2022, 10, 24, 17, 24, 56, 123456, tzinfo=UTC)),
    ("2022-10-25T01:24:56.5+08:00", datetime(2022, 10, 24, 17, 24, 56, 500000, tzinfo=UTC)),
    ("2022-10-25T01:24:56+0800", datetime(2022, 10, 24, 17, 24, 56, tzinfo=UTC)),
    ("2022-10-24T12:24:56-05", datetime(2022, 10, 24, 17, 24, 56, tzinfo=UTC)),
    ("2022-10-24T17:24:56z", datetime(2022, 10, 24, 17, 24, 56, tzinfo=UTC)),
    ("2022-10-24 17:24:56.000", datetime(2022, 10, 24, 17, 24, 56, tzinfo=UTC)),
    ("2022-10-24T17:24Z", datetime(2022, 10, 24, 17, 24, tzinfo=UTC)),
    ("2022-10-24T17:24:56,25Z", datetime(2022, 10, 24, 17, 24, 56, 250000, tzinfo=UTC)),
])
def test_create_time_is_read_exactly(text, expected):
    parsed = fn.parse_time(text)
    assert parsed == expected and parsed.utcoffset() is not None


@pytest.mark.parametrize("text", ["last tuesday", "2022-13-01T00:00:00Z", "2022-10-24T25:00:00Z", "2022-10-24",
                                  "2022-10-24T17:24:56+08:00:00x", "20221024T172456Z"])
def test_unreadable_create_time_is_none(text):
    assert fn.parse_time(text) is None


def test_policies_with_fraction_and_zone_are_selected_by_age(emulator, context):
    old = (datetime.now(UTC) - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%S.000+00:00")
    emulator.workspace.seed(PROJECT, policy_id="offset", create_time=old)
    emulator.workspace.seed(PROJECT, policy_id="zulu", age_days=40)  # the emulator's own form: .123Z
    emulator.workspace.seed(PROJECT, policy_id="new", age_days=1)
    result = fn.handler({"select": {"older_than_days": 30}}, context())
    assert {item["policy_id"]: item["outcome"] for item in result["items"]} == {"offset": "deleted",
                                                                                "zulu": "deleted"}
    assert emulator.workspace.policy_ids(PROJECT) == ["new"]
