"""The clean-up sweep ({"sweep": {...}}), one example per rule: real handlers, real SDK, real HTTP, emulator.

ModelArts judges authorizations against IAM KeystoneListUsers; Workspace App judges USER accounts against
Workspace ListUsers and USER_GROUP ids against Workspace ListUserGroups.
"""

from __future__ import annotations

import json

import pytest

from conftest import PROJECT, load_function
from fgrevoke.testkit import apig_body, apig_event, log_lines, timer_event
from shared.errors import InvalidRequest, TransientUpstreamFailure

modelarts = load_function("modelarts_delete_authorizations")
workspaceapp = load_function("workspaceapp_batch_delete_app_group_authorization")
DELETE, GRANTS, USERS = "modelarts.delete_authorizations", "modelarts.get_authorizations", "iam.keystone_list_users"
REMOVE, APP_GRANTS = "workspaceapp.batch_delete_app_group_authorization", "workspaceapp.list_app_group_authorization"
OLD = 48.0  # hours: past the default grace of 24


def people(emulator, existing, orphans, age=OLD):
    """IAM users ``existing``; ModelArts grants for them and for ``orphans`` (not IAM users)."""
    for user_id in existing:
        emulator.iam.seed_user(None, user_id, f"name-{user_id}")
    for user_id in (*existing, *orphans):
        emulator.modelarts.seed(PROJECT, user_id, age_hours=age)


def items(result):
    return {item.get("user_id", item.get("user_name")): item for item in result["items"]}


def deleted_users(emulator):
    return sorted(call["query"]["user_id"] for call in emulator.calls(DELETE))


def lenient(**settings):
    """Breaker limits that let a small example through."""
    return {"SWEEP_MAX_FRACTION": "1", **settings}


# -- ModelArts -----------------------------------------------------------------------------------------

def test_orphans_are_revoked_and_each_names_the_listing_that_decided(emulator, context):
    people(emulator, [f"u-{i}" for i in range(18)], ["u-gone-1", "u-gone-2"])
    result = modelarts.handler({"sweep": {}}, context())
    assert deleted_users(emulator) == ["u-gone-1", "u-gone-2"]
    assert {user: item["outcome"] for user, item in items(result).items()} == \
        {"u-gone-1": "deleted", "u-gone-2": "deleted"}
    assert {item["decided_by"] for item in result["items"]} == {"IAM KeystoneListUsers"}
    assert result["sweep"]["status"] == "done" and result["sweep"]["grants"] == 20
    assert result["sweep"]["held_by_existing"] == 18
    assert sorted(emulator.modelarts.user_ids(PROJECT)) == sorted(f"u-{i}" for i in range(18))


def test_the_users_listing_is_read_after_the_grants_listing(emulator, context):
    """A person created (and authorized) while the sweep runs is seen: IAM is read after GetAuthorizations."""
    people(emulator, [f"u-{i}" for i in range(9)], ["u-new"])

    def created_meanwhile(entry):
        if entry["route"] == GRANTS:
            emulator.iam.seed_user(None, "u-new", "new-person")

    emulator.listeners.append(created_meanwhile)
    try:
        result = modelarts.handler({"sweep": {}}, context())
    finally:
        emulator.listeners.remove(created_meanwhile)
    assert [call["route"] for call in emulator.calls()] == [GRANTS, USERS]
    assert result["status"] == "nothing_to_do" and not emulator.calls(DELETE)


def test_a_dry_run_reports_would_delete_and_sends_nothing(emulator, context):
    people(emulator, [f"u-{i}" for i in range(9)], ["u-gone"])
    result = modelarts.handler({"sweep": {}, "dry_run": True}, context())
    assert items(result)["u-gone"] == {"user_id": "u-gone", "outcome": "would_delete", "region": "cn-north-4",
                                       "project_id": PROJECT, "decided_by": "IAM KeystoneListUsers"}
    assert result["dry_run"] and not emulator.calls(DELETE)


def test_entries_without_an_iam_user_id_are_never_swept_and_say_why(emulator, context):
    people(emulator, [f"u-{i}" for i in range(9)], [])
    emulator.modelarts.seed_federated(PROJECT, "fed-user")
    emulator.modelarts.seed_all_users(PROJECT, age_hours=OLD)
    emulator.modelarts.seed(PROJECT, "agency-x", user_type="grant", age_hours=OLD)
    result = modelarts.handler({"sweep": {}}, context())
    skipped = items(result)
    assert {key: item["outcome"] for key, item in skipped.items()} == \
        {"fed-user": "skipped", "all-users": "skipped", "agency-x": "skipped"}
    assert "federated" in skipped["fed-user"]["reason"] and "all-users" in skipped["all-users"]["reason"]
    assert "user_type 'grant'" in skipped["agency-x"]["reason"]
    assert not emulator.calls(DELETE)


def test_a_protected_orphan_is_spared(emulator, context):
    people(emulator, [f"u-{i}" for i in range(18)], ["u-gone", "u-admin-gone"])
    result = modelarts.handler({"sweep": {}}, context(PROTECTED_USER_IDS="U-ADMIN-GONE"))
    assert deleted_users(emulator) == ["u-gone"]
    assert items(result)["u-admin-gone"]["outcome"] == "skipped_protected"
    assert items(result)["u-admin-gone"]["decided_by"] == "IAM KeystoneListUsers"


def test_grace_spares_young_grants_and_a_request_may_lengthen_it_never_shorten_it(emulator, context):
    people(emulator, [f"u-{i}" for i in range(18)], ["u-young"], age=2)
    people(emulator, [], ["u-old"], age=30)
    result = modelarts.handler({"sweep": {"min_age_hours": 1}}, context())
    assert deleted_users(emulator) == ["u-old"]
    assert items(result)["u-young"]["outcome"] == "skipped"
    assert "SWEEP_MIN_AGE_HOURS=24" in items(result)["u-young"]["reason"]
    assert any("only make the sweep stricter" in note for note in result["notes"])
    emulator.journal.clear()
    people(emulator, [], ["u-30h"], age=30)
    result = modelarts.handler({"sweep": {"min_age_hours": 36}}, context())
    assert not emulator.calls(DELETE) and items(result)["u-30h"]["outcome"] == "skipped"


def test_a_grant_of_unknown_age_is_not_swept(emulator, context):
    people(emulator, [f"u-{i}" for i in range(9)], ["u-gone"])
    del emulator.modelarts.authorizations[PROJECT]["u-gone"]["create_time"]
    result = modelarts.handler({"sweep": {}}, context())
    assert not emulator.calls(DELETE)
    assert "its age cannot be told" in items(result)["u-gone"]["reason"]


@pytest.mark.parametrize("settings, request_limits, why", [
    ({}, {}, "SWEEP_MAX_FRACTION=0.1 of 10 grants (1)"),  # 2 of 10 > 10 %
    ({"SWEEP_MAX_FRACTION": "1", "SWEEP_MAX_COUNT": "1"}, {}, "SWEEP_MAX_COUNT=1"),
    ({"SWEEP_MAX_FRACTION": "1"}, {"max_count": 1}, "SWEEP_MAX_COUNT=1"),  # a request lowers the limit
])
def test_the_breaker_revokes_nothing_and_lists_what_it_would_have_revoked(emulator, context, settings,
                                                                          request_limits, why):
    people(emulator, [f"u-{i}" for i in range(8)], ["u-gone-1", "u-gone-2"])
    result = modelarts.handler({"sweep": request_limits}, context(**settings))
    assert not emulator.calls(DELETE)
    assert result["sweep"]["status"] == "breaker_tripped" and why in result["sweep"]["reason"]
    assert {user: (item["outcome"], item["error_code"], item["retryable"], item["decided_by"])
            for user, item in items(result).items()} == \
        {user: ("failed", "FGR.SweepBreakerTripped", True, "IAM KeystoneListUsers")
         for user in ("u-gone-1", "u-gone-2")}


def test_a_request_cannot_raise_the_breaker_limits(emulator, context):
    people(emulator, [f"u-{i}" for i in range(8)], ["u-gone-1", "u-gone-2"])
    result = modelarts.handler({"sweep": {"max_fraction": 1, "max_count": 1000}}, context())
    assert result["sweep"]["status"] == "breaker_tripped" and not emulator.calls(DELETE)
    assert result["sweep"]["limits"] == {"max_fraction": 0.1, "max_count": 50, "min_age_hours": 24.0}


def test_a_scheduled_sweep_that_trips_the_breaker_raises_so_a_person_is_told(emulator, context, capsys):
    people(emulator, [f"u-{i}" for i in range(2)], ["u-gone-1", "u-gone-2"])
    with pytest.raises(TransientUpstreamFailure) as raised:
        modelarts.handler(timer_event({"sweep": {}}, name="fgrevoke-daily-sweep"), context())
    assert "FGR.SweepBreakerTripped" in str(raised.value) and not emulator.calls(DELETE)
    audit = [line for line in log_lines(capsys.readouterr().out) if line["event"] == "revocation"]
    assert audit and audit[0]["error_code"] == "FGR.SweepBreakerTripped"


@pytest.mark.parametrize("spoil", [
    {"reading": "next_link"},  # links.next is set: one page of more
    {"status": 403, "body": {"error_code": "IAM.0002", "error_msg": "forbidden"}},
    {"status": 200, "body": {"users": []}},  # no links: nothing shows the answer is whole
    {"status": 200, "body": {"links": {"next": None}, "users": [{"name": "no id"}]}},
])
def test_any_doubt_about_the_users_listing_revokes_nothing(emulator, context, spoil):
    people(emulator, ["u-1", "u-2", "u-3"], ["u-gone"])
    if "reading" in spoil:
        emulator.iam.reading["users"] = spoil["reading"]
    else:
        emulator.inject(USERS, times=None, **spoil)
    result = modelarts.handler({"sweep": {}}, context(**lenient()))
    assert not emulator.calls(DELETE)
    assert result["sweep"]["status"] == "failed"
    [item] = result["items"]
    assert item["listing"] == "IAM KeystoneListUsers" and item["outcome"] == "failed" and item["retryable"]


def test_an_unreadable_grants_listing_revokes_nothing(emulator, context):
    people(emulator, ["u-1"], ["u-gone"])
    emulator.inject(GRANTS, status=500, times=None)
    result = modelarts.handler({"sweep": {}}, context(**lenient()))
    assert not emulator.calls(DELETE) and not emulator.calls(USERS)
    assert result["items"][0]["listing"] == "ModelArts GetAuthorizations"


def test_a_failed_deletion_is_reconciled_against_a_fresh_listing(emulator, context):
    people(emulator, [f"u-{i}" for i in range(9)], ["u-gone"])
    emulator.inject(DELETE, drop=True, serve_first=True, times=None)
    result = modelarts.handler({"sweep": {}}, context(MAX_ATTEMPTS="1"))
    assert items(result)["u-gone"]["outcome"] == "deleted"
    assert "no access remains" in items(result)["u-gone"]["reason"]


def test_the_sweep_over_apig_answers_like_any_request(emulator, context):
    people(emulator, [f"u-{i}" for i in range(9)], ["u-gone"])
    response = modelarts.handler(apig_event("POST", {"sweep": {}}), context())
    assert response["statusCode"] == 200 and apig_body(response)["summary"] == {"deleted": 1}


@pytest.mark.parametrize("request_body, field", [
    ({"sweep": 5}, "sweep"),
    ({"sweep": {"max_count": -1}}, "sweep.max_count"),
    ({"sweep": {"max_fraction": 1.5}}, "sweep.max_fraction"),
    ({"sweep": {"min_age_hours": "soon"}}, "sweep.min_age_hours"),
    ({"sweep": {"everyone": True}}, "sweep.everyone"),
    ({"sweep": {}, "user_id": "u-1"}, "user_id"),
])
def test_a_malformed_sweep_request_is_refused_before_any_call(emulator, context, request_body, field):
    result = modelarts.handler(request_body, context())
    assert result["error_code"] == "FGR.InvalidRequest" and result["field"] == field
    assert not emulator.calls()
    with pytest.raises(InvalidRequest):
        modelarts.validate_request(request_body)


def test_validate_accepts_a_sweep_request():
    modelarts.validate_request({"sweep": {"max_count": 5}, "dry_run": True})
    workspaceapp.validate_request({"sweep": {}})


# -- Workspace App ------------------------------------------------------------------------------------

def workspace_people(emulator, users, groups, orphans=(), orphan_groups=(), app_groups=("g-1", "g-2"), age=OLD):
    """Workspace users and user groups; each is authorized in every application group, orphans too."""
    app, desk = emulator.workspaceapp, emulator.workspace
    for group in app_groups:
        app.seed_group(PROJECT, group, group)
    ids = {name: desk.seed_user_group(PROJECT, name) for name in groups}
    ids.update({name: f"gone-{name}" for name in orphan_groups})
    for user in users:
        desk.seed_user(PROJECT, user)
    for group in app_groups:
        for user in (*users, *orphans):
            app.grant(PROJECT, group, user, age_hours=age)
        for name, group_id in ids.items():
            app.grant(PROJECT, group, name, "USER_GROUP", account_id=group_id, age_hours=age)


def pairs(result):
    return {(item["app_group_id"], item["account"]): item for item in result["items"]}


def test_workspaceapp_removes_gone_users_and_gone_groups_saying_which_listing_decided(emulator, context):
    users = [f"user{i:03d}" for i in range(150)]  # more than one ListUsers page
    workspace_people(emulator, users, ["finance"], orphans=["leaver"], orphan_groups=["disbanded"])
    result = workspaceapp.handler({"sweep": {}}, context())
    assert {key: (item["outcome"], item["decided_by"]) for key, item in pairs(result).items()} == {
        ("g-1", "leaver"): ("deleted", "Workspace ListUsers"), ("g-2", "leaver"): ("deleted", "Workspace ListUsers"),
        ("g-1", "disbanded"): ("deleted", "Workspace ListUserGroups"),
        ("g-2", "disbanded"): ("deleted", "Workspace ListUserGroups")}
    [removal] = emulator.calls(REMOVE)
    assert sorted(removal["body"]["app_group_ids"]) == ["g-1", "g-2"]
    assert {(a["account"], a.get("id")) for a in removal["body"]["accounts"]} == \
        {("leaver", None), ("disbanded", "gone-disbanded")}
    assert len(emulator.calls("workspace.list_users")) >= 2
    remaining = emulator.workspaceapp.pairs(PROJECT)
    assert ("g-1", "user149") in remaining and ("g-1", "finance") in remaining and len(remaining) == 2 * 151


def test_workspaceapp_skips_what_it_cannot_judge(emulator, context):
    workspace_people(emulator, [f"u{i}" for i in range(9)], [])
    app = emulator.workspaceapp
    app.grant(PROJECT, "g-1", "nameless-group", "USER_GROUP", age_hours=OLD)
    app.grant(PROJECT, "g-1", "one-app", age_hours=OLD)
    entries = {entry["account"]: entry for entry in app.authorizations[PROJECT].values()}
    entries["nameless-group"]["account_id"] = ""
    entries["one-app"]["authorization_type"] = "APP"
    result = workspaceapp.handler({"sweep": {}}, context())
    reasons = {key[1]: item["reason"] for key, item in pairs(result).items()}
    assert "without account_id" in reasons["nameless-group"] and "authorization_type 'APP'" in reasons["one-app"]
    assert not emulator.calls(REMOVE)


def test_workspaceapp_protected_accounts_and_the_breaker(emulator, context):
    workspace_people(emulator, [f"u{i}" for i in range(3)], [], orphans=["boss", "a", "b"])
    result = workspaceapp.handler({"sweep": {}}, context(PROTECTED_ACCOUNTS="BOSS"))
    assert result["sweep"]["status"] == "breaker_tripped" and not emulator.calls(REMOVE)
    assert {key: item["outcome"] for key, item in pairs(result).items()} == {
        **{(group, "boss"): "skipped_protected" for group in ("g-1", "g-2")},
        **{(group, name): "failed" for group in ("g-1", "g-2") for name in ("a", "b")}}


def test_workspaceapp_a_user_listing_that_fails_revokes_nothing(emulator, context):
    workspace_people(emulator, ["u1"], [], orphans=["leaver"])
    emulator.inject("workspace.list_users", status=200, body={"users": [], "total_count": 5}, times=None)
    result = workspaceapp.handler({"sweep": {}}, context(**lenient()))
    assert not emulator.calls(REMOVE)
    assert result["items"][0]["listing"] == "Workspace ListUsers" and result["sweep"]["status"] == "failed"


def test_workspaceapp_dry_run(emulator, context):
    workspace_people(emulator, [f"u{i}" for i in range(9)], [], orphans=["leaver"], app_groups=("g-1",))
    result = workspaceapp.handler({"sweep": {}}, context(DRY_RUN="true"))
    assert json.loads(json.dumps(result["items"])) == [
        {"app_group_id": "g-1", "account": "leaver", "account_type": "USER", "region": "cn-north-4",
         "project_id": PROJECT, "outcome": "would_delete", "decided_by": "Workspace ListUsers"}]
    assert not emulator.calls(REMOVE)


def test_listings_are_read_as_json_without_the_sdks_model_objects(emulator, context):
    """clients.unparsed: the same request and the same JSON as the plain SDK call, no model objects built."""
    from shared import clients, credentials
    from shared.settings import Settings, SettingsSource

    people(emulator, ["u-1", "u-2"], ["u-gone"])
    ctx = context()
    source = SettingsSource(ctx)
    client = clients.client_for(clients.MODELARTS, Settings.load(source), credentials.resolve(ctx, source))
    request = clients.MODELARTS.sdk().GetAuthorizationsRequest(limit=2, offset=0)
    plain, raw = client.get_authorizations(request), clients.unparsed(client, "get_authorizations", request)
    assert raw.to_json_object() == plain.to_json_object() and raw.status_code == plain.status_code == 200
    assert not hasattr(raw, "auth")
    first, second = emulator.calls(GRANTS)
    assert first["query"] == second["query"] == {"limit": "2", "offset": "0"}


@pytest.mark.parametrize("value, seconds", [
    (1_700_000_000_000, 1_700_000_000.0),  # ModelArts create_time: milliseconds
    (1_700_000_000, 1_700_000_000.0),
    ("2023-11-14T22:13:20.000Z", 1_700_000_000.0),  # Workspace App create_at
    ("2023-11-15 06:13:20+08:00", 1_700_000_000.0),
    (None, None), ("yesterday", None), (float("nan"), None), (True, None),
])
def test_a_grants_age_is_read_from_either_services_time_field(value, seconds):
    from shared.timestamps import epoch_seconds

    assert epoch_seconds(value) == seconds


def test_workspaceapp_a_removal_that_answers_200_but_removes_nothing_is_failed(emulator, context):
    """The service answers 200 whatever it did: the sweep lists again, and a pair still there is not deleted."""
    workspace_people(emulator, [f"u{i}" for i in range(9)], [], orphans=["leaver"], app_groups=("g-1",))
    emulator.inject(REMOVE, status=200, body={}, times=None)  # answered, not served
    result = workspaceapp.handler({"sweep": {}}, context())
    [item] = result["items"]
    assert (item["outcome"], item["error_code"], item["retryable"]) == ("failed", "FGR.StillAuthorized", True)
    assert len(emulator.calls(APP_GRANTS)) == 2  # before, and after the removal
