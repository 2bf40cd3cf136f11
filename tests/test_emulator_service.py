"""An emulated service as its author writes one: a subclass of EmulatedService, nothing else to list."""

from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest
import requests

from fgrevoke.emulator import Emulator, service
from fgrevoke.emulator.service import EmulatedService, Reply, Request, Route, ServiceError

PROJECT = "p1"


@pytest.fixture
def emulated(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    # A copy of the full registry (discover() imports the package first): the toy stays out of later emulators.
    monkeypatch.setattr(service, "_REGISTRY", service.discover())

    class Toy(EmulatedService):
        name = "toy"
        routes = (Route("GET", "/v1/{project_id}/things", "toy.list_things", "toy:thing:list", "list"),
                  Route("DELETE", "/v1/{project_id}/things/{thing_id}", "toy.delete_thing", "toy:thing:delete",
                        "delete"))
        state = ("things",)
        things: Dict[str, Dict[str, int]]
        readings = {"offset": ("item", "page")}
        bad_request_code = "TOY.0001"

        def list(self, request: Request) -> Reply:
            window = self.page(request, default_limit=2, max_limit=3, max_offset=5)
            return Reply(200, {"things": sorted(self.things.get(request.project_id, {}))[window]})

        def delete(self, request: Request) -> Reply:
            if self.things.get(request.project_id, {}).pop(request.path.rsplit("/", 1)[1], None) is None:
                raise ServiceError(404, "TOY.0404", "no such thing")
            return Reply(204)

    with Emulator(check_signatures=False) as emulator:
        yield emulator


def call(emulator: Emulator, method: str, path: str, **query: Any) -> requests.Response:
    return requests.request(method, f"{emulator.endpoint}/v1/{PROJECT}{path}", params=query, timeout=5)


def test_a_subclass_is_served_by_its_name_with_its_actions(emulated: Emulator) -> None:
    emulated.toy.things[PROJECT] = {"a": 1, "b": 2, "c": 3}
    assert call(emulated, "GET", "/things").json() == {"things": ["a", "b"]}
    assert call(emulated, "DELETE", "/things/a").status_code == 204
    assert [entry["route"] for entry in emulated.calls()] == ["toy.list_things", "toy.delete_thing"]
    assert emulated.actions["toy.delete_thing"] == "toy:thing:delete"
    assert "modelarts.delete_authorizations" in emulated.actions  # the package's own services alongside


def test_a_raised_error_is_the_json_error_reply(emulated: Emulator) -> None:
    answer = call(emulated, "DELETE", "/things/missing")
    assert answer.status_code == 404
    assert answer.json() == {"error_code": "TOY.0404", "error_msg": "no such thing"}


@pytest.mark.parametrize("query, message", [
    ({"limit": 4}, "limit must be 1..3 and offset 0..5"),
    ({"limit": 0}, "limit must be 1..3 and offset 0..5"),
    ({"offset": 6}, "limit must be 1..3 and offset 0..5"),
    ({"offset": -1}, "limit must be 1..3 and offset 0..5"),
    ({"limit": "x"}, "limit and offset must be integers"),
])
def test_paging_out_of_range_is_the_services_own_400(emulated: Emulator, query: Dict[str, Any], message: str) -> None:
    answer = call(emulated, "GET", "/things", **query)
    assert answer.status_code == 400
    assert answer.json() == {"error_code": "TOY.0001", "error_msg": message}


def test_the_offset_reading_counts_items_or_pages(emulated: Emulator) -> None:
    emulated.toy.things[PROJECT] = {name: 0 for name in "abcde"}
    assert call(emulated, "GET", "/things", limit=2, offset=1).json() == {"things": ["b", "c"]}
    emulated.toy.reading["offset"] = "page"
    assert call(emulated, "GET", "/things", limit=2, offset=1).json() == {"things": ["c", "d"]}


def test_reset_empties_the_state_and_restores_the_readings(emulated: Emulator) -> None:
    things = emulated.toy.things
    things[PROJECT] = {"a": 1}
    emulated.toy.reading["offset"] = "page"
    emulated.reset()
    assert emulated.toy.things is things and things == {}  # emptied in place: a test's reference stays live
    assert emulated.toy.reading == {"offset": "item"}


def test_a_route_naming_a_missing_handler_fails_when_the_class_is_defined(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "_REGISTRY", service.discover())
    with pytest.raises(TypeError, match="a method lsit"):
        class Broken(EmulatedService):
            name = "broken"
            routes = (Route("GET", "/v1/x", "broken.list", "broken:x:list", "lsit"),)
