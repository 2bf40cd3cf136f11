"""Run independent calls side by side, never more than the setting allows."""

from __future__ import annotations

import contextlib
import contextvars
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Iterator, List, Optional, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")
Start = Callable[[Callable[[], Any]], "Future[Any]"]
# The places on the wire of the enclosing ``slots`` (None: outside one, bounded_map's threads are the limit).
_places: "contextvars.ContextVar[Optional[threading.BoundedSemaphore]]" = contextvars.ContextVar(
    "fgrevoke_places_on_the_wire", default=None)


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
    """``start(fn)``: ``fn`` runs on a thread of this block, the first started first, and its future answers.

    At most ``limit`` of its calls are on the wire at once (``on_the_wire``: from the request's first byte to
    the answer's last), while twice as many threads build and sign the next requests and read the answers:
    a call's own work then waits for no place, and no place waits for it. Work whose calls are known ahead
    (every page of every listing) keeps each place busy. The block ends when every started call has."""
    places = max(limit, 1)
    token = _places.set(threading.BoundedSemaphore(places))
    try:
        with ThreadPoolExecutor(max_workers=2 * places, thread_name_prefix="fgrevoke") as pool:
            yield lambda fn: pool.submit(contextvars.copy_context().run, fn)
    finally:
        _places.reset(token)


@contextlib.contextmanager
def on_the_wire(timeout: Optional[float]) -> Iterator[bool]:
    """Hold one of the enclosing ``slots``' places while a call is on the wire (outside one: nothing to hold).
    Yields False when no place came free within ``timeout`` seconds (None: wait for one)."""
    places = _places.get()
    if places is None:
        yield True
        return
    if not places.acquire(timeout=timeout):
        yield False
        return
    try:
        yield True
    finally:
        places.release()
