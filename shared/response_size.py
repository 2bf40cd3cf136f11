"""A report that fits what FunctionGraph delivers: 6 MB for a synchronous response, 256 KB for an
asynchronous return value (docs/reference/functiongraph.md §1.5).

A larger answer never reaches the caller, so above the limit the report keeps its summary and
everything but the items, then the unfinished items (failed, not attempted: what the caller must act
on), and leaves out first the finished ones. What it leaves out it says, by outcome, with where
every item stays: the function log's ``revocation`` audit records under the invocation's
correlation id. The answer is always whole JSON, never cut mid-text.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Dict, List, Optional, Tuple

from shared.outcomes import UNFINISHED

SYNCHRONOUS_LIMIT = 6 * 1024 * 1024
ASYNCHRONOUS_LIMIT = 256 * 1024
MARGIN = 16 * 1024  # the platform's own envelope around the return value
Item = Dict[str, Any]
Ranked = Tuple[Dict[str, Any], Item, str]  # an item, the report holding it and its outcome


def fitted(body: Dict[str, Any], *, asynchronous: bool, as_text: bool, correlation_id: Optional[str]) -> Dict[str, Any]:
    """``body``, or a copy that fits with a note of what was left out.

    ``as_text``: the body travels as JSON text inside the JSON answer (API Gateway), escaped twice."""
    limit = (ASYNCHRONOUS_LIMIT if asynchronous else SYNCHRONOUS_LIMIT) - MARGIN
    if _size(body, as_text) <= limit:
        return body
    holders = [holder for holder in (body, body.get("completed_before_the_error"))
               if isinstance(holder, dict) and isinstance(holder.get("items"), list)]
    items = [(holder, item, _outcome(item)) for holder in holders for item in holder["items"]]
    unfinished = [entry for entry in items if entry[2] in UNFINISHED]
    finished = [entry for entry in items if entry[2] not in UNFINISHED]
    every = Counter(outcome for _holder, _item, outcome in items)
    kept = _fitting(body, holders, unfinished + finished, every, limit, as_text, correlation_id)
    return _shrunk(body, holders, kept, every, correlation_id)


def _fitting(body: Dict[str, Any], holders: List[Dict[str, Any]], ranked: List[Ranked], every: "Counter[str]",
             limit: int, as_text: bool, correlation_id: Optional[str]) -> List[Ranked]:
    """The longest prefix of ``ranked`` that fits, from each item's own size, checked whole at the end."""
    room = limit - _size(_shrunk(body, holders, [], every, correlation_id), as_text)
    count = 0
    for _holder, item, _outcome_of_item in ranked:
        room -= _size(item, as_text) + 2  # and the ", " json.dumps puts between two items
        if room < 0:
            break
        count += 1
    while count and _size(_shrunk(body, holders, ranked[:count], every, correlation_id), as_text) > limit:
        count = count * 9 // 10  # the note's numbers grew a digit: make room
    return ranked[:count]


def _shrunk(body: Dict[str, Any], holders: List[Dict[str, Any]], kept: List[Ranked], every: "Counter[str]",
            correlation_id: Optional[str]) -> Dict[str, Any]:
    kept_ids = {id(item) for _holder, item, _outcome_of_item in kept}
    left_out = every - Counter(outcome for _holder, _item, outcome in kept)
    copies = {id(holder): dict(holder, items=[item for item in holder["items"] if id(item) in kept_ids])
              for holder in holders}
    shrunk = copies.get(id(body), dict(body))
    nested = body.get("completed_before_the_error")
    if isinstance(nested, dict) and id(nested) in copies:
        shrunk["completed_before_the_error"] = copies[id(nested)]
    where = f"correlation_id {correlation_id!r}" if correlation_id else "this invocation's correlation_id"
    total, dropped = sum(every.values()), sum(left_out.values())
    shrunk["items_left_out"] = {
        "count": dropped, "by_outcome": dict(left_out),
        "note": (f"{dropped} of {total} items are left out to keep the answer within FunctionGraph's response "
                 "limit; failed and not-attempted items are kept first; the summary counts every item, and "
                 f"every item is in the function log's 'revocation' records under {where}")}
    return shrunk


def _outcome(item: Item) -> str:
    outcome = item.get("outcome")
    return str(getattr(outcome, "value", outcome))


def _size(value: Any, as_text: bool) -> int:
    """Bytes on the wire at most: every non-ASCII character escaped (\\uXXXX); for API Gateway the body's JSON
    text is escaped again inside the answer, which adds a backslash before each quote and backslash."""
    text = json.dumps(value, default=str)
    return len(text) + (text.count('"') + text.count("\\") + 2 if as_text else 0)
