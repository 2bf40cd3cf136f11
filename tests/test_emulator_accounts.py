"""The emulator's accounts, projects and regions, driven by the real SDK clients over HTTP: IAM users and the
projects a caller reaches, STS sessions of member accounts, and refusals across accounts and regions."""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, Iterator, Optional, Tuple

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkiam.v3 import IamClient, KeystoneListAuthProjectsRequest, KeystoneListUsersRequest
from huaweicloudsdkiam.v3.region.iam_region import IamRegion
from huaweicloudsdkiam.v5 import IamClient as IamV5Client
from huaweicloudsdkiam.v5 import ListUsersV5Request
from huaweicloudsdkiam.v5.region.iam_region import IamRegion as IamV5Region
from huaweicloudsdkmodelarts.v1 import GetAuthorizationsRequest, ModelArtsClient
from huaweicloudsdkmodelarts.v1.region.modelarts_region import ModelArtsRegion
from huaweicloudsdksts.v1 import AssumeAgencyReqBody, AssumeAgencyRequest, StsClient
from huaweicloudsdksts.v1.region.sts_region import StsRegion
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import AK, FAST, PROJECT, REGION, SK, TOKEN
from fgrevoke import testkit
from fgrevoke.emulator import Emulator, seed
from fgrevoke.emulator.accounts import DEFAULT_ACCOUNT
from fgrevoke.errors import UsageError

MEMBER = "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
MEMBER_KEYS = ("AKMEMBERACCOUNTKEY001", "SKmemberAccountSecret0123456789abcdefghi")
SUB_PROJECT, OTHER_REGION_PROJECT = "1b2c3d4e5f60718293a4b5c6d7e8f9a0", "3d4e5f60718293a4b5c6d7e8f9a0b1c2"
MEMBER_PROJECT = "4e5f60718293a4b5c6d7e8f9a0b1c2d3"
OTHER_REGION = "ap-southeast-1"
AGENCY = "fgrevoke_member"
Keys = Tuple[str, str, Optional[str]]


@pytest.fixture
def accounts(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """Two accounts: the default one (the test keys) with three projects in two regions, a member with one."""
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION_IAM_CN_NORTH_4", emulator.endpoint)
    emulator.add_credentials(*MEMBER_KEYS, account_id=MEMBER)
    emulator.add_project(REGION, PROJECT)
    emulator.add_project(REGION, SUB_PROJECT)
    emulator.add_project(OTHER_REGION, OTHER_REGION_PROJECT)
    emulator.add_project(REGION, MEMBER_PROJECT, account_id=MEMBER)
    yield emulator


def iam(keys: Any = None, region: str = REGION) -> Any:
    """An IamClient signing as the test keys (the default account), or as ``keys`` of the member account."""
    credentials = (BasicCredentials(AK, SK, PROJECT).with_security_token(TOKEN) if keys is None
                   else GlobalCredentials(keys[0], keys[1], MEMBER))
    return IamClient.new_builder().with_credentials(credentials).with_region(IamRegion.value_of(region)).build()


def iam_v5() -> Any:
    credentials = GlobalCredentials(AK, SK, DEFAULT_ACCOUNT).with_security_token(TOKEN)
    return IamV5Client.new_builder().with_credentials(credentials).with_region(IamV5Region.value_of(REGION)).build()


# -- KeystoneListAuthProjects -------------------------------------------------------------------------
def test_auth_projects_are_the_signing_accounts_own_with_sub_projects_and_mos(accounts: Emulator) -> None:
    listed = iam().keystone_list_auth_projects(KeystoneListAuthProjectsRequest()).to_json_object()["projects"]
    by_name = {project["name"]: project for project in listed}
    assert set(by_name) == {REGION, f"{REGION}_sub1", OTHER_REGION, "MOS"}
    assert by_name[REGION]["id"] == PROJECT and by_name[REGION]["parent_id"] == DEFAULT_ACCOUNT
    assert by_name[f"{REGION}_sub1"]["id"] == SUB_PROJECT and by_name[f"{REGION}_sub1"]["parent_id"] == PROJECT
    assert by_name[OTHER_REGION]["id"] == OTHER_REGION_PROJECT
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


# -- STS AssumeAgency ---------------------------------------------------------------------------------
def sts() -> Any:
    credentials = BasicCredentials(AK, SK, PROJECT).with_security_token(TOKEN)
    return StsClient.new_builder().with_credentials(credentials).with_region(StsRegion.value_of(REGION)).build()


def assume(account_id: str = MEMBER, agency: str = AGENCY, seconds: int = 3600) -> Any:
    body = AssumeAgencyReqBody(agency_urn=f"iam::{account_id}:agency:{agency}", agency_session_name="fgrevoke-test",
                               duration_seconds=seconds)
    return sts().assume_agency(AssumeAgencyRequest(body=body))


def modelarts(keys: Keys, project_id: str, region: str = REGION, endpoint: Optional[str] = None) -> Any:
    """A ModelArtsClient of ``region`` (its endpoint as the environment names it), or of ``endpoint``."""
    credentials = BasicCredentials(keys[0], keys[1], project_id)
    if keys[2]:
        credentials = credentials.with_security_token(keys[2])
    builder = ModelArtsClient.new_builder().with_credentials(credentials)
    return (builder.with_endpoint(endpoint) if endpoint else builder.with_region(ModelArtsRegion.value_of(region))
            ).build()


def refusal(call: Callable[[], Any]) -> Tuple[int, str]:
    with pytest.raises(ClientRequestException) as raised:
        call()
    return raised.value.status_code, raised.value.error_code


@pytest.fixture
def member(accounts: Emulator, region_endpoints: Callable[..., Dict[str, str]]) -> Emulator:
    """The member account's agency trusts the default account; every service has an endpoint per region."""
    region_endpoints(REGION, OTHER_REGION)
    accounts.sts.add_agency(MEMBER, AGENCY)
    return accounts


def test_an_assumed_agency_signs_for_the_member_account_and_its_keys_stay_masked(member: Emulator) -> None:
    member.modelarts.seed(MEMBER_PROJECT, "u-leaver")
    answer = assume()
    keys = (answer.credentials.access_key_id, answer.credentials.secret_access_key, answer.credentials.security_token)
    assert all(keys) and answer.assumed_agency.urn == f"sts::{MEMBER}:assumed-agency:{AGENCY}/fgrevoke-test"
    listed = modelarts(keys, MEMBER_PROJECT).get_authorizations(GetAuthorizationsRequest())
    assert [entry.user_id for entry in listed.auth] == ["u-leaver"]
    assert [(call["route"], call["account_id"], call["region"]) for call in member.calls()] == [
        ("sts.assume_agency", DEFAULT_ACCOUNT, REGION), ("modelarts.get_authorizations", MEMBER, REGION)]
    assert member.calls("sts.assume_agency")[0]["body"]["agency_urn"] == f"iam::{MEMBER}:agency:{AGENCY}"
    journal = json.dumps(member.calls(), default=str)
    assert not [key for key in keys if key in journal], "a session key is in the journal unmasked"
    assert member.calls("sts.assume_agency")[0]["response"]["credentials"]["secret_access_key"] == "***"


@pytest.mark.parametrize("account_id, agency, status, code", [
    (MEMBER, "no_such_agency", 404, "STS5.1106"),  # the member never created the agency
    ("5f60718293a4b5c6d7e8f9a0b1c2d3e4", AGENCY, 404, "STS5.1106"),  # an account without it
])
def test_a_missing_agency_answers_as_sts_does(member: Emulator, account_id: str, agency: str, status: int,
                                              code: str) -> None:
    assert refusal(lambda: assume(account_id, agency)) == (status, code)
    assert f"iam::{account_id}:agency:{agency}' cannot be found" in member.calls()[0]["response"]["error_msg"]


def test_an_agency_not_trusting_the_caller_is_403(member: Emulator) -> None:
    member.sts.add_agency(MEMBER, "other_trust", trusts="6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d")
    assert refusal(lambda: assume(agency="other_trust"))[0] == 403


def test_a_session_from_temporary_keys_lasts_at_most_an_hour(member: Emulator) -> None:
    assert refusal(lambda: assume(seconds=3601)) == (400, "STS5.0400")
    assert assume(seconds=900).credentials.access_key_id


# -- accounts and regions -----------------------------------------------------------------------------
def test_a_project_of_another_account_is_refused(member: Emulator) -> None:
    assert refusal(lambda: modelarts((AK, SK, TOKEN), MEMBER_PROJECT).get_authorizations(
        GetAuthorizationsRequest()))[0] == 403
    assert member.calls()[0]["account_id"] == DEFAULT_ACCOUNT and member.calls()[0]["project_id"] == MEMBER_PROJECT


def test_each_region_has_its_endpoint_and_refuses_another_regions_project(member: Emulator) -> None:
    assert member.endpoint_for(REGION) != member.endpoint_for(OTHER_REGION) != member.endpoint
    modelarts((AK, SK, TOKEN), OTHER_REGION_PROJECT, OTHER_REGION).get_authorizations(GetAuthorizationsRequest())
    assert refusal(lambda: modelarts((AK, SK, TOKEN), OTHER_REGION_PROJECT, REGION).get_authorizations(
        GetAuthorizationsRequest()))[0] == 403
    assert [(call["region"], call["project_id"], call["status"]) for call in member.calls()] == [
        (OTHER_REGION, OTHER_REGION_PROJECT, 200), (REGION, OTHER_REGION_PROJECT, 403)]
    iam(region=OTHER_REGION).keystone_list_auth_projects(KeystoneListAuthProjectsRequest())  # IAM is global
    assert (member.calls()[-1]["region"], member.calls()[-1]["project_id"], member.calls()[-1]["status"]) == (
        OTHER_REGION, PROJECT, 200)


def test_a_denied_action_answers_403_in_that_target_only(member: Emulator) -> None:
    member.deny("modelarts:authorization:list", project_id=SUB_PROJECT)
    modelarts((AK, SK, TOKEN), PROJECT).get_authorizations(GetAuthorizationsRequest())
    status, code = refusal(lambda: modelarts((AK, SK, TOKEN), SUB_PROJECT).get_authorizations(
        GetAuthorizationsRequest()))
    assert (status, code) == (403, "EMU.AccessDenied")
    assert "modelarts:authorization:list" in member.calls()[-1]["response"]["error_msg"]
    member.deny("modelarts", account_id=MEMBER)  # every ModelArts call of the member account
    session = assume().credentials
    keys = (session.access_key_id, session.secret_access_key, session.security_token)
    assert refusal(lambda: modelarts(keys, MEMBER_PROJECT).get_authorizations(GetAuthorizationsRequest()))[0] == 403
    modelarts((AK, SK, TOKEN), PROJECT).get_authorizations(GetAuthorizationsRequest())
    member.reset()
    assert member.denials == []


def test_region_endpoints_name_every_service_of_each_region(emulator: Emulator) -> None:
    variables = testkit.region_endpoints(emulator, [REGION, OTHER_REGION])
    assert variables["HUAWEICLOUD_SDK_REGION_WORKSPACEAPP_AP_SOUTHEAST_1"] == emulator.endpoint_for(OTHER_REGION)
    assert variables["HUAWEICLOUD_SDK_REGION_STS_CN_NORTH_4"] == emulator.endpoint_for(REGION)
    assert len(variables) == 2 * len(testkit.REGIONAL_SERVICES)


@settings(max_examples=5 if FAST else 25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([REGION, OTHER_REGION]), st.sampled_from([DEFAULT_ACCOUNT, MEMBER])),
                min_size=1, max_size=4),
       st.sampled_from([REGION, OTHER_REGION]))
def test_a_call_is_served_only_in_its_projects_account_and_region(
        emulator_session: Emulator, projects: Any, endpoint_region: str) -> None:
    emulator_session.reset()
    emulator_session.add_credentials(AK, SK, TOKEN)
    emulator_session.add_credentials(*MEMBER_KEYS, account_id=MEMBER)
    owned = [(f"{index:032x}", region, account) for index, (region, account) in enumerate(projects)]
    for project_id, region, account in owned:
        emulator_session.add_project(region, project_id, account)
    endpoint = emulator_session.endpoint_for(endpoint_region)
    for project_id, region, account in owned:
        for keys, signer in (((AK, SK, TOKEN), DEFAULT_ACCOUNT), ((*MEMBER_KEYS, None), MEMBER)):
            try:
                modelarts(keys, project_id, endpoint=endpoint).get_authorizations(GetAuthorizationsRequest())
                served = True
            except ClientRequestException as refused:
                assert refused.status_code == 403
                served = False
            assert served == (region == endpoint_region and account == signer)
    assert {call["region"] for call in emulator_session.calls()} == {endpoint_region}


# -- seeds --------------------------------------------------------------------------------------------
def test_a_seed_lists_projects_of_regions_and_accounts_with_users_and_agencies(
        emulator: Emulator, tmp_path: Any) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps([
        {"project_id": PROJECT, "region": REGION, "modelarts": {"authorizations": ["u-leaver"]},
         "iam": {"users": [{"id": "u-leaver", "name": "leaver"}]}},
        {"project_id": OTHER_REGION_PROJECT, "region": OTHER_REGION},
        {"project_id": MEMBER_PROJECT, "region": REGION, "account_id": MEMBER, "name": f"{REGION}_team",
         "iam": {"agencies": [{"name": AGENCY}], "users": [{"id": "u-m", "name": "m", "enabled": False}]}},
    ]))
    projects = seed.read(path)
    for index, project in enumerate(projects):
        seed.apply(emulator, project, f"seed[{index}]")
    assert seed.regions(projects) == [REGION, OTHER_REGION]
    assert {(p.project_id, p.region, p.account_id, p.name) for p in emulator.directory.projects.values()} == {
        (PROJECT, REGION, DEFAULT_ACCOUNT, REGION), (OTHER_REGION_PROJECT, OTHER_REGION, DEFAULT_ACCOUNT, OTHER_REGION),
        (MEMBER_PROJECT, REGION, MEMBER, f"{REGION}_team")}
    assert sorted(emulator.iam.users) == sorted([DEFAULT_ACCOUNT, MEMBER])
    assert emulator.sts.agencies == {(MEMBER, AGENCY): {DEFAULT_ACCOUNT}}
    assert emulator.modelarts.user_ids(PROJECT) == ["u-leaver"]


@pytest.mark.parametrize("document, message", [
    ({"project_id": PROJECT, "account_id": MEMBER}, "account_id and name need the project's region"),
    ({"project_id": PROJECT, "region": ""}, "region must be a non-empty string"),
    ({"project_id": PROJECT, "iam": {"groups": []}}, "unknown key(s) groups"),
    ({"project_id": PROJECT, "iam": {"users": [{"id": "u"}]}}, "iam.users[0].name must be a non-empty string"),
])
def test_a_seed_entry_it_cannot_use_is_a_usage_error(emulator: Emulator, tmp_path: Any, document: Any,
                                                    message: str) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(document))
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        for project in seed.read(path):
            seed.apply(emulator, project)
