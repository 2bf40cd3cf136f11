"""Dependencies a module imports at its top but uses only on paths these functions never take.

``structlog`` imports ``asyncio`` for its async logging methods (≈ 13 ms of a cold start), the
SDK core's region cache imports ``yaml`` to read an optional ``~/.huaweicloud/regions.yaml`` (≈ 7 ms),
its signer imports ``pyasn1`` for the SM2 and ECDSA algorithms (≈ 8 ms), and urllib3 imports
``importlib.metadata`` to check the version of ``h2`` when HTTP/2 is switched on (≈ 8 ms); these functions
sign with HMAC-SHA256 over HTTP/1.1 (docs/reference/sdk.md §11).
While such a module is imported, a stand-in takes the dependency's place in ``sys.modules``; the
module keeps the stand-in, which imports the real dependency on its first attribute use. A name given
as ``"module:function"`` also offers that function, for an importer that takes it by name
(``from module import function``): it imports the real module when first called. Nothing else sees
the stand-in: it leaves ``sys.modules`` as soon as that import is done.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
import types
from typing import Any, Callable, Dict, Iterator, List

_lock = threading.Lock()


class _StandIn(types.ModuleType):
    # No attributes of its own beyond a module's: every other name is the real module's.
    def __init__(self, name: str, functions: List[str]) -> None:
        super().__init__(name)
        for function in functions:
            setattr(self, function, _forwarder(self, function))

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):  # the import system probing (e.g. __path__): not a use
            raise AttributeError(attr)
        return getattr(_real(self), attr)


def _real(stand_in: _StandIn) -> types.ModuleType:
    if sys.modules.get(stand_in.__name__) is stand_in:  # first used while its importer is still loading
        del sys.modules[stand_in.__name__]
    return importlib.import_module(stand_in.__name__)


def _forwarder(stand_in: _StandIn, function: str) -> Callable[..., Any]:
    def forward(*args: Any, **kwargs: Any) -> Any:
        return getattr(_real(stand_in), function)(*args, **kwargs)

    return forward


@contextlib.contextmanager
def deferred_imports(*names: str) -> Iterator[None]:
    """Within the block, importing any of ``names`` (not yet loaded) gives a stand-in."""
    functions: Dict[str, List[str]] = {}
    for name in names:
        module, _, function = name.partition(":")
        functions.setdefault(module, []).extend([function] if function else [])
    with _lock:
        placed = [name for name in functions if name not in sys.modules]
        for name in placed:
            sys.modules[name] = _StandIn(name, functions[name])
        try:
            yield
        finally:
            for name in placed:
                if isinstance(sys.modules.get(name), _StandIn):
                    del sys.modules[name]
