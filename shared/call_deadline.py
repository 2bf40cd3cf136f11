"""A total deadline for each upstream call, not only a per-read timeout.

``requests``' read timeout bounds each wait for bytes: an answer trickled a byte at a time passes
every one of them and a call never ends. The SDK's session gets ``WatchedAdapter``: while a call
runs under ``limited(seconds)``, a watchdog thread shuts the call's socket down once its time is
up, and the call fails as a timeout (retryable). The SDK still builds, signs and sends the
request; only the connection is watched.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from typing import Any, Iterator, List, Optional, Tuple

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from shared.concurrency import on_the_wire

_current = threading.local()  # the watch of the call running on this thread


class _Watch:
    """One call's deadline, and the connection it sends on (set once the request goes out)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.connection: Optional[HTTPConnection] = None
        self.expired = False
        self.done = False

    def expire(self) -> None:
        self.expired = True
        sock = getattr(self.connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # the blocked read returns at once; the call fails


class _Watchdog:
    """One daemon thread for every watched call of the process, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._heap: List[Tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._thread: Optional[threading.Thread] = None

    def watch(self, watch: _Watch) -> None:
        with self._lock:
            heapq.heappush(self._heap, (watch.end, next(self._order), watch))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="fgrevoke-call-deadline", daemon=True)
                self._thread.start()
            self._lock.notify()

    def _run(self) -> None:
        while True:
            with self._lock:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._lock.wait()
                    continue
                end, _, watch = self._heap[0]
                wait = end - time.monotonic()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
                heapq.heappop(self._heap)
            watch.expire()


_watchdog = _Watchdog()


@contextlib.contextmanager
def limited(seconds: Optional[float]) -> Iterator[None]:
    """Calls made on this thread inside the block end within ``seconds`` (None: no limit)."""
    if seconds is None:
        yield
        return
    previous = getattr(_current, "seconds", None)
    _current.seconds = max(seconds, 0.0)
    try:
        yield
    finally:
        _current.seconds = previous


class WatchedAdapter(HTTPAdapter):
    """An HTTPAdapter whose sends end by the thread's ``limited`` deadline."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedPool, "https": _WatchedHTTPSPool}

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        seconds = getattr(_current, "seconds", None)
        if seconds is None:
            with on_the_wire(None):
                response = super().send(request, stream=True, timeout=timeout, verify=verify, cert=cert,
                                        proxies=proxies)
                _ = response.content  # read while the call holds its place on the wire
                return response
        watch = _Watch(seconds)
        _current.watch = watch
        _watchdog.watch(watch)
        try:
            with on_the_wire(seconds) as placed:  # the wait for a place is part of the call's time
                if not placed:
                    raise _timeout(request, seconds)
                response = super().send(request, stream=True, timeout=timeout, verify=verify, cert=cert,
                                        proxies=proxies)
                # The body is read while the watch runs, a streamed answer's too: clients.unparsed asks the SDK for
                # a stream response (to skip its models), and a trickled listing must not outlive its deadline.
                _ = response.content
        except (requests.exceptions.RequestException, OSError) as error:
            if watch.expired:
                raise _timeout(request, seconds) from error
            raise
        finally:
            watch.done = True
            _current.watch = None
        if watch.expired:  # what was read before the cut cannot be trusted to be whole
            raise _timeout(request, seconds)
        return response


def _timeout(request: requests.PreparedRequest, seconds: float) -> requests.exceptions.ReadTimeout:
    return requests.exceptions.ReadTimeout(
        f"the answer did not arrive whole within the call's {seconds:.1f} s (its share of the invocation's "
        "remaining time)", request=request)



def _watch_connection(connection: HTTPConnection) -> None:
    watch = getattr(_current, "watch", None)
    if watch is not None:
        watch.connection = connection
        if watch.expired:  # the time ran out while connecting
            watch.expire()


class _WatchedConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch_connection(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch_connection(self)
        super().request(*args, **kwargs)


class _WatchedPool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection
