"""A report that fits what FunctionGraph delivers: 6 MB for a synchronous response, 256 KB for an
asynchronous return value (docs/reference/functiongraph.md §1.5).

A larger answer never reaches the caller, so above the limit the report keeps its summary and
everything but the items and target rows, then the unfinished items (failed, not attempted: what the
caller must act on) and the failing target rows, and leaves out first the finished ones. What it
leaves out it says, by outcome and by verdict, with where each stays: the function log's
``revocation`` and ``target.verdict`` records under the invocation's correlation id. The answer is
always whole JSON, never cut mid-text, and holds no NaN or infinity (an upstream number copied into
an item is written as text).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any, Dict, List, Optional, Tuple

from shared.outcomes import FAILING_VERDICTS, UNFINISHED

SYNCHRONOUS_LIMIT = 6 * 1024 * 1024
ASYNCHRONOUS_LIMIT = 256 * 1024
MARGIN = 16 * 1024  # the platform's own envelope around the return value
Item = Dict[str, Any]
Entry = Tuple[Dict[str, Any], str, Item]  # where it is listed, under which key ("items" or "targets"), the entry
FAILING = frozenset(str(verdict) for verdict in FAILING_VERDICTS)


def fitted(body: Dict[str, Any], *, asynchronous: bool, as_text: bool, correlation_id: Optional[str]) -> Dict[str, Any]:
    """``body``, or a copy that fits with a note of what was left out.

    ``as_text``: the body travels as JSON text inside the JSON answer (API Gateway), escaped twice."""
    limit = (ASYNCHRONOUS_LIMIT if asynchronous else SYNCHRONOUS_LIMIT) - MARGIN
    try:
        size = _size(body, as_text, allow_nan=False)
    except ValueError:  # an upstream NaN or infinity copied into an item: Python would write a token JSON has not
        body = _finite(body)
        size = _size(body, as_text)
    if size <= limit:
        return body
    holders = [holder for holder in (body, body.get("completed_before_the_error"))
               if isinstance(holder, dict) and isinstance(holder.get("items"), list)]
    items = [(holder, "items", item) for holder in holders for item in holder["items"]]
    rows = [(body, "targets", row) for row in body.get("targets") or () if isinstance(row, dict)]
    every = {"items": Counter(_outcome(item) for _holder, _key, item in items),
             "targets": Counter(_verdict(row) for _holder, _key, row in rows)}
    ranked = ([entry for entry in items if _outcome(entry[2]) in UNFINISHED]
              + [entry for entry in rows if _verdict(entry[2]) in FAILING]
              + [entry for entry in items if _outcome(entry[2]) not in UNFINISHED]
              + [entry for entry in rows if _verdict(entry[2]) not in FAILING])
    holders += [body] if rows and body not in holders else []
    kept = _fitting(body, holders, ranked, every, limit, as_text, correlation_id)
    return _shrunk(body, holders, kept, every, correlation_id)


def _fitting(body: Dict[str, Any], holders: List[Dict[str, Any]], ranked: List[Entry],
             every: Dict[str, "Counter[str]"], limit: int, as_text: bool,
             correlation_id: Optional[str]) -> List[Entry]:
    """The longest prefix of ``ranked`` that fits, from each entry's own size, checked whole at the end."""
    room = limit - _size(_shrunk(body, holders, [], every, correlation_id), as_text)
    count = 0
    for _holder, _key, entry in ranked:
        room -= _size(entry, as_text) + 2  # and the ", " json.dumps puts between two entries
        if room < 0:
            break
        count += 1
    while count and _size(_shrunk(body, holders, ranked[:count], every, correlation_id), as_text) > limit:
        count = count * 9 // 10  # the note's numbers grew a digit: make room
    return ranked[:count]


def _shrunk(body: Dict[str, Any], holders: List[Dict[str, Any]], kept: List[Entry],
            every: Dict[str, "Counter[str]"], correlation_id: Optional[str]) -> Dict[str, Any]:
    kept_ids = {id(entry) for _holder, _key, entry in kept}
    copies = {id(holder): dict(holder, **{key: [entry for entry in holder[key] if id(entry) in kept_ids]
                                          for key in ("items", "targets") if isinstance(holder.get(key), list)})
              for holder in holders}
    shrunk = copies.get(id(body), dict(body))
    nested = body.get("completed_before_the_error")
    if isinstance(nested, dict) and id(nested) in copies:
        shrunk["completed_before_the_error"] = copies[id(nested)]
    where = f"correlation_id {correlation_id!r}" if correlation_id else "this invocation's correlation_id"
    left_out = {key: every[key] - Counter((_outcome if key == "items" else _verdict)(entry)
                                          for _holder, entry_key, entry in kept if entry_key == key)
                for key in every}
    total, dropped = sum(every["items"].values()), sum(left_out["items"].values())
    shrunk["items_left_out"] = {
        "count": dropped, "by_outcome": dict(left_out["items"]),
        "note": (f"{dropped} of {total} items are left out to keep the answer within FunctionGraph's response "
                 "limit; failed and not-attempted items are kept first; the summary counts every item, and "
                 f"every item is in the function log's 'revocation' records under {where}")}
    rows, rows_dropped = sum(every["targets"].values()), sum(left_out["targets"].values())
    if rows_dropped:
        shrunk["targets_left_out"] = {
            "count": rows_dropped, "by_verdict": dict(left_out["targets"]),
            "note": (f"{rows_dropped} of {rows} target rows are left out to keep the answer within FunctionGraph's "
                     "response limit; failing rows are kept first; summary.targets counts every row, and every row "
                     f"is in the function log's 'target.verdict' records under {where}")}
    return shrunk


def _outcome(item: Item) -> str:
    outcome = item.get("outcome")
    return str(getattr(outcome, "value", outcome))


def _verdict(row: Item) -> str:
    verdict = row.get("status")
    return str(getattr(verdict, "value", verdict))


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinity as its text ("nan", "inf", "-inf"): RFC 8259 JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _size(value: Any, as_text: bool, allow_nan: bool = True) -> int:
    """Bytes on the wire at most: every non-ASCII character escaped (\\uXXXX); for API Gateway the body's JSON
    text is escaped again inside the answer, which adds a backslash before each quote and backslash."""
    text = json.dumps(value, default=str, allow_nan=allow_nan)
    return len(text) + (text.count('"') + text.count("\\") + 2 if as_text else 0)
