"""A complete listing, or none: the evidence that a grant is absent.

A listing proves absence only when it is whole: every page answered 2xx with the documented shape
(an items list and an integer total), and the pages together hold ``total`` entries. Anything else
(an error object, a missing total, a short or empty page before the total) raises
``retry.UpstreamCallFailed``: the caller cannot tell, and its failures stand.

``offset`` is read both ways (docs/reference/real-services.md §1.4): ModelArts documents it as a page
number while Huawei's generic pager treats it as an item index. The second request (offset 1) tells
them apart: under the item reading it overlaps the first page. Entries are de-duplicated, and the
listing stops at the total.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Dict, List, Optional, Set

from shared.retry import UpstreamCallFailed, UpstreamError

Entry = Dict[str, Any]


def complete(fetch: Callable[[int], Any], *, items: str, total: str, what: str,
             max_offset: Optional[int] = None, key: Optional[str] = None,
             keyless: Callable[[Entry], bool] = lambda _entry: False) -> List[Entry]:
    """Every entry of a paged list; ``fetch(offset)`` returns one page's JSON body.

    ``key``: the field every entry must hold as non-empty text (an entry without it could be the very
    target, so the listing proves nothing), unless ``keyless`` says the entry is of a kind that has none."""
    entries: List[Entry] = []
    seen: Set[str] = set()
    item_reading: Optional[bool] = None
    offset = 0
    while True:
        batch, expected = _page(fetch(offset), items, total, what)
        if key is not None:
            unkeyed = [entry for entry in batch if not (isinstance(entry.get(key), str) and entry[key])
                       and not keyless(entry)]
            if unkeyed:
                raise incomplete(what, f"an entry has no {key!r}", transient=False)
        new = _unseen(batch, seen)
        if offset == 1:  # an overlap with the first page means offset counts items
            item_reading = len(new) < len(batch)
        entries.extend(new)
        if len(entries) >= expected:
            return entries
        if not new:
            raise incomplete(what, f"a page added nothing at offset {offset} with {len(entries)} of "
                                    f"{expected} entries read", transient=True)
        following = len(entries) if item_reading else offset + 1
        if max_offset is not None and following > max_offset:
            if not item_reading or offset == max_offset:
                raise incomplete(what, f"it holds {expected} entries, more than the API lets a caller page "
                                        f"through (offset at most {max_offset})", transient=False)
            following = max_offset  # the last reachable window; what overlaps is de-duplicated
        offset = following


def _page(body: Any, items: str, total: str, what: str) -> "tuple[List[Entry], int]":
    if not isinstance(body, dict):
        raise incomplete(what, "the answer is not a JSON object", transient=True)
    if "error_code" in body or "error_msg" in body:
        raise incomplete(what, f"the answer is an error object ({str(body.get('error_code'))[:40]})",
                          transient=False)
    count = body.get(total)
    if isinstance(count, bool) or not isinstance(count, (int, float)) or not math.isfinite(count) or \
            count != int(count) or count < 0:
        raise incomplete(what, f"the answer has no whole-number {total!r}", transient=False)
    batch = body.get(items)
    if batch is None and count == 0:
        return [], 0
    if not isinstance(batch, list) or not all(isinstance(entry, dict) for entry in batch):
        raise incomplete(what, f"the answer's {items!r} is not a list of entries", transient=False)
    return batch, int(count)


# One encoder for every entry: json.dumps with options builds a new encoder per call (a third of its time).
_CANONICAL = json.JSONEncoder(sort_keys=True, default=str)


def _unseen(batch: List[Entry], seen: Set[str]) -> List[Entry]:
    new = []
    for entry in batch:
        key = _CANONICAL.encode(entry)
        if key not in seen:
            seen.add(key)
            new.append(entry)
    return new


def incomplete(what: str, why: str, *, transient: bool) -> UpstreamCallFailed:
    return UpstreamCallFailed(UpstreamError(
        "FGR.IncompleteListing", f"{what} could not be read whole ({why}): absence cannot be told, so "
        "nothing is reported gone on its word", None, None, transient), attempts=1)
