"""The grants a report says were revoked, each with where it was and its ``restore`` recipe.

Accepted, as one JSON document or as JSON lines (one per line): a function's report (``operation``,
``items``); an API Gateway response (``statusCode`` and ``body``, the report as JSON text); an event's
envelope (``requests`` and ``items``); a refused event's ``completed_before_the_error``; an audit log line
(``"event": "revocation"``, its ``targets`` each with their own ``restore``); FunctionGraph's asynchronous result
record, as the ReportBucket keeps it (``request_context``, ``response_payload``); or a list of any of these.
Only ``deleted`` items were revoked: the others are counted, never restored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Tuple

from fgrevoke.errors import UsageError
from shared.undo import RESTORE, UNAVAILABLE

PLACE_FIELDS = ("region", "project_id", "account_id", "agency")
REVOKED_NOTHING = ("rejected", "error", "ignored")
ITEM_NOISE = {"outcome", "reason", "upstream_request_id", "error_code", "error_msg", "retryable", "request", RESTORE,
              UNAVAILABLE}


@dataclass(frozen=True)
class Place:
    """Where a grant was: a project of a region, of the function's own account or a member account."""

    region: Optional[str]
    project_id: Optional[str]
    account_id: Optional[str] = None
    agency: Optional[str] = None

    def fields(self) -> Dict[str, str]:
        return {name: value for name, value in zip(PLACE_FIELDS, (self.region, self.project_id, self.account_id,
                                                                    self.agency)) if value is not None}

    def __str__(self) -> str:
        where = f"{self.region or '?'}/{self.project_id or '?'}"
        return f"{self.account_id}:{self.agency}@{where}" if self.account_id else where


@dataclass
class Revoked:
    """One revoked grant: the function that revoked it, where, what (the item's own fields) and its recipe."""

    operation: str
    place: Place
    what: Dict[str, Any]
    recipe: Optional[Dict[str, Any]]
    why: Optional[str] = None  # why the recipe is missing

    def key(self) -> str:
        return json.dumps([self.operation, self.place.fields(), self.what], sort_keys=True, default=str)


@dataclass
class Reading:
    revoked: List[Revoked]
    other_items: int  # items that revoked nothing (dry run, already absent, skipped, failed...)
    documents: int
    left_out: List[str]  # notes of reports cut to FunctionGraph's size limit: their items are in the log only


def read(text: str, source: str) -> Reading:
    try:
        return _read(text, source)
    except RecursionError:
        raise UsageError(f"{source} nests JSON too deep to read: give a report a function returned") from None


def _read(text: str, source: str) -> Reading:
    documents = list(_documents(text, source))
    revoked: Dict[str, Revoked] = {}
    other = 0
    left_out: List[str] = []
    for document in documents:
        for operation, item in _items(document, source, left_out):
            if item.get("outcome") != "deleted":
                other += 1
                continue
            entry = _revoked(operation, item, source)
            revoked.setdefault(entry.key(), entry)  # a report and its audit lines name the same grant once
    if not documents:
        raise UsageError(f"{source} is empty: give a report a function returned, or its audit log lines")
    return Reading(list(revoked.values()), other, len(documents), left_out)


def _documents(text: str, source: str) -> Iterator[Any]:
    stripped = text.strip()
    if not stripped:
        return
    try:
        yield json.loads(stripped)
        return
    except ValueError:
        pass
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except ValueError as error:
            raise UsageError(f"{source}:{number} is not JSON ({error}); give a report a function returned (JSON), "
                             "or its audit log lines (JSON lines)") from None


def _items(document: Any, source: str, left_out: List[str]) -> Iterator[Tuple[str, Dict[str, Any]]]:
    if isinstance(document, list):
        for part in document:
            yield from _items(part, source, left_out)
        return
    if not isinstance(document, dict):
        raise UsageError(f"{source} holds {type(document).__name__} where a report (a JSON object) was expected")
    if isinstance(document.get("body"), str) and "statusCode" in document:  # an API Gateway response
        try:
            body = json.loads(document["body"])
        except ValueError:
            raise UsageError(f"{source}: the API Gateway response's body is not JSON") from None
        yield from _items(body, source, left_out)
        return
    if "response_payload" in document and "request_context" in document:  # FunctionGraph's async result (OBS)
        payload = document["response_payload"]
        if isinstance(payload, str):
            try:
                payload = json.loads(payload)
            except ValueError:
                raise UsageError(f"{source}: the asynchronous result's response_payload is not JSON") from None
        yield from _items(payload, source, left_out)
        return
    if "completed_before_the_error" in document:
        yield from _items(document["completed_before_the_error"], source, left_out)
        return
    operation = document.get("operation")
    cut = document.get("items_left_out")
    if isinstance(cut, dict) and cut.get("count"):
        left_out.append(str(cut.get("note") or f"{cut['count']} items were left out of the report"))
    if document.get("event") == "revocation":  # an audit log line: each target with its own restore
        for target in document.get("targets") or []:
            if isinstance(target, dict) and isinstance(operation, str):
                yield operation, {**target, "outcome": document.get("outcome")}
        return
    if "event" in document:  # another log line: not about a grant
        return
    if isinstance(operation, str) and "items" not in document and document.get("status") in REVOKED_NOTHING:
        return  # a refused, failed or ignored event: nothing was revoked
    if not isinstance(operation, str) or not isinstance(document.get("items"), list):
        raise UsageError(f"{source} is not a report of fgrevoke's functions: it has no operation and items")
    for item in document["items"]:
        if isinstance(item, dict):
            yield operation, item


def _revoked(operation: str, item: Dict[str, Any], source: str) -> Revoked:
    place = Place(*(item.get(name) if isinstance(item.get(name), str) else None for name in PLACE_FIELDS))
    what = {key: value for key, value in item.items() if key not in ITEM_NOISE and key not in PLACE_FIELDS}
    what = {key: value for key, value in what.items() if not isinstance(value, (dict, list))}
    if RESTORE not in item:
        return Revoked(operation, place, what, None, "the report has no restore for it: it was written before "
                                                     "reports kept what they revoked")
    recipe = item[RESTORE]
    if recipe is not None and not isinstance(recipe, dict):
        raise UsageError(f"{source}: an item's restore is {type(recipe).__name__}, not an object or null")
    return Revoked(operation, place, what, recipe, item.get(UNAVAILABLE) if recipe is None else None)
