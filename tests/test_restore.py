"""fgrevoke restore: a revocation's report puts back exactly what it took (ids and times aside), sends nothing
for what is already there or was never taken, and says what it cannot put back and why."""

from __future__ import annotations

import copy
import io
import json
from typing import Any, Dict, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import AK, FAST, PROJECT, REGION, SK, TOKEN, find_secrets, load_function, make_context
from fgrevoke import cli
from fgrevoke.testkit import apig_event

MODELARTS = load_function("modelarts_delete_authorizations")
WORKSPACE = load_function("workspace_batch_delete_access_policies")
WORKSPACEAPP = load_function("workspaceapp_batch_delete_app_group_authorization")
CREATES = ("modelarts.create_authorization", "workspace.create_access_policy",
           "workspaceapp.add_app_group_authorization")
EXAMPLES = 10 if FAST else 40
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def keys(emulator, monkeypatch):
    """The command's keys come from the SDK's own variables."""
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", TOKEN)
    return emulator


def restore(tmp_path, capsys, report: Any, *args: str, raw: bool = False) -> Any:
    capsys.readouterr()  # the functions' own log lines
    path = tmp_path / "report.json"
    path.write_text(report if raw else json.dumps(report))
    code = cli.main(["restore", str(path), "--json", *args])
    out, err = capsys.readouterr()
    assert not find_secrets([out, err]), "a key reached the command's output"
    body = json.loads(out)
    body["exit_code"], body["stderr"] = code, err
    return body


def writes(emulator) -> List[Dict[str, Any]]:
    return [call for call in emulator.calls() if call["route"] in CREATES]


# -- what each service lists, ids and times aside ----------------------------------------------------------
def modelarts_listing(emulator) -> List[Dict[str, Any]]:
    return sorted((({k: v for k, v in e.items() if k != "create_time"})
                   for e in emulator.modelarts.authorizations.get(PROJECT, {}).values()), key=json.dumps)


def workspace_listing(emulator) -> List[Dict[str, Any]]:
    """Each policy as ListAccessPolicies shows it, with the objects ListAccessPolicyObjects shows."""
    shown = [{**{k: v for k, v in emulator.workspace._shown(p).items() if k not in ("policy_id", "create_time")},
              "objects": p["objects"]} for p in emulator.workspace.policies.get(PROJECT, {}).values()]
    return sorted(shown, key=json.dumps)


def workspaceapp_listing(emulator) -> List[Dict[str, Any]]:
    return sorted(({k: v for k, v in e.items() if k not in ("id", "create_at")}
                   for e in emulator.workspaceapp.authorizations.get(PROJECT, {}).values()), key=json.dumps)


# -- round trips -------------------------------------------------------------------------------------------
grants = st.lists(st.tuples(st.sampled_from(["modelarts_agency", "ma_agency_2"]),
                            st.sampled_from(["agency", "agency", "agency", "credential"])), min_size=1, max_size=6)


@PROPERTY
@given(held=grants, data=st.data())
def test_modelarts_round_trip(keys, tmp_path, capsys, held, data):
    emulator = keys
    emulator.reset()
    for index, (agency, kind) in enumerate(held):
        emulator.modelarts.seed(PROJECT, f"u-{index}", content=agency if kind == "agency" else "AKCREDENTIAL0001",
                                kind=kind)
    before = modelarts_listing(emulator)
    users = data.draw(st.lists(st.sampled_from([f"u-{i}" for i in range(len(held))]), min_size=1, unique=True))
    report = MODELARTS.handler({"user_ids": users}, make_context())
    assert all(item["outcome"] == "deleted" for item in report["items"])
    assert "AKCREDENTIAL0001" not in json.dumps(report), "a credential grant's key is never in a restore"

    result = restore(tmp_path, capsys, report, "--yes")
    credential = {f"u-{i}" for i, (_, kind) in enumerate(held) if kind == "credential"}
    taken = credential & set(users)
    assert modelarts_listing(emulator) == [e for e in before if e["user_id"] not in taken]
    outcomes = {item["user_id"]: item["outcome"] for item in result["items"]}
    assert outcomes == {user: "not_restorable" if user in taken else "restored" for user in users}
    assert len(emulator.calls("modelarts.create_authorization")) == len(set(users) - taken)

    calls = len(emulator.calls())
    again = restore(tmp_path, capsys, report, "--yes")  # idempotent: the second restore sends nothing
    assert len(writes(emulator)) == len(set(users) - taken), "the second restore sent nothing"
    assert len(emulator.calls()) == calls + (1 if set(users) - taken else 0)  # one listing read, if anything to do
    assert {item["outcome"] for item in again["items"]} <= {"already_present", "not_restorable"}


objects = st.lists(st.tuples(st.sampled_from(["USER", "USERGROUP"]), st.sampled_from(["o-1", "o-2", "o-3", "o-4"])),
                   max_size=4, unique_by=lambda o: o[1])
policies = st.lists(st.one_of(
    objects.map(lambda objs: {"access_control_type": "ACCESS_TYPE", "objects": [
        {"object_id": oid, "object_type": kind, "object_name": f"name-{oid}"} for kind, oid in objs]}),
    st.lists(st.sampled_from(["10.0.0.1", "10.0.0.2", "192.168.1.0"]), max_size=2, unique=True).map(
        lambda ips: {"access_control_type": "IP_WHITE_LIST", "is_block_all": False,
                     "ip_list": [{"ip_address": ip, "subnet_mask": "255.255.255.255"} for ip in ips]})),
    min_size=1, max_size=4)


@PROPERTY
@given(held=policies, data=st.data())
def test_workspace_round_trip(keys, tmp_path, capsys, held, data):
    emulator = keys
    emulator.reset()
    ids = [emulator.workspace.seed(PROJECT, "PRIVATE_ACCESS", is_enable=False, **copy.deepcopy(policy))
           for policy in held]
    before = workspace_listing(emulator)
    chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
    report = WORKSPACE.handler({"policy_id_list": chosen}, make_context(ALLOW_ENABLED_POLICY_DELETION="true"))
    assert {item["outcome"] for item in report["items"]} == {"deleted"}

    result = restore(tmp_path, capsys, report, "--yes")
    assert workspace_listing(emulator) == before
    mapping = {item["policy_id"]: item["new_policy_id"] for item in result["items"]}
    assert set(mapping) == set(chosen) and set(mapping.values()) <= set(emulator.workspace.policy_ids(PROJECT))
    assert len(set(mapping.values())) == len(chosen), "each old id maps to its own new policy"

    again = restore(tmp_path, capsys, report, "--yes")
    assert {item["outcome"] for item in again["items"]} == {"already_present"}
    assert len(emulator.calls("workspace.create_access_policy")) == len(chosen), "the second restore sent nothing"


accounts = st.lists(st.one_of(
    st.tuples(st.just("USER"), st.sampled_from(["alice", "bob", "carol"]), st.sampled_from(["", "corp.example"]),
              st.sampled_from(["LOCAL", "AD"])),
    st.tuples(st.just("USER_GROUP"), st.sampled_from(["ops", "dev"]), st.just(""), st.just("LOCAL"))),
    min_size=1, max_size=4, unique_by=lambda a: (a[0], a[1]))


@PROPERTY
@given(people=accounts, data=st.data())
def test_workspaceapp_round_trip(keys, tmp_path, capsys, people, data):
    emulator = keys
    emulator.reset()
    groups = [emulator.workspaceapp.seed_group(PROJECT, f"group-{i}", f"g-{i}") for i in range(3)]
    for kind, name, domain, platform in people:
        for group in data.draw(st.lists(st.sampled_from(groups), min_size=1, unique=True)):
            emulator.workspaceapp.grant(PROJECT, group, name, kind, domain, f"id-{name}" if kind == "USER_GROUP"
                                        else None, platform)
    before = workspaceapp_listing(emulator)
    request = [{"account": name, "account_type": kind, **({"id": f"id-{name}"} if kind == "USER_GROUP" else {})}
               for kind, name, _domain, _platform in people]
    report = WORKSPACEAPP.handler({"accounts": request, "app_group_ids": groups}, make_context())
    assert workspaceapp_listing(emulator) == [] and report["status"] == "succeeded"

    result = restore(tmp_path, capsys, report, "--yes")
    assert workspaceapp_listing(emulator) == before
    assert {item["outcome"] for item in result["items"]} == {"restored"}
    # the fewest calls: accounts in the same groups share a call (10 groups x 50 accounts each)
    sent = len(emulator.calls("workspaceapp.add_app_group_authorization"))
    assert sent <= len(people)

    again = restore(tmp_path, capsys, report, "--yes")
    assert {item["outcome"] for item in again["items"]} == {"already_present"}
    assert len(emulator.calls("workspaceapp.add_app_group_authorization")) == sent, "the second restore sent nothing"


# -- what is sent, and when nothing is ----------------------------------------------------------------------
def test_restore_of_a_dry_run_report_sends_nothing(keys, tmp_path, capsys):
    keys.modelarts.seed(PROJECT, "u-1")
    report = MODELARTS.handler({"user_id": "u-1", "dry_run": True}, make_context())
    calls = len(keys.calls())
    result = restore(tmp_path, capsys, report, "--yes")
    assert len(keys.calls()) == calls and result["upstream_calls"] == 0
    assert result["items"] == [] and result["not_revoked_items"] == 1 and result["exit_code"] == 0


def test_the_plan_reads_and_sends_nothing_and_names_the_endpoint(keys, tmp_path, capsys):
    keys.modelarts.seed(PROJECT, "u-1", content="team_agency")
    report = MODELARTS.handler({"user_id": "u-1"}, make_context())
    result = restore(tmp_path, capsys, report)
    assert writes(keys) == [] and keys.modelarts.user_ids(PROJECT) == []
    assert result["applied"] is False and result["items"][0]["outcome"] == "would_restore"
    assert result["targets"][0]["endpoints"] == [keys.endpoint] and keys.endpoint in result["stderr"]
    assert result["stderr"].index(keys.endpoint) >= 0 and result["exit_code"] == 0


def test_plan_text_says_what_and_how_to_apply(keys, tmp_path, capsys):
    keys.modelarts.seed(PROJECT, "u-1")
    keys.modelarts.seed(PROJECT, "u-2", content="AKCREDENTIAL0001", kind="credential")
    report = MODELARTS.handler({"user_ids": ["u-1", "u-2"]}, make_context())
    capsys.readouterr()
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    assert cli.main(["restore", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"modelarts.delete_authorizations in {REGION}/{PROJECT}:" in out
    assert "would_restore: user_id=u-1" in out and "not_restorable: user_id=u-2" in out
    assert "secret key" in out and "run again with --yes" in out and "AKCREDENTIAL0001" not in out


def test_report_shapes_apig_envelope_and_audit_lines(keys, tmp_path, capsys):
    for user in ("u-1", "u-2", "u-3"):
        keys.modelarts.seed(PROJECT, user)
    apig = MODELARTS.handler(apig_event("POST", {"user_id": "u-1"}), make_context())
    assert restore(tmp_path, capsys, apig)["items"][0]["outcome"] == "would_restore"
    envelope = MODELARTS.handler({"record": [{"smn": {"message": json.dumps({"user_id": "u-2"}), "message_id": "a"}},
                                             {"smn": {"message": json.dumps({"user_id": "u-3"}), "message_id": "b"}}]},
                                 make_context())
    capsys.readouterr()
    assert "requests" in envelope
    assert sorted(i["user_id"] for i in restore(tmp_path, capsys, envelope)["items"]) == ["u-2", "u-3"]
    kept = {"timestamp": "2026-12-04T10:00:00.000Z+08:00", "request_context": {"request_id": "r-1"},
            "response_context": {"status_code": 200, "function_error": ""}, "response_payload": json.dumps(apig)}
    assert restore(tmp_path, capsys, kept)["items"][0]["user_id"] == "u-1"  # as the ReportBucket keeps it
    keys.modelarts.seed(PROJECT, "u-4")
    MODELARTS.handler({"user_id": "u-4"}, make_context())
    log = capsys.readouterr().out  # the function's audit log lines, as LTS keeps them
    result = restore(tmp_path, capsys, log, "--yes", raw=True)
    assert [(i["user_id"], i["outcome"]) for i in result["items"]] == [("u-4", "restored")]
    assert keys.modelarts.user_ids(PROJECT) == ["u-4"]


def test_items_without_a_place_use_the_given_region_and_project(keys, tmp_path, capsys):
    keys.modelarts.seed(PROJECT, "u-1")
    report = MODELARTS.handler({"user_id": "u-1"}, make_context())
    for item in report["items"]:
        del item["region"], item["project_id"]
    unplaced = restore(tmp_path, capsys, report, "--yes")
    assert unplaced["items"][0]["outcome"] == "failed" and "--region" in unplaced["items"][0]["error_msg"]
    assert unplaced["exit_code"] == 1 and writes(keys) == []
    placed = restore(tmp_path, capsys, report, "--yes", "--region", REGION, "--project-id", PROJECT)
    assert placed["items"][0]["outcome"] == "restored" and keys.modelarts.user_ids(PROJECT) == ["u-1"]


def test_a_user_who_holds_another_grant_now_is_left_alone(keys, tmp_path, capsys):
    keys.modelarts.seed(PROJECT, "u-1", content="old_agency")
    report = MODELARTS.handler({"user_id": "u-1"}, make_context())
    keys.modelarts.seed(PROJECT, "u-1", content="new_agency")
    result = restore(tmp_path, capsys, report, "--yes")
    assert result["items"][0]["outcome"] == "not_restorable" and "new_agency" in result["items"][0]["reason"]
    assert writes(keys) == []


def test_a_failed_create_is_failed_and_exits_1(keys, tmp_path, capsys):
    keys.modelarts.seed(PROJECT, "u-1")
    report = MODELARTS.handler({"user_id": "u-1"}, make_context())
    keys.inject("modelarts.create_authorization", status=403, times=None)
    result = restore(tmp_path, capsys, report, "--yes")
    assert result["items"][0]["outcome"] == "failed" and result["items"][0]["error_code"]
    assert result["exit_code"] == 1


# -- bad input: one line, exit 2 -----------------------------------------------------------------------------
@pytest.mark.parametrize("content, says", [
    (None, "No such file"),
    ("{not json", "is not JSON"),
    ('{"hello": 1}', "not a report"),
    ("", "is empty"),
    ('[1, 2]', "where a report"),
])
def test_bad_input_is_one_line_and_exit_2(keys, tmp_path, capsys, content, says):
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content)
    assert cli.main(["restore", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith("fgrevoke: ") and says in err
    assert keys.calls() == []


def test_no_keys_is_one_line(emulator, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", str(tmp_path / "none"))
    emulator.modelarts.seed(PROJECT, "u-1")
    report = MODELARTS.handler({"user_id": "u-1"}, make_context())
    capsys.readouterr()
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    assert cli.main(["restore", str(path), "--yes"]) == 2
    err = capsys.readouterr().err
    assert "HUAWEICLOUD_SDK_AK" in err and err.strip().splitlines()[-1].startswith("fgrevoke: ")
    assert writes(emulator) == []


def test_workspaceapp_restore_uses_the_fewest_calls(keys, tmp_path, capsys):
    groups = [keys.workspaceapp.seed_group(PROJECT, f"group-{i}", f"g-{i:02d}") for i in range(12)]
    people = [f"user-{i:02d}" for i in range(60)]
    for group in groups:
        for person in people:
            keys.workspaceapp.grant(PROJECT, group, person)
    report = WORKSPACEAPP.handler({"accounts": people, "app_group_ids": groups}, make_context())
    assert report["summary"] == {"deleted": 720}
    result = restore(tmp_path, capsys, report, "--yes")
    assert result["summary"] == {"restored": 720}
    calls = keys.calls("workspaceapp.add_app_group_authorization")
    assert len(calls) == 4, "12 groups x 60 accounts: 2 x 2 calls of at most 10 groups x 50 accounts"
    assert all(len(c["body"]["app_group_ids"]) <= 10 and len(c["body"]["accounts"]) <= 50 for c in calls)


def test_no_restore_holds_a_key(keys, tmp_path, capsys):
    keys.modelarts.seed(PROJECT, "u-1", content="AKCREDENTIAL0001", kind="credential")
    keys.modelarts.seed(PROJECT, "u-2")
    report = MODELARTS.handler({"user_id": "all"}, make_context(ALLOW_ALL_USERS="true"))
    (item,) = report["items"]
    assert item["restore"]["grants"] == [{"user_id": "u-2", "user_name": "u-2", "user_type": "iam", "type": "agency",
                                          "content": "modelarts_agency"}]
    assert "AKCREDENTIAL0001" not in json.dumps(report) and "secret key" in item["restore"]["left_out"][0]["why"]
    result = restore(tmp_path, capsys, report, "--yes")
    assert sorted((i["user_id"], i["outcome"]) for i in result["items"]) == [("u-1", "not_restorable"),
                                                                              ("u-2", "restored")]


def test_a_policy_alike_to_one_that_stayed_is_still_restored(keys, tmp_path, capsys):
    """Two policies with one definition; one is deleted. The one that stayed is not its re-creation."""
    stays = keys.workspace.seed(PROJECT, "PRIVATE_ACCESS", is_enable=False)
    goes = keys.workspace.seed(PROJECT, "PRIVATE_ACCESS", is_enable=False)
    before = workspace_listing(keys)
    report = WORKSPACE.handler({"policy_id_list": [goes]}, make_context())
    assert report["items"][0]["restore"]["alike"] == [stays]
    first = restore(tmp_path, capsys, report, "--yes")
    assert first["items"][0]["outcome"] == "restored" and workspace_listing(keys) == before
    assert first["items"][0]["new_policy_id"] not in (stays, goes)
    second = restore(tmp_path, capsys, report, "--yes")
    assert second["items"][0]["outcome"] == "already_present"
    assert second["items"][0]["new_policy_id"] == first["items"][0]["new_policy_id"]


def test_a_report_cut_to_the_size_limit_says_where_the_rest_is(keys, tmp_path, capsys):
    keys.modelarts.seed(PROJECT, "u-1")
    report = MODELARTS.handler({"user_id": "u-1"}, make_context())
    report["items_left_out"] = {"count": 3, "by_outcome": {"deleted": 3}, "note": "3 of 4 items are left out"}
    result = restore(tmp_path, capsys, report)
    assert result["reports_cut_short"] == ["3 of 4 items are left out"]
    assert [item["user_id"] for item in result["items"]] == ["u-1"]


HOME, HK = "ap-southeast-1", "3d4e5f60718293a4b5c6d7e8f9a0b1c2"
MEMBER, MEMBER_PROJECT = "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "5f60718293a4b5c6d7e8f9a0b1c2d3e4"


def test_each_grant_goes_back_where_it_was_revoked_member_accounts_included(keys, region_endpoints, tmp_path,
                                                                              capsys):
    """A TARGETS revocation in two regions and a member account: each item is restored at its own region's
    endpoint, in its own project, the member account's through its agency (STS AssumeAgency)."""
    region_endpoints(REGION, HOME)
    keys.add_project(REGION, PROJECT)
    keys.add_project(HOME, HK)
    keys.add_project(HOME, MEMBER_PROJECT, account_id=MEMBER)
    keys.sts.add_agency(MEMBER, "OrgAccess")
    for project in (PROJECT, HK, MEMBER_PROJECT):
        keys.modelarts.seed(project, "u-leaver", content=f"agency-of-{project[:4]}")
    before = {p: modelarts_of(keys, p) for p in (PROJECT, HK, MEMBER_PROJECT)}
    report = MODELARTS.handler({"user_id": "u-leaver"}, make_context(
        REGION=HOME, PROJECT_ID=HK, TARGETS=f"{REGION}/{PROJECT},{HOME}/{HK},{MEMBER}:OrgAccess@{HOME}/*"))
    assert report["summary"]["deleted"] == 3
    keys.journal.clear()
    result = restore(tmp_path, capsys, report, "--yes")
    assert {item["outcome"] for item in result["items"]} == {"restored"}, result["items"]
    assert {p: modelarts_of(keys, p) for p in (PROJECT, HK, MEMBER_PROJECT)} == before
    creates = keys.calls("modelarts.create_authorization")
    assert {(c["region"], c["project_id"]) for c in creates} == {(REGION, PROJECT), (HOME, HK), (HOME, MEMBER_PROJECT)}
    member = [c for c in creates if c["project_id"] == MEMBER_PROJECT]
    assert member[0]["account_id"] == MEMBER and len(keys.calls("sts.assume_agency")) == 1
    assert all(url in result["stderr"] for target in result["targets"] for url in target["endpoints"])


def modelarts_of(emulator, project):
    return sorted(({k: v for k, v in e.items() if k != "create_time"}
                   for e in emulator.modelarts.authorizations.get(project, {}).values()), key=json.dumps)


def test_the_report_can_come_on_standard_input(keys, capsys, monkeypatch):
    keys.modelarts.seed(PROJECT, "u-1")
    report = MODELARTS.handler({"user_id": "u-1"}, make_context())
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(report)))
    assert cli.main(["restore", "-", "--yes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"] == {"restored": 1}
    assert keys.modelarts.user_ids(PROJECT) == ["u-1"]


def test_the_emulated_create_authorization_keeps_a_credential_grants_secret_key_out_of_the_listing(keys):
    """CreateAuthorization as documented: a credential grant needs its secret key, which no listing shows."""
    from shared import clients
    from shared.credentials import Credentials
    from shared.settings import Settings

    settings = Settings(region=REGION, project_id=PROJECT, dry_run=False, log_level="INFO", max_concurrency=1,
                        max_attempts=1, retry_base_delay=0.1, connect_timeout=5.0, read_timeout=5.0)
    client = clients.client_for(clients.MODELARTS, settings, Credentials(AK, SK, TOKEN, "test"))
    sdk = clients.MODELARTS.sdk()

    def create(**body: str) -> int:
        try:
            return int(client.create_authorization(sdk.CreateAuthorizationRequest(
                body=sdk.AuthorizationRequest(**body))).status_code)
        except Exception as error:  # the SDK raises on 4xx
            return int(getattr(error, "status_code", 0))

    assert create(user_id="u-1", type="credential", content="AKCREDENTIAL0001") == 400
    assert create(user_id="u-1", type="credential", content="AKCREDENTIAL0001", secret_key="SKcredential") == 200
    assert create(user_id="u-2", type="AGENCY", content="team_agency", user_name="two") == 200
    listed = client.get_authorizations(sdk.GetAuthorizationsRequest()).to_json_object()["auth"]
    assert "SKcredential" not in json.dumps(listed)
    assert {(e["user_id"], e["type"], e["user_name"]) for e in listed} == {("u-1", "credential", "u-1"),
                                                                         ("u-2", "agency", "two")}


@pytest.mark.parametrize("served", [True, False])
def test_a_policy_create_is_sent_once_and_a_lost_answer_is_settled_by_the_listing(keys, tmp_path, capsys, served):
    """CreateAccessPolicy makes a new policy each time: never repeated. Its answer lost (a 503 after the service
    acted, or before), the listing after it says whether the policy exists."""
    policy_id = keys.workspace.seed(PROJECT, "PRIVATE_ACCESS", is_enable=False,
                                    ip_list=[{"ip_address": "10.0.0.1", "subnet_mask": "255.255.255.255"}])
    before = workspace_listing(keys)
    report = WORKSPACE.handler({"policy_id_list": [policy_id]}, make_context())
    keys.inject("workspace.create_access_policy", status=503, serve_first=served, times=None)
    (item,) = restore(tmp_path, capsys, report, "--yes")["items"]
    assert len(keys.calls("workspace.create_access_policy")) == 1, "a create is never repeated"
    if served:
        assert item["outcome"] == "restored" and "the listing after it shows the new policy" in item["reason"]
        assert item["new_policy_id"] and workspace_listing(keys) == before
    else:
        assert item["outcome"] == "failed" and item["error_code"] and workspace_listing(keys) == []
