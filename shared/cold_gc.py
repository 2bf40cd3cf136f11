"""The cyclic garbage collector, paused from the handler's first import to the end of its first invocation.

A cold start creates the objects an instance keeps for its life (modules, classes, the SDK client and the few
models it loads); meanwhile the collector would scan them again and again, about 13 ms of a 150 ms ModelArts cold
start (docs/performance.md). Nothing built then is cyclic garbage worth collecting early, and what the first
invocation leaves is collected once the collector runs again. Imported first by each handler (``index.py``);
``shared.runtime`` resumes it when the first invocation ends (or when one has run already: a warm instance).
"""

from __future__ import annotations

import gc

_paused = gc.isenabled()  # a host that turned the collector off keeps it off
if _paused:
    gc.disable()


def resume() -> None:
    global _paused
    if _paused:
        _paused = False
        gc.enable()
