"""Adversarial cases against TARGETS (issue 16): each test is a break of the contract found by review, written as
the behaviour the contract promises. Real SDK over real HTTP against the emulator; nothing mocked."""

from __future__ import annotations

import json

import pytest

from conftest import PROJECT, REGION, load_function
from fgrevoke.testkit import eventgrid_event, timer_event
from shared import redaction
from shared.errors import TransientUpstreamFailure

modelarts = load_function("modelarts_delete_authorizations")
workspaceapp = load_function("workspaceapp_batch_delete_app_group_authorization")
HOME = "ap-southeast-1"
SUB = "1b2c3d4e5f60718293a4b5c6d7e8f9a0"  # a second project of cn-north-4 (the function's account)
HK = "3d4e5f60718293a4b5c6d7e8f9a0b1c2"
FOREIGN_ACCOUNT, FOREIGN = "0a0b0c0d0e0f10111213141516171819", "6a7b8c9d0e1f20212223242526272829"
MEMBER, MEMBER_PROJECT = "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "5f60718293a4b5c6d7e8f9a0b1c2d3e4"
DELETE, LIST = "modelarts.delete_authorizations", "modelarts.get_authorizations"
ASYNC_LIMIT = 256 * 1024 - 16 * 1024  # FunctionGraph's asynchronous return value, less its envelope


@pytest.fixture
def account(emulator, region_endpoints):
    """The function's account: cn-north-4 (two projects) and ap-southeast-1; another account's project in
    cn-north-4 that the function's keys cannot reach."""
    region_endpoints(REGION, HOME)
    for region, project in ((REGION, PROJECT), (REGION, SUB), (HOME, HK)):
        emulator.add_project(region, project)
    emulator.add_project(REGION, FOREIGN, account_id=FOREIGN_ACCOUNT)
    return emulator


# -- scope: a request narrows, never widens -----------------------------------------------------------------

@pytest.mark.parametrize("configured", [f"{REGION}/*", "*"])
def test_a_request_cannot_name_a_project_the_wildcard_scope_does_not_hold(account, context, configured):
    """TARGETS=cn-north-4/* is "every project of that region the credentials can reach". A request naming a
    project id that discovery does not find (here: another account's project) is outside the scope: it must be
    refused before any call, not sent to the service with the function's keys."""
    account.modelarts.seed(PROJECT, "u-leaver")
    result = modelarts.handler({"user_id": "u-leaver", "targets": [f"{REGION}/{FOREIGN}"]},
                               context(REGION=HOME, PROJECT_ID=HK, TARGETS=configured))
    reached = [call for call in account.calls() if call["project_id"] == FOREIGN]
    assert reached == [], f"calls reached {FOREIGN}, which the scope {configured} does not hold: {reached}"
    assert result["status"] == "rejected" and result["error_code"] == "FGR.Refused", json.dumps(result)


def test_a_request_cannot_fan_out_to_a_thousand_made_up_projects(account, context):
    """The same hole as an amplifier: one request under TARGETS=cn-north-4/* makes the function's agency call
    ModelArts in a thousand project ids no discovery ever listed."""
    made_up = [f"{REGION}/{index:032x}" for index in range(1, 1001)]
    result = modelarts.handler({"user_id": "u-leaver", "targets": made_up, "dry_run": True},
                               context(REGION=HOME, PROJECT_ID=HK, TARGETS=f"{REGION}/*"))
    scoped = {PROJECT, SUB}
    assert {call["project_id"] for call in account.calls(LIST)} <= scoped
    assert result["status"] == "rejected", result["status"]


# -- reports that are lost or too large ---------------------------------------------------------------------

def test_a_member_account_target_without_sts_in_the_functions_region_does_not_lose_the_report(
        emulator, region_endpoints, context):
    """The function lives in a region whose SDK table has no STS endpoint (eu-west-0). Its own target is revoked,
    then the member-account target raises ServiceNotOffered (a ConfigurationError) out of the fan-out: the whole
    invocation becomes FGR.ConfigurationError and the report of the revocation that did happen is gone. The member
    target should get a failing row (naming STS), the own target its `done`."""
    region_endpoints(REGION)
    emulator.add_project(REGION, PROJECT)
    emulator.add_project("eu-west-0", HK)
    emulator.add_project(REGION, MEMBER_PROJECT, account_id=MEMBER)
    emulator.sts.add_agency(MEMBER, "OrgAccess")
    emulator.modelarts.seed(PROJECT, "u-leaver")
    result = modelarts.handler({"user_id": "u-leaver"}, context(
        REGION="eu-west-0", PROJECT_ID=HK, TARGETS=f"{REGION}/{PROJECT},{MEMBER}:OrgAccess@{REGION}/{MEMBER_PROJECT}"))
    # the own target was revoked (the targets run side by side: the member's call may come first)...
    assert [call["status"] for call in emulator.calls(DELETE) if f"/{PROJECT}/" in call["path"]] == [200]
    assert "targets" in result, json.dumps(result)  # ...and the answer says so (STS answered in the target's region)
    verdicts = {(row.get("account_id"), row["project_id"]): row["status"] for row in result["targets"]}
    assert verdicts[(None, PROJECT)] == "done" and verdicts[(MEMBER, MEMBER_PROJECT)] != "done"


# -- once per invocation ------------------------------------------------------------------------------------

def test_member_session_keys_are_not_kept_after_the_invocation(account, context):
    """Every invocation assumes a new member session and registers its three keys with the masking registry for
    the life of the warm instance (every 16-character window of each, shared/redaction.py): memory and the cost of
    masking every log line grow with each offboarding. The keys of a finished invocation must not accumulate."""
    account.add_project(HOME, MEMBER_PROJECT, account_id=MEMBER)
    account.sts.add_agency(MEMBER, "OrgAccess")
    settings = dict(REGION=HOME, PROJECT_ID=HK, TARGETS=f"{MEMBER}:OrgAccess@{HOME}/{MEMBER_PROJECT}")
    modelarts.handler({"user_id": "u-leaver"}, context(**settings))
    before = len(redaction._secrets)
    for _ in range(20):
        modelarts.handler({"user_id": "u-leaver"}, context(**settings))
    assert len(account.calls("sts.assume_agency")) == 21
    assert len(redaction._secrets) - before < 20, f"{len(redaction._secrets) - before} secrets kept by 20 invocations"


# -- the default scope behaves as before --------------------------------------------------------------------

def test_default_scope_a_denied_optional_verify_still_succeeds_as_before(emulator, context):
    """Without TARGETS nothing may change but the items' region and project. Before TARGETS, a direct request with
    verify=true whose GetAuthorizations was refused reported the deletion `succeeded` (the item notes "not
    verified"); now the one default row is `denied` and the report turns `partially_failed` (and a TIMER
    invocation would raise FGR.PermissionDenied)."""
    emulator.modelarts.seed(PROJECT, "u-leaver")
    emulator.inject(LIST, status=403, times=None, body={"error_code": "ModelArts.0003", "error_msg": "no permission"})
    result = modelarts.handler({"user_id": "u-leaver", "verify": True}, context())
    assert [item["outcome"] for item in result["items"]] == ["deleted"]
    assert result["status"] == "succeeded", json.dumps(result)


# -- verdicts -----------------------------------------------------------------------------------------------

def test_a_discovery_denied_for_two_region_wildcards_names_both(account, context):
    """TARGETS=cn-north-4/*,ap-southeast-1/*: KeystoneListAuthProjects is refused. One row says cn-north-4/* is
    denied; ap-southeast-1/* is in no row at all, so a reader of `targets` believes it was never in scope."""
    account.deny("iam.keystone_list_auth_projects")
    result = modelarts.handler({"user_id": "u-leaver"},
                               context(REGION=HOME, PROJECT_ID=HK, TARGETS=f"{REGION}/*,{HOME}/*"))
    named = {row["region"] for row in result["targets"]}
    assert named >= {REGION, HOME}, json.dumps(result["targets"])


# -- hostile or slow answers --------------------------------------------------------------------------------

@pytest.mark.parametrize("answer", [{"projects": ["cn-north-4", 1, None]},
                                    {"projects": [{"id": "p" * 65, "name": "cn-north-4"}]}])
def test_a_discovery_answer_whose_entries_cannot_be_read_is_not_nothing_to_do(emulator, region_endpoints, context,
                                                                             answer):
    """KeystoneListAuthProjects answers 200 with entries that are no project (not an object, an id that is no
    project id). accounts.projects drops them silently: zero targets, the report is `nothing_to_do` and a TIMER or
    CTS offboarding returns normally, though nothing was looked at anywhere. An entry that cannot be read could be
    any project: the listing proves nothing (as listing.complete holds for keyless entries) and must fail,
    retryable, not pass as an empty scope."""
    region_endpoints(REGION)
    emulator.add_project(REGION, PROJECT)
    emulator.modelarts.seed(PROJECT, "u-leaver")
    emulator.inject("iam.keystone_list_auth_projects", status=200, body=answer, times=None)
    with pytest.raises(TransientUpstreamFailure):
        modelarts.handler(timer_event({"user_id": "u-leaver"}), context(TARGETS="*"))


def test_member_accounts_are_assumed_side_by_side_not_one_at_a_time(emulator, region_endpoints, context):
    """_Reach holds one lock over every AssumeAgency call, whatever the account: targets of six member accounts
    wait for each other's STS answers in turn, so with STS answering in 1 s and 5 s of invocation left, the later
    accounts are `not_attempted`, though TARGET_CONCURRENCY=6 lets all six run at once (about 1 s in all)."""
    region_endpoints(REGION)
    members = [f"{index:x}" * 32 for index in range(1, 7)]
    scope = []
    for index, member in enumerate(members):
        project = f"{index + 10:x}" * 16
        emulator.add_project(REGION, project, account_id=member)
        emulator.sts.add_agency(member, "OrgAccess")
        scope.append(f"{member}:OrgAccess@{REGION}/{project}")
    emulator.inject("sts.assume_agency", latency=1.0, times=None)
    result = modelarts.handler({"user_id": "u-leaver", "dry_run": True}, context(
        timeout_seconds=6.0, TARGETS=",".join(scope), TARGET_CONCURRENCY="6", HTTP_CONNECT_TIMEOUT="0.5",
        HTTP_READ_TIMEOUT="1.5"))
    assert result["summary"]["targets"] == {"nothing_held": 6}, json.dumps(result["targets"])


def test_a_selection_across_targets_still_says_what_it_listed_and_matched(emulator, region_endpoints, context):
    """Workspace policy clean-up (`select`) runs per target, but every_target drops each target's report details:
    the `selection` block ({filters, listed, matched}) the default scope answers with is gone, so nobody can tell
    what the filters matched where."""
    workspace = load_function("workspace_batch_delete_access_policies")
    region_endpoints(REGION)
    for project in (PROJECT, SUB):
        emulator.add_project(REGION, project)
        emulator.workspace.seed(project, is_enable=False)
    result = workspace.handler({"select": {"only_disabled": True}, "dry_run": True},
                               context(TARGETS=f"{REGION}/{PROJECT},{REGION}/{SUB}"))
    shown = [row.get("selection") for row in result["targets"]] + [result.get("selection")]
    assert any(shown), json.dumps(result)


@pytest.mark.parametrize("region", ["cn-north-\u0664", "cn-north-\uff14"])  # Arabic-Indic 4, fullwidth 4
def test_a_region_with_non_ascii_digits_is_not_a_region(emulator, context, region):
    """scope.REGION_PATTERN ends in \\d, which in a str pattern is any Unicode digit: `cn-north-٤/…` passes as a
    region id. In TARGETS it is accepted, and at run time the region is `not_offered`, which counts as success:
    a look-alike of cn-north-4 ends `succeeded` while cn-north-4 is never touched. It must be refused as malformed
    (FGR.ConfigurationError naming TARGETS), like `CN-NORTH-4/abc` is."""
    emulator.modelarts.seed(PROJECT, "u-leaver")
    result = modelarts.handler({"user_id": "u-leaver"}, context(TARGETS=f"{region}/{PROJECT}"))
    assert result.get("error_code") == "FGR.ConfigurationError", json.dumps(result, ensure_ascii=False)


def test_a_gateway_404_from_sts_is_not_a_missing_agency(account, context):
    """A 404 APIG.0101 is the API gateway saying it has no such API at this endpoint (shared/retry.py: a wrong
    region or endpoint override; retryable). fanout._unreachable_account reads any 404 from AssumeAgency as "the
    member account has no such agency": `denied`, which a retry cannot fix, and the failure destination is told to
    grant sts:agencies:assume, which would change nothing."""
    account.add_project(HOME, MEMBER_PROJECT, account_id=MEMBER)
    account.sts.add_agency(MEMBER, "OrgAccess")
    account.inject("sts.assume_agency", status=404, times=None, body={
        "error_code": "APIG.0101", "error_msg": "The API does not exist or has not been published in the environment"})
    scope = f"{MEMBER}:OrgAccess@{HOME}/{MEMBER_PROJECT}"
    result = modelarts.handler({"user_id": "u-leaver"}, context(REGION=HOME, PROJECT_ID=HK, TARGETS=scope))
    row = result["targets"][0]
    assert row["status"] != "denied", row


def test_a_check_after_left_for_lack_of_time_is_not_attempted_not_failed(emulator, region_endpoints, context,
                                                                          capsys):
    """An offboarding's deletion answers, then no time is left for the listing after it. The verdict table has a
    status for exactly this (`not_attempted`: no time was left; retryable), but the item becomes `failed` with
    error_code FGR.NotAttempted and the row says `failed` ("some items failed"), the status for a failure that
    is not about time (here seen in the invocation.done log line of the asynchronous invocation)."""
    region_endpoints(REGION)
    emulator.add_project(REGION, PROJECT)
    emulator.modelarts.seed(PROJECT, "u-leaver")
    emulator.inject(DELETE, latency=1.7, times=None)
    with pytest.raises(TransientUpstreamFailure):
        modelarts.handler(eventgrid_event({"user_id": "u-leaver"}), context(
            timeout_seconds=4.5, TARGETS=f"{REGION}/{PROJECT}", HTTP_CONNECT_TIMEOUT="0.1", HTTP_READ_TIMEOUT="1.9"))
    assert [call["status"] for call in emulator.calls(DELETE)] == [200]
    done = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"invocation.done"' in line]
    assert done[-1]["summary"]["targets"] == {"not_attempted": 1}, done[-1]["summary"]

