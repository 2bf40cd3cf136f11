"""An endpoint on loopback where connecting times out: a listener whose backlog is full."""

from __future__ import annotations

import socket
from typing import Any, List


class BlackHole:
    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        self._fillers: List[socket.socket] = []
        for _ in range(3):  # fill the accept queue; later SYNs go unanswered
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect(self._listener.getsockname())
            except BlockingIOError:
                pass
            self._fillers.append(filler)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def close(self) -> None:
        for sock in self._fillers + [self._listener]:
            sock.close()

    def __enter__(self) -> "BlackHole":
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()
