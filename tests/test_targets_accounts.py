"""TARGETS with discovery (IAM KeystoneListAuthProjects) and member accounts (STS AssumeAgency), against the
emulator's regions and accounts: every call goes to its target's own regional endpoint, signed for its account."""

from __future__ import annotations

import json

import pytest

from conftest import PROJECT, REGION, SECRETS, load_function
from fgrevoke.emulator.accounts import DEFAULT_ACCOUNT

modelarts = load_function("modelarts_delete_authorizations")
workspaceapp = load_function("workspaceapp_batch_delete_app_group_authorization")
HOME = "ap-southeast-1"  # where IAM traces land: the functions' own region
SUB = "1b2c3d4e5f60718293a4b5c6d7e8f9a0"  # a second project of cn-north-4
HK, EU = "3d4e5f60718293a4b5c6d7e8f9a0b1c2", "4e5f60718293a4b5c6d7e8f9a0b1c2d3"
MEMBER, MEMBER_PROJECT = "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "5f60718293a4b5c6d7e8f9a0b1c2d3e4"
DELETE = "modelarts.delete_authorizations"


@pytest.fixture
def account(emulator, region_endpoints):
    """The function's account: cn-north-4 (two projects), ap-southeast-1, eu-west-0 (no ModelArts there)."""
    region_endpoints(REGION, HOME)
    for region, project in ((REGION, PROJECT), (REGION, SUB), (HOME, HK), ("eu-west-0", EU)):
        emulator.add_project(region, project)
    return emulator


def rows(result):
    return {(row.get("account_id"), row["region"], row["project_id"]): row for row in result["targets"]}


def test_every_project_of_every_region_is_found_and_acted_on_at_its_own_endpoint(account, context):
    for project in (PROJECT, SUB, HK):
        account.modelarts.seed(project, "u-leaver")
    result = modelarts.handler({"user_id": "u-leaver"}, context(REGION=HOME, PROJECT_ID=HK, TARGETS="*"))
    assert result["status"] == "succeeded", json.dumps(result["targets"])
    verdicts = {key: row["status"] for key, row in rows(result).items()}
    assert verdicts == {(None, REGION, PROJECT): "done", (None, REGION, SUB): "done", (None, HOME, HK): "done",
                        (None, "eu-west-0", EU): "not_offered"}  # MOS is no region: never a target
    deletes = account.calls(DELETE)
    assert {(call["region"], call["project_id"]) for call in deletes} == {(REGION, PROJECT), (REGION, SUB), (HOME, HK)}
    assert [call["region"] for call in account.calls("iam.keystone_list_auth_projects")] == [HOME]


def test_a_region_wildcard_finds_only_that_regions_projects(account, context):
    result = modelarts.handler({"user_id": "u-leaver", "dry_run": True},
                               context(REGION=HOME, PROJECT_ID=HK, TARGETS=f"{REGION}/*"))
    assert {key[1:] for key in rows(result)} == {(REGION, PROJECT), (REGION, SUB)}


def test_a_member_account_is_reached_through_its_agency(account, context):
    account.add_project(HOME, MEMBER_PROJECT, account_id=MEMBER)
    account.sts.add_agency(MEMBER, "OrgAccess")
    account.modelarts.seed(MEMBER_PROJECT, "u-leaver")
    result = modelarts.handler({"user_id": "u-leaver"},
                               context(REGION=HOME, PROJECT_ID=HK, TARGETS=f"{MEMBER}:OrgAccess@{HOME}/*"))
    row = rows(result)[(MEMBER, HOME, MEMBER_PROJECT)]
    assert row["status"] == "done" and row["agency"] == "OrgAccess"
    assert result["items"][0]["account_id"] == MEMBER and result["items"][0]["outcome"] == "deleted"
    assume = account.calls("sts.assume_agency")
    assert len(assume) == 1 and assume[0]["body"]["agency_urn"] == f"iam::{MEMBER}:agency:OrgAccess"
    assert 900 <= assume[0]["body"]["duration_seconds"] <= 3600  # chained from the agency's temporary keys
    assert [call["account_id"] for call in account.calls(DELETE)] == [MEMBER]
    assert account.modelarts.user_ids(MEMBER_PROJECT) == []


def test_the_member_session_keys_never_leave_the_invocation(account, context, capsys):
    account.add_project(HOME, MEMBER_PROJECT, account_id=MEMBER)
    account.sts.add_agency(MEMBER, "OrgAccess")
    result = modelarts.handler({"user_id": "u-leaver"},
                               context(REGION=HOME, PROJECT_ID=HK, TARGETS=f"{MEMBER}:OrgAccess@{HOME}/*"))
    session = [(access_key, key.secret_key, key.security_token) for access_key, key in account.credentials.items()
               if key.account_id == MEMBER]
    shown = json.dumps(result) + capsys.readouterr().out
    assert len(session) == 1 and not any(part in shown for part in session[0])
    assert not any(secret in shown for secret in SECRETS)


@pytest.mark.parametrize("trusts", [None, "ffffffffffffffffffffffffffffffff"])
def test_a_member_agency_missing_or_not_trusting_is_denied_and_named(account, context, trusts):
    account.add_project(HOME, MEMBER_PROJECT, account_id=MEMBER)
    account.modelarts.seed(PROJECT, "u-leaver")
    if trusts:
        account.sts.add_agency(MEMBER, "OrgAccess", trusts=trusts)
    result = modelarts.handler({"user_id": "u-leaver"}, context(
        REGION=HOME, PROJECT_ID=HK, TARGETS=f"{REGION}/{PROJECT},{MEMBER}:OrgAccess@{HOME}/{MEMBER_PROJECT}"))
    row = rows(result)[(MEMBER, HOME, MEMBER_PROJECT)]
    assert row["status"] == "denied" and row["denied_actions"] == ["sts:agencies:assume"]
    assert f"iam::{MEMBER}:agency:OrgAccess" in row["reason"]
    assert rows(result)[(None, REGION, PROJECT)]["status"] == "done" and result["status"] == "partially_failed"
    assert all(call["account_id"] == DEFAULT_ACCOUNT for call in account.calls(DELETE))


def test_a_denied_project_is_named_and_the_others_are_done(account, context):
    for project in (PROJECT, SUB, HK):
        account.modelarts.seed(project, "u-leaver")
    account.deny("modelarts:authorization:delete", project_id=SUB)
    result = modelarts.handler({"user_id": "u-leaver"}, context(REGION=HOME, PROJECT_ID=HK, TARGETS="*"))
    row = rows(result)[(None, REGION, SUB)]
    assert row["status"] == "denied" and row["denied_actions"] == ["modelarts:authorization:delete"]
    assert result["status"] == "partially_failed"
    assert result["summary"]["targets"] == {"done": 2, "denied": 1, "not_offered": 1}
    assert account.modelarts.user_ids(SUB) == ["u-leaver"]


def test_discovery_that_fails_is_a_row_not_a_crash(account, context):
    account.inject("iam.keystone_list_auth_projects", status=500, times=None)
    account.modelarts.seed(PROJECT, "u-leaver")
    result = modelarts.handler({"user_id": "u-leaver"}, context(
        REGION=HOME, PROJECT_ID=HK, TARGETS=f"{REGION}/{PROJECT},{HOME}/*", MAX_ATTEMPTS="1"))
    assert rows(result)[(None, HOME, "*")]["status"] == "unreachable"
    assert rows(result)[(None, REGION, PROJECT)]["status"] == "done" and result["status"] == "partially_failed"


def test_workspaceapp_uses_each_regions_own_endpoint(account, context):
    for project in (PROJECT, HK):
        account.workspaceapp.seed_group(project, "apps", "7001")
        account.workspaceapp.grant(project, "7001", "leaver")
    result = workspaceapp.handler({"user_name": "leaver"},
                                  context(REGION=HOME, PROJECT_ID=HK, TARGETS="*", APP_GROUP_IDS="*"))
    assert {key[1:]: row["status"] for key, row in rows(result).items()} == {
        (REGION, PROJECT): "done", (REGION, SUB): "nothing_held", (HOME, HK): "done", ("eu-west-0", EU): "not_offered"}
    assert {call["region"] for call in account.calls() if call["route"].startswith("workspaceapp.")} == {REGION, HOME}
