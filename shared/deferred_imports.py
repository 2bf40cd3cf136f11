"""Dependencies a module imports at its top but uses only on paths these functions never take.

``structlog`` imports ``asyncio`` for its async logging methods (≈ 13 ms of a cold start), and the
SDK core's region cache imports ``yaml`` to read an optional ``~/.huaweicloud/regions.yaml`` (≈ 7 ms).
While such a module is imported, a stand-in takes the dependency's place in ``sys.modules``; the
module keeps the stand-in, which imports the real dependency on its first attribute use. Nothing
else sees the stand-in: it leaves ``sys.modules`` as soon as that import is done.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
import types
from typing import Any, Iterator

_lock = threading.Lock()


class _StandIn(types.ModuleType):
    def __getattr__(self, attr: str) -> Any:
        if sys.modules.get(self.__name__) is self:  # first used while its importer is still loading
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attr)


@contextlib.contextmanager
def deferred_imports(*names: str) -> Iterator[None]:
    """Within the block, importing any of ``names`` (not yet loaded) gives a stand-in."""
    with _lock:
        placed = [name for name in names if name not in sys.modules]
        for name in placed:
            sys.modules[name] = _StandIn(name)
        try:
            yield
        finally:
            for name in placed:
                if isinstance(sys.modules.get(name), _StandIn):
                    del sys.modules[name]
