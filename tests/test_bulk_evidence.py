"""Bulk Workspace App evidence at the minimum cost (issue 18): when the groups' authorizations cost fewer
listing pages than one listing per person, the handler reads them by group (ListAppGroupAuthorization with
``app_group_id``)."""

from __future__ import annotations

import math

from conftest import PROJECT, load_function

fn = load_function("workspaceapp_batch_delete_app_group_authorization")
LIST, DELETE = "workspaceapp.list_app_group_authorization", "workspaceapp.batch_delete_app_group_authorization"


def seed(emulator, group_count, names, bystanders=()):
    group_ids = [emulator.workspaceapp.seed_group(PROJECT, f"g{i}", f"g{i:03d}") for i in range(group_count)]
    for group in group_ids:
        for name in list(names) + list(bystanders):
            emulator.workspaceapp.grant(PROJECT, group, name)
    return group_ids


def test_many_people_few_groups_are_read_by_group(emulator, context):
    names = [f"leaver{i:03d}" for i in range(150)]
    group_ids = seed(emulator, 3, names)
    result = fn.handler({"app_group_ids": group_ids, "accounts": names}, context())
    assert result["summary"] == {"deleted": 450} and emulator.workspaceapp.pairs(PROJECT) == set()
    listed = emulator.calls(LIST)
    assert {call["query"].get("app_group_id") for call in listed} == set(group_ids)
    assert not [call for call in listed if "account" in call["query"]]
    removals = math.ceil(3 / 10) * math.ceil(150 / 50)
    cheaper = min(150, 3 * math.ceil(150 / 100))
    assert len(emulator.calls()) <= 1.2 * (removals + cheaper)


def test_people_in_crowded_groups_are_read_one_by_one(emulator, context):
    """Each group also holds 2,000 others: 20 pages a group, more than one page for each of the 30 people."""
    names = [f"leaver{i:03d}" for i in range(30)]
    group_ids = seed(emulator, 2, names, bystanders=[f"stays{i:04d}" for i in range(2000)])
    result = fn.handler({"app_group_ids": group_ids, "accounts": names}, context())
    assert result["summary"] == {"deleted": 60}
    listed = emulator.calls(LIST)
    assert len([call for call in listed if "account" in call["query"]]) == 30
    assert len([call for call in listed if "app_group_id" in call["query"]]) == 2, "only the first pages, to count"


def test_a_group_whose_listing_fails_fails_its_pairs_alone(emulator, context):
    names = [f"leaver{i:03d}" for i in range(20)]
    group_ids = seed(emulator, 2, names)
    emulator.inject(LIST, status=500, times=None, when=lambda request: request.arg("app_group_id") == group_ids[1])
    result = fn.handler({"app_group_ids": group_ids, "accounts": names}, context(MAX_ATTEMPTS="1"))
    outcomes = {(item["app_group_id"], item["outcome"]) for item in result["items"]}
    assert outcomes == {(group_ids[0], "deleted"), (group_ids[1], "failed")}
    assert all(item["retryable"] for item in result["items"] if item["outcome"] == "failed")
    assert emulator.workspaceapp.pairs(PROJECT) == {(group_ids[1], name) for name in names}


def test_a_group_listing_that_moves_is_read_again(emulator, context):
    names = [f"leaver{i:03d}" for i in range(150)]
    group_ids = seed(emulator, 1, names, bystanders=["b1", "b2"])
    done = []

    def another_revocation(request):
        if not done and request.arg("offset") == "0":
            done.append(True)
            emulator.workspaceapp.revoke(PROJECT, group_ids[0], "b1")

    emulator.inject(LIST, times=None, then=another_revocation)
    result = fn.handler({"app_group_ids": group_ids, "accounts": names}, context())
    assert result["summary"] == {"deleted": 150} and emulator.workspaceapp.pairs(PROJECT) == {(group_ids[0], "b2")}
    assert [call["query"]["offset"] for call in emulator.calls(LIST)].count("0") == 2
