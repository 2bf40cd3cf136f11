"""Least privilege: every call a function makes is covered by an action it declares, and it declares
nothing it does not use (elb:ipgroups:delete is a documented dependency of the Workspace delete)."""

from __future__ import annotations

import pytest

from conftest import PROJECT, load_function, make_context

DEPENDENCIES = {"elb:ipgroups:delete"}  # required by workspace:accessPolicies:delete, not called directly


def exercise_modelarts(emulator):
    emulator.modelarts.seed(PROJECT, "u-1")
    return {"user_ids": ["u-1", "u-2"], "verify": True}, {}


def exercise_workspace(emulator):
    emulator.workspace.seed(PROJECT, policy_id="p-1", access_control_type="ACCESS_TYPE", age_days=9)
    return {"select": {"older_than_days": 1}}, {"ALLOW_ENABLED_POLICY_DELETION": "true"}


def exercise_workspaceapp(emulator):
    emulator.workspaceapp.seed_group(PROJECT, "g", "g-1")
    emulator.workspaceapp.grant(PROJECT, "g-1", "leaver")
    return {"user_name": "leaver"}, {"APP_GROUP_IDS": "*"}


@pytest.mark.parametrize("name, exercise", [
    ("modelarts_delete_authorizations", exercise_modelarts),
    ("workspace_batch_delete_access_policies", exercise_workspace),
    ("workspaceapp_batch_delete_app_group_authorization", exercise_workspaceapp),
])
def test_calls_are_covered_by_declared_actions(emulator, name, exercise):
    fn = load_function(name)
    request, settings = exercise(emulator)
    fn.handler(request, make_context(**settings))
    used = {emulator.actions[call["route"]] for call in emulator.calls()}
    assert used <= set(fn.REQUIRED_ACTIONS), used - set(fn.REQUIRED_ACTIONS)
    assert set(fn.REQUIRED_ACTIONS) - DEPENDENCIES == used, "declared but never needed"
