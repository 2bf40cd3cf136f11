"""Run independent calls side by side, never more than the setting allows."""

from __future__ import annotations

import contextlib
import contextvars
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Iterator, List, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")
Start = Callable[[Callable[[], Any]], "Future[Any]"]


def bounded_map(fn: Callable[[T], R], items: Sequence[T], limit: int) -> List[R]:
    """Results in input order. ``fn`` must turn its own failures into results."""
    if len(items) <= 1 or limit <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(limit, len(items)), thread_name_prefix="fgrevoke") as pool:
        # Each task runs in a copy of the caller's context so log lines keep the invocation's fields.
        futures = [pool.submit(contextvars.copy_context().run, fn, item) for item in items]
        return [future.result() for future in futures]


@contextlib.contextmanager
def slots(limit: int) -> Iterator[Start]:
    """``start(fn)``: ``fn`` runs once one of ``limit`` slots is free, the first started first, and its future
    answers. Work whose calls are known ahead (every page of every listing) keeps each slot busy while other
    threads read the answers as they come. The block ends when every started call has."""
    with ThreadPoolExecutor(max_workers=max(limit, 1), thread_name_prefix="fgrevoke") as pool:
        yield lambda fn: pool.submit(contextvars.copy_context().run, fn)
