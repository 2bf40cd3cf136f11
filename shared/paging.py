"""Reading every entry of a paged list API."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional


def all_entries(fetch: Callable[[int], Optional[Dict[str, Any]]], items: str, total: str,
                by_page: bool = False) -> List[Dict[str, Any]]:
    """Call ``fetch(position)`` until ``total`` entries are read (or a page comes back empty).

    ``position`` is the item offset, or the page number where the API documents its ``offset``
    as a page (ModelArts GetAuthorizations).
    """
    entries: List[Dict[str, Any]] = []
    page_number = 0
    while True:
        page = fetch(page_number if by_page else len(entries)) or {}
        batch = [entry for entry in page.get(items) or [] if isinstance(entry, dict)]
        entries.extend(batch)
        page_number += 1
        if not batch or len(entries) >= int(page.get(total) or 0):
            return entries
