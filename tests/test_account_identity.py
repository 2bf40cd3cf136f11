"""Who a Workspace App account is (issue 18, class 6): a user's domain and a user group's id are part of it.

Two users of one name in two domains, or two user groups named alike with different ids, are two targets;
neither is dropped as a duplicate and reported ``already_absent``. A ``domain`` beside ``users`` applies to
each person who names none. Run with the emulator's ``domain`` reading ``matched`` (a named domain removes
only that domain's entry), the reading under which a wrong identity shows.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FAST, PROJECT, load_function, make_context

fn = load_function("workspaceapp_batch_delete_app_group_authorization")
DELETE = "workspaceapp.batch_delete_app_group_authorization"
GROUPS = ("g001", "g002")


@pytest.fixture(autouse=True)
def matched_domains(emulator):
    emulator.workspaceapp.reading["domain"] = "matched"


def seed_groups(emulator):
    for group in GROUPS:
        emulator.workspaceapp.seed_group(PROJECT, group, group)


def remaining(emulator) -> List[Tuple[str, str, str, str, str]]:
    """(group, account, type, domain, user group id) of every authorization the service holds."""
    return sorted((e["app_group_id"], e["account"], e["account_type"], e["domain"],
                   e["account_id"] if e["account_type"] == "USER_GROUP" else "")
                  for e in emulator.workspaceapp.authorizations.get(PROJECT, {}).values())


def covers(account: Dict[str, Any], entry: Tuple[str, str, str, str, str]) -> bool:
    """Does removing ``account`` take ``entry`` away (the emulator's ``matched`` reading)?"""
    _group, name, kind, domain, group_id = entry
    if kind != account["account_type"]:
        return False
    if kind == "USER_GROUP":
        return group_id == account["id"]
    wanted = account.get("domain")
    return name == account["account"] and not (wanted and domain and wanted.casefold() != domain.casefold())


# -- the examples --------------------------------------------------------------------------
def test_one_name_in_two_domains_is_two_targets(emulator, context):
    seed_groups(emulator)
    emulator.workspaceapp.grant(PROJECT, "g001", "alice", domain="corp.example")
    emulator.workspaceapp.grant(PROJECT, "g001", "alice", domain="other.example")
    result = fn.handler({"app_group_ids": ["g001"], "accounts": [
        {"account": "alice", "account_type": "USER", "domain": "corp.example"},
        {"account": "alice", "account_type": "USER", "domain": "other.example"}]}, context())
    assert sorted((item["domain"], item["outcome"]) for item in result["items"]) == [
        ("corp.example", "deleted"), ("other.example", "deleted")]
    assert remaining(emulator) == []


def test_two_user_groups_named_alike_are_two_targets(emulator, context):
    seed_groups(emulator)
    emulator.workspaceapp.grant(PROJECT, "g001", "ops", account_type="USER_GROUP", account_id="grp-1")
    emulator.workspaceapp.grant(PROJECT, "g001", "ops", account_type="USER_GROUP", account_id="grp-2")
    result = fn.handler({"app_group_ids": ["g001"], "accounts": [
        {"account": "ops", "account_type": "USER_GROUP", "id": "grp-1"},
        {"account": "ops", "account_type": "USER_GROUP", "id": "grp-2"}]}, context())
    assert sorted((item["id"], item["outcome"]) for item in result["items"]) == [("grp-1", "deleted"),
                                                                                ("grp-2", "deleted")]
    assert remaining(emulator) == []


def test_a_domain_beside_users_applies_to_them(emulator, context):
    seed_groups(emulator)
    emulator.workspaceapp.grant(PROJECT, "g001", "alice", domain="corp.example")
    emulator.workspaceapp.grant(PROJECT, "g002", "alice", domain="other.example")
    emulator.workspaceapp.grant(PROJECT, "g001", "bob", domain="lab.example")
    result = fn.handler({"app_group_ids": ["g001", "g002"], "domain": "corp.example",
                         "users": [{"user_name": "alice"}, {"user_name": "bob", "domain": "lab.example"}]}, context())
    sent = [account for call in emulator.calls(DELETE) for account in call["body"]["accounts"]]
    assert sorted((a["account"], a["domain"]) for a in sent) == [("alice", "corp.example"), ("bob", "lab.example")]
    assert {(item["account"], item["domain"], item["outcome"]) for item in result["items"]} == {
        ("alice", "corp.example", "deleted"), ("alice", "corp.example", "already_absent"),
        ("bob", "lab.example", "deleted"), ("bob", "lab.example", "already_absent")}
    assert remaining(emulator) == [("g002", "alice", "USER", "other.example", "")]


@pytest.mark.parametrize("reading", ["matched", "ignored"])
def test_a_namesake_of_another_domain_in_the_group_stops_the_removal(emulator, context, reading):
    """Whether a removal that names a domain leaves a namesake of another domain in place is not documented: where
    the group also holds one that the request does not remove, nothing is sent for that pair."""
    emulator.workspaceapp.reading["domain"] = reading
    seed_groups(emulator)
    emulator.workspaceapp.grant(PROJECT, "g001", "alice", domain="corp.example")
    emulator.workspaceapp.grant(PROJECT, "g001", "alice", domain="other.example")
    emulator.workspaceapp.grant(PROJECT, "g002", "alice", domain="corp.example")
    result = fn.handler({"app_group_ids": ["g001", "g002"], "user_name": "alice", "domain": "corp.example"},
                        context())
    outcomes = {item["app_group_id"]: (item["outcome"], item.get("error_code")) for item in result["items"]}
    assert outcomes == {"g001": ("failed", "FGR.NamesakeInAnotherDomain"), "g002": ("deleted", None)}
    assert [call["body"]["app_group_ids"] for call in emulator.calls(DELETE)] == [["g002"]]
    assert remaining(emulator) == [("g001", "alice", "USER", "corp.example", ""),
                                   ("g001", "alice", "USER", "other.example", "")]


def test_a_domain_beside_accounts_is_refused(emulator, context):
    result = fn.handler({"app_group_ids": ["g001"], "domain": "corp.example", "accounts": ["alice"]}, context())
    assert result["error_code"] == "FGR.InvalidRequest" and result["field"] == "domain"
    assert emulator.calls() == []


# -- the property --------------------------------------------------------------------------------
NAMES = st.sampled_from(["alice", "Alice", "ops"])
DOMAINS = st.sampled_from([None, "corp.example", "CORP.example", "other.example"])
USER = st.builds(lambda name, domain: {"account": name, "account_type": "USER",
                                       **({"domain": domain} if domain else {})}, NAMES, DOMAINS)
USER_GROUP = st.builds(lambda name, group_id: {"account": name, "account_type": "USER_GROUP", "id": group_id},
                       NAMES, st.sampled_from(["grp-1", "grp-2"]))
ACCOUNT = st.one_of(USER, USER_GROUP)
ENTRY = st.tuples(st.sampled_from(GROUPS), NAMES, st.sampled_from(["USER", "USER_GROUP"]),
                  st.sampled_from(["", "corp.example", "other.example"]), st.sampled_from(["grp-1", "grp-2"]))


def identity(account: Dict[str, Any]) -> Tuple[str, ...]:
    """A user: its name in its domain (any case); a user group: its id."""
    if account["account_type"] == "USER_GROUP":
        return "USER_GROUP", account["id"]
    return "USER", account["account"], (account.get("domain") or "").casefold()


@settings(max_examples=10 if FAST else 150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(accounts=st.lists(ACCOUNT, min_size=1, max_size=6), held=st.lists(ENTRY, max_size=10),
       discover=st.booleans())
def test_every_identity_is_its_own_target_and_none_is_left_behind(emulator, accounts, held, discover):
    emulator.reset()
    emulator.workspaceapp.reading["domain"] = "matched"
    seed_groups(emulator)
    for group, name, kind, domain, group_id in held:
        emulator.workspaceapp.grant(PROJECT, group, name, account_type=kind, domain=domain,
                                    account_id=group_id if kind == "USER_GROUP" else None)
    before = remaining(emulator)
    request: Dict[str, Any] = {"accounts": accounts}
    if not discover:
        request["app_group_ids"] = list(GROUPS)
    result = fn.handler(request, make_context(APP_GROUP_IDS="*"))
    identities = {identity(account) for account in accounts}

    def asked(item: Dict[str, Any]) -> Tuple[str, ...]:
        """A name asked without a domain, held in several: an item per domain (each its own restore)."""
        own = identity(item)
        plain = ("USER", item["account"], "")
        return plain if own not in identities and item["account_type"] == "USER" and plain in identities else own

    reported = {asked(item) for item in result["items"]}
    assert reported == identities, "an identity asked for was dropped, or one was made up"
    after = remaining(emulator)
    for account in accounts:
        mine = [item for item in result["items"] if asked(item) == identity(account)]
        stopped = set()
        for item in mine:
            group = item["app_group_id"]
            held_here = [entry for entry in before if (discover or entry[0] == group) and covers(account, entry)]
            if item["outcome"] == "already_absent":
                assert not held_here, f"{item} reported absent while the service held {held_here}"
            if item.get("error_code") == "FGR.NamesakeInAnotherDomain":  # a namesake the request leaves there
                assert [entry for entry in before if entry[0] == group and entry[2] == "USER"
                        and entry[1] == account["account"] and entry[3] and not covers(account, entry)
                        and not any(covers(other, entry) for other in accounts)], item
                stopped.add(group)
                continue
            assert item["outcome"] in ("deleted", "already_absent"), item
        assert not [entry for entry in after if covers(account, entry) and entry[0] not in stopped], \
            f"{account} still holds access"
