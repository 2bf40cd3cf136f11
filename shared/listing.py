"""A complete listing, or none: the evidence that a grant is absent.

A listing proves absence only when it is whole: every page answered 2xx with the documented shape
(an items list and an integer total), and the pages together hold ``total`` entries. Anything else
(an error object, a missing total, a short or empty page before the total) raises
``retry.UpstreamCallFailed``: the caller cannot tell, and its failures stand.

It is whole only if it is also consistent: the same total on every page, every page but the last as
long as the first, nothing shifted between pages and exactly ``total`` entries. Under the page reading of
``offset`` (below) pages never overlap, so every page but the last is read again after the last one and must
be unchanged: a change before a seam that keeps the total (one entry gone, another added) shows there. A listing that
changed while it was paged (another revocation removed an entry between two pages) is read once
more; if it changes again, absence cannot be told (retryable).

``offset`` is read both ways (docs/reference/real-services.md §1.4): ModelArts documents it as a page
number while Huawei's generic pager treats it as an item index. The second request (offset 1) tells
them apart: under the item reading it overlaps the first page. Under that reading each later page
overlaps the previous one by an entry, so a shift shows where the pages meet.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from shared.retry import UpstreamCallFailed, UpstreamError

Entry = Dict[str, Any]
MAX_TOTAL = 10 ** 9  # more entries than any project holds: a larger total is not an answer to page through


def complete(fetch: Callable[[int], Any], *, items: str, total: str, what: str,
             max_offset: Optional[int] = None, key: Optional[str] = None,
             keyless: Callable[[Entry], bool] = lambda _entry: False, item_offsets: bool = False,
             settled_by: Optional[Callable[[List[Entry]], bool]] = None) -> List[Entry]:
    """Every entry of a paged list; ``fetch(offset)`` returns one page's JSON body.

    ``key``: the field every entry must hold as non-empty text (an entry without it could be the very
    target, so the listing proves nothing), unless ``keyless`` says the entry is of a kind that has none.
    ``item_offsets``: the API documents ``offset`` as an item index, so no request tells the readings apart
    (were it a page number, the pages would not meet and the listing could not be told).
    ``settled_by``: when the listing keeps moving, the entries seen are enough for the caller if this says so
    (presence needs no whole listing: every target seen listed); the caller then reads nothing else from them.

    A listing that moves while it is paged (another revocation between two pages) is read once more;
    if it moves again it is "cannot tell" (retryable), never evidence of absence."""
    try:
        return _read_whole(fetch, items, total, what, max_offset, key, keyless, item_offsets)
    except _Moved as moved:
        seen = moved.seen
    try:
        return _read_whole(fetch, items, total, what, max_offset, key, keyless, item_offsets)
    except _Moved as moved:
        if settled_by is not None and settled_by(seen + moved.seen):
            return seen + moved.seen  # the later reading last: what it saw wins where both saw an entry
        raise incomplete(what, f"it changed while it was paged, twice in a row ({moved})", transient=True) from None


class _Moved(Exception):
    """The pages of one reading disagree: the listing changed between two of them."""

    def __init__(self, why: str, seen: List[Entry]) -> None:
        super().__init__(why)
        self.seen = seen  # each was listed at the moment its page was read


def _read_whole(fetch: Callable[[int], Any], items: str, total: str, what: str, max_offset: Optional[int],
                key: Optional[str], keyless: Callable[[Entry], bool], item_offsets: bool) -> List[Entry]:
    """One consistent reading: one total on every page, full pages before the last, nothing shifted.

    Under the item reading of ``offset`` each page after the first overlaps the last entry already read
    (the second request, offset 1, overlaps all but one): an entry that is not where the previous page
    left it shows the list shifted. Under the page reading no page may repeat an entry. A reading that
    moved still pages on to its end, so that what it shows is known (``_Moved.seen``)."""
    ordered: List[str] = []  # the entries' canonical texts, in listing order (while nothing moved)
    seen: Set[str] = set()
    entries: List[Entry] = []
    moved: Optional[str] = None  # why this reading is not consistent
    item_reading: Optional[bool] = True if item_offsets else None
    expected: Optional[int] = None
    page_size: Optional[int] = None
    pages: List[Tuple[int, List[str]]] = []  # every page but the last: offset and entries
    offset = 0
    while True:
        batch, count = _page(fetch(offset), items, total, what)
        if key is not None:
            unkeyed = [entry for entry in batch if not (isinstance(entry.get(key), str) and entry[key])
                       and not keyless(entry)]
            if unkeyed:
                raise incomplete(what, f"an entry has no {key!r}", transient=False)
        texts = [_canonical(entry) for entry in batch]
        if offset == 1 and not item_offsets:  # an overlap with the first page means offset counts items
            item_reading = bool(set(texts) & seen)
        if expected is None:
            expected = count
        moved = moved or _inconsistency(ordered, seen, texts, offset if item_reading else len(ordered), count,
                                        expected)
        new = 0
        for text, entry in zip(texts, batch):
            if text not in seen:
                seen.add(text)
                ordered.append(text)
                entries.append(entry)
                new += 1
        if len(entries) >= expected:
            if len(entries) > expected:
                moved = moved or f"it gave {len(entries)} entries for a total of {expected}"
            break
        if page_size is None:
            page_size = len(batch)
        if not new or len(batch) < page_size:
            moved = moved or f"the page at offset {offset} is short: {len(entries)} of {expected} entries read"
            break
        pages.append((offset, texts))
        offset = _next_offset(offset, len(entries), page_size, item_reading, max_offset, expected, what)
    if moved is None and not item_reading:
        moved = _pages_changed(fetch, pages, items, total, what, expected)
    if moved is not None:
        raise _Moved(moved, entries)
    return entries


def _pages_changed(fetch: Callable[[int], Any], pages: List[Tuple[int, List[str]]], items: str, total: str,
                   what: str, expected: int) -> Optional[str]:
    """Under the page reading pages never overlap, so a change before a seam (one entry gone, another added: the
    same total) shifts the later pages unseen. Every page but the last, read again after the last, must be as it
    was: then nothing moved before a seam while the listing was read."""
    for offset, texts in pages:
        batch, count = _page(fetch(offset), items, total, what)
        if count != expected or [_canonical(entry) for entry in batch] != texts:
            return f"the page at offset {offset} changed while the pages after it were read"
    return None


def _inconsistency(ordered: List[str], seen: Set[str], texts: List[str], start: int, count: int,
                   expected: int) -> Optional[str]:
    """Why this page disagrees with the pages before it, if it does: ``start`` is where it should begin."""
    if count != expected:
        return f"its total went from {expected} to {count} between two pages"
    if len(set(texts)) != len(texts):
        return "a page holds one entry twice"
    known = ordered[start:start + len(texts)]
    if texts[:len(known)] != known or set(texts[len(known):]) & seen:
        return "a page does not continue where the one before it ended"
    return None


def _next_offset(offset: int, read: int, page_size: int, item_reading: Optional[bool],
                 max_offset: Optional[int], expected: int, what: str) -> int:
    if not item_reading:
        following = offset + 1  # the second request is offset 1 under either reading
    else:
        following = read - 1 if page_size > 1 else read  # overlap one entry: a shift shows at the seam
    if max_offset is not None and following > max_offset:
        if not item_reading or offset == max_offset:
            raise incomplete(what, f"it holds {expected} entries, more than the API lets a caller page "
                                    f"through (offset at most {max_offset})", transient=False)
        following = max_offset  # the last reachable window; what overlaps is checked, then skipped
    return following


def _page(body: Any, items: str, total: str, what: str) -> "tuple[List[Entry], int]":
    if not isinstance(body, dict):
        raise incomplete(what, "the answer is not a JSON object", transient=True)
    if "error_code" in body or "error_msg" in body:
        raise incomplete(what, f"the answer is an error object ({str(body.get('error_code'))[:40]})",
                          transient=False)
    count = _whole_number(body.get(total))
    if count is None:
        raise incomplete(what, f"the answer has no whole-number {total!r} this function can page through",
                          transient=False)
    batch = body.get(items)
    if batch is None and count == 0:
        return [], 0
    if not isinstance(batch, list) or not all(isinstance(entry, dict) for entry in batch):
        raise incomplete(what, f"the answer's {items!r} is not a list of entries", transient=False)
    return batch, count


def item_offsets_after(first_page: int, total: int) -> List[int]:
    """The offsets a reading with ``item_offsets`` asks for after a full first page of ``first_page`` entries,
    if the listing holds ``total`` and nothing moves: known ahead, so the pages can be read side by side and
    handed to ``complete`` (which checks them as if it had read them one by one)."""
    offsets: List[int] = []
    read = first_page
    while 0 < first_page <= read < total:
        offsets.append(read - 1 if first_page > 1 else read)  # as _next_offset: overlap the last entry read
        read += first_page - 1 if first_page > 1 else 1
    return offsets


def total_of(body: Any, total: str) -> Optional[int]:
    """A page's total as a readable count, or None."""
    return _whole_number(body.get(total)) if isinstance(body, dict) else None


def _whole_number(value: Any) -> Optional[int]:
    """A count as sent: an int, or a float holding one, from 0 to ``MAX_TOTAL``; anything else is unreadable.

    A JSON number may have 400 digits (past float's range) or be 1e400 (infinite): both are an upstream
    answer that cannot be read, never this function's error."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None
    return int(value) if 0 <= value <= MAX_TOTAL else None


# One encoder for every entry: json.dumps with options builds a new encoder per call (a third of its time).
_CANONICAL = json.JSONEncoder(sort_keys=True, default=str)


def _canonical(entry: Entry) -> str:
    return _CANONICAL.encode(entry)


def incomplete(what: str, why: str, *, transient: bool) -> UpstreamCallFailed:
    return UpstreamCallFailed(UpstreamError(
        "FGR.IncompleteListing", f"{what} could not be read whole ({why}): absence cannot be told, so "
        "nothing is reported gone on its word", None, None, transient), attempts=1)
