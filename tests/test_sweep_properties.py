"""The sweep's promises, over generated (grants, principals) pairs: real handlers, real SDK, emulator.

1. A sweep never revokes a principal present in any page of a complete listing.
2. An incomplete (or refused, or unreadable) listing never revokes anything.
3. The breaker holds: a real run revokes at most SWEEP_MAX_COUNT grants and at most SWEEP_MAX_FRACTION of
   them; when the orphans exceed either, it revokes nothing; otherwise it revokes exactly the orphans that
   are neither protected nor younger than the grace.
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, Set

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FAST, PROJECT, load_function, make_context

modelarts = load_function("modelarts_delete_authorizations")
workspaceapp = load_function("workspaceapp_batch_delete_app_group_authorization")
DELETE, USERS = "modelarts.delete_authorizations", "iam.keystone_list_users"
REMOVE = "workspaceapp.batch_delete_app_group_authorization"
PROPERTY = settings(max_examples=10 if FAST else 100, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
PEOPLE = [f"u{i:02d}" for i in range(40)]
AGES = st.sampled_from([1.0, 30.0, 500.0])  # hours; the default grace is 24
LIMITS = st.fixed_dictionaries({"SWEEP_MAX_FRACTION": st.sampled_from(["0", "0.1", "0.5", "1"]),
                                "SWEEP_MAX_COUNT": st.sampled_from(["0", "1", "3", "50"])})
pairs = st.tuples(st.dictionaries(st.sampled_from(PEOPLE), AGES, max_size=25),  # grants: holder -> age
                  st.frozensets(st.sampled_from(PEOPLE), max_size=40))  # who exists


def sweep_modelarts(emulator: Any, grants: Dict[str, float], existing: FrozenSet[str], protected: Set[str],
                    limits: Dict[str, str]) -> Dict[str, Any]:
    emulator.reset()
    for user_id in existing:
        emulator.iam.seed_user(None, user_id, f"name-{user_id}")
    for user_id, age in grants.items():
        emulator.modelarts.seed(PROJECT, user_id, age_hours=age)
    context = make_context(PROTECTED_USER_IDS=",".join(sorted(protected)), **limits)
    result: Dict[str, Any] = modelarts.handler({"sweep": {}}, context)
    return result


def listed_users(emulator: Any) -> Set[str]:
    return {user["id"] for call in emulator.calls(USERS) for user in (call["response"] or {}).get("users", [])}


@PROPERTY
@given(pair=pairs, protected=st.sets(st.sampled_from(PEOPLE), max_size=5), limits=LIMITS)
def test_the_sweep_never_revokes_a_listed_principal_and_the_breaker_holds(emulator, pair, protected, limits):
    grants, existing = pair
    result = sweep_modelarts(emulator, grants, existing, protected, limits)
    revoked = {call["query"]["user_id"] for call in emulator.calls(DELETE)}
    assert not revoked & listed_users(emulator), "revoked a user the IAM listing shows"
    assert not revoked & existing
    orphans = {user for user, age in grants.items() if user not in existing and user not in protected and age > 24}
    fraction, count = float(limits["SWEEP_MAX_FRACTION"]), int(limits["SWEEP_MAX_COUNT"])
    assert len(revoked) <= count and len(revoked) <= fraction * len(grants)
    if len(orphans) > count or len(orphans) > fraction * len(grants):
        assert not revoked and result["sweep"]["status"] == "breaker_tripped"
        assert {item["user_id"] for item in result["items"] if item.get("error_code") == "FGR.SweepBreakerTripped"} \
            == orphans
    else:
        assert revoked == orphans and result["sweep"]["status"] == "done"


SPOILED = st.sampled_from([
    {"reading": "next_link"},
    {"status": 500},
    {"status": 403, "body": {"error_code": "IAM.0002", "error_msg": "no permission"}},
    {"status": 200, "body": {"users": []}},
    {"status": 200, "raw_body": b"<html>maintenance</html>"},
])


@PROPERTY
@given(pair=pairs, spoil=SPOILED)
def test_an_incomplete_users_listing_never_revokes_anything(emulator, pair, spoil):
    grants, existing = pair
    emulator.reset()
    for user_id in {*existing, "someone-else"}:  # one at least: the next_link reading withholds the last user
        emulator.iam.seed_user(None, user_id, f"name-{user_id}")
    for user_id, age in grants.items():
        emulator.modelarts.seed(PROJECT, user_id, age_hours=age)
    if "reading" in spoil:
        emulator.iam.reading["users"] = spoil["reading"]
    else:
        emulator.inject(USERS, times=None, **spoil)
    result = modelarts.handler({"sweep": {}}, make_context(SWEEP_MAX_FRACTION="1", MAX_ATTEMPTS="1"))
    assert not emulator.calls(DELETE)
    assert sorted(emulator.modelarts.user_ids(PROJECT)) == sorted(grants)
    if emulator.calls(USERS):  # asked only when some grant needs it
        assert result["sweep"]["status"] == "failed" and result["items"][0]["listing"] == "IAM KeystoneListUsers"


# -- Workspace App: several ListUsers pages --------------------------------------------------------

@PROPERTY
@given(users=st.integers(0, 230), granted=st.sets(st.integers(0, 260), max_size=30), limits=LIMITS,
       short_page=st.booleans())
def test_workspaceapp_never_removes_a_user_of_any_page_and_a_short_listing_removes_nothing(
        emulator, users, granted, limits, short_page):
    emulator.reset()
    names = [f"user{i:03d}" for i in range(users)]
    for name in names:
        emulator.workspace.seed_user(PROJECT, name)
    emulator.workspaceapp.seed_group(PROJECT, "g", "g-1")
    for index in granted:
        emulator.workspaceapp.grant(PROJECT, "g-1", f"user{index:03d}", age_hours=48)
    if short_page:  # a page that lacks what the total promises
        emulator.inject("workspace.list_users", status=200, body={"users": [], "total_count": max(users, 1)},
                        times=None)
    result = workspaceapp.handler({"sweep": {}}, make_context(**limits))
    removed = {account["account"] for call in emulator.calls(REMOVE) for account in call["body"]["accounts"]}
    assert not removed & set(names), "removed a Workspace user that a page of the listing holds"
    orphans = {f"user{index:03d}" for index in granted if index >= users}
    if short_page and orphans:
        assert not removed and result["sweep"]["status"] == "failed"
        return
    fraction, count = float(limits["SWEEP_MAX_FRACTION"]), int(limits["SWEEP_MAX_COUNT"])
    tripped = len(orphans) > count or len(orphans) > fraction * len(granted)
    assert removed == (set() if tripped else orphans)
