"""What a report keeps of each revoked grant so that ``fgrevoke restore`` can re-create it.

Every ``deleted`` item carries ``restore``: the grant as the listing read before the deletion showed it,
in the shape the service's create API takes (docs/restore.md). Where the listing cannot give what the create
API needs (a ModelArts credential grant's secret key is never listed), ``restore`` is null and
``restore_unavailable`` says why. Keys are never part of it.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from shared.outcomes import DELETED, Outcome

RESTORE = "restore"
UNAVAILABLE = "restore_unavailable"
PER_TARGET = (RESTORE, UNAVAILABLE)  # differ per target: the audit log keeps them beside each target


def keep(item: Outcome, recipe: Optional[Dict[str, Any]], why: Optional[str] = None) -> None:
    """Record on a deleted item how to re-create it (``recipe``), or why it cannot be (``why``)."""
    if item.outcome != DELETED:
        return
    item.details = {**item.details, RESTORE: recipe}
    if recipe is None:
        item.details[UNAVAILABLE] = why or "the grant was not in the listing read before the deletion"
