"""The emulator's accounts, projects and regions, driven by the real SDK clients over HTTP: IAM users and the
projects a caller reaches, STS sessions of member accounts, and refusals across accounts and regions."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkiam.v3 import IamClient, KeystoneListAuthProjectsRequest, KeystoneListUsersRequest
from huaweicloudsdkiam.v3.region.iam_region import IamRegion
from huaweicloudsdkiam.v5 import IamClient as IamV5Client
from huaweicloudsdkiam.v5 import ListUsersV5Request
from huaweicloudsdkiam.v5.region.iam_region import IamRegion as IamV5Region

from conftest import AK, PROJECT, REGION, SK, TOKEN
from fgrevoke.emulator import Emulator
from fgrevoke.emulator.accounts import DEFAULT_ACCOUNT

MEMBER = "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
MEMBER_KEYS = ("AKMEMBERACCOUNTKEY001", "SKmemberAccountSecret0123456789abcdefghi")
SUB_PROJECT, OTHER_REGION_PROJECT = "1b2c3d4e5f60718293a4b5c6d7e8f9a0", "3d4e5f60718293a4b5c6d7e8f9a0b1c2"
MEMBER_PROJECT = "4e5f60718293a4b5c6d7e8f9a0b1c2d3"


@pytest.fixture
def accounts(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """Two accounts: the default one (the test keys) with three projects in two regions, a member with one."""
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION_IAM_CN_NORTH_4", emulator.endpoint)
    emulator.add_credentials(*MEMBER_KEYS, account_id=MEMBER)
    emulator.add_project(REGION, PROJECT)
    emulator.add_project(REGION, SUB_PROJECT)
    emulator.add_project("ap-southeast-1", OTHER_REGION_PROJECT)
    emulator.add_project(REGION, MEMBER_PROJECT, account_id=MEMBER)
    yield emulator


def iam(keys: Any = None) -> Any:
    """An IamClient signing as the test keys (the default account), or as ``keys`` of the member account."""
    credentials = (BasicCredentials(AK, SK, PROJECT).with_security_token(TOKEN) if keys is None
                   else GlobalCredentials(keys[0], keys[1], MEMBER))
    return IamClient.new_builder().with_credentials(credentials).with_region(IamRegion.value_of(REGION)).build()


def iam_v5() -> Any:
    credentials = GlobalCredentials(AK, SK, DEFAULT_ACCOUNT).with_security_token(TOKEN)
    return IamV5Client.new_builder().with_credentials(credentials).with_region(IamV5Region.value_of(REGION)).build()


# -- KeystoneListAuthProjects -------------------------------------------------------------------------
def test_auth_projects_are_the_signing_accounts_own_with_sub_projects_and_mos(accounts: Emulator) -> None:
    listed = iam().keystone_list_auth_projects(KeystoneListAuthProjectsRequest()).to_json_object()["projects"]
    by_name = {project["name"]: project for project in listed}
    assert set(by_name) == {REGION, f"{REGION}_sub1", "ap-southeast-1", "MOS"}
    assert by_name[REGION]["id"] == PROJECT and by_name[REGION]["parent_id"] == DEFAULT_ACCOUNT
    assert by_name[f"{REGION}_sub1"]["id"] == SUB_PROJECT and by_name[f"{REGION}_sub1"]["parent_id"] == PROJECT
    assert by_name["ap-southeast-1"]["id"] == OTHER_REGION_PROJECT
    assert {project["domain_id"] for project in listed} == {DEFAULT_ACCOUNT}
    assert all(project["enabled"] for project in listed)
    member = iam(MEMBER_KEYS).keystone_list_auth_projects(KeystoneListAuthProjectsRequest()).projects
    assert {(project.name, project.id) for project in member if project.name != "MOS"} == {
        (REGION, MEMBER_PROJECT)}
    assert [call["account_id"] for call in accounts.calls("iam.keystone_list_auth_projects")] == [
        DEFAULT_ACCOUNT, MEMBER]


# -- users --------------------------------------------------------------------------------------------
def test_users_are_listed_per_account(accounts: Emulator) -> None:
    accounts.iam.seed_user(DEFAULT_ACCOUNT, "u-alice", "alice")
    accounts.iam.seed_user(DEFAULT_ACCOUNT, "u-bob", "bob", enabled=False)
    accounts.iam.seed_user(MEMBER, "u-carol", "carol")
    answer = iam().keystone_list_users(KeystoneListUsersRequest()).to_json_object()
    assert [(user["id"], user["name"], user["enabled"], user["domain_id"]) for user in answer["users"]] == [
        ("u-alice", "alice", True, DEFAULT_ACCOUNT), ("u-bob", "bob", False, DEFAULT_ACCOUNT)]
    assert answer["links"]["next"] is None
    assert [user.id for user in iam().keystone_list_users(KeystoneListUsersRequest(name="bob")).users] == ["u-bob"]
    assert [user.id for user in iam(MEMBER_KEYS).keystone_list_users(KeystoneListUsersRequest()).users] == ["u-carol"]


@pytest.mark.parametrize("reading, next_link", [("next_link", True), ("short", False)])
def test_an_incomplete_user_listing_misses_one_user(accounts: Emulator, reading: str, next_link: bool) -> None:
    for index in range(3):
        accounts.iam.seed_user(DEFAULT_ACCOUNT, f"u-{index}", f"user{index}")
    accounts.iam.reading["users"] = reading
    answer = iam().keystone_list_users(KeystoneListUsersRequest())
    assert [user.id for user in answer.users] == ["u-0", "u-1"]
    assert (answer.links.next is not None) is next_link


def test_users_v5_are_paged_by_marker(accounts: Emulator) -> None:
    for index in range(5):
        accounts.iam.seed_user(DEFAULT_ACCOUNT, f"u-{index}", f"user{index}")
    seen, marker = [], None
    while True:
        page = iam_v5().list_users_v5(ListUsersV5Request(limit=2, marker=marker))
        seen += [user.user_id for user in page.users]
        marker = page.page_info.next_marker
        if marker is None:
            break
    assert seen == [f"u-{index}" for index in range(5)]
    assert [call["query"].get("marker") is None for call in accounts.calls("iam.list_users_v5")] == [
        True, False, False]
