"""The base of an emulated service: adding one is one module in this package.

A subclass declares, as class attributes:
- ``name``: the ``Emulator`` attribute it is reached by (``emulator.<name>``) and its routes' prefix;
- ``routes``: what it serves, each a ``Route`` (method, path template, route name, IAM action, handler
  method name); the action is what the real API requires (``tests/test_permissions.py`` compares);
- ``state``: the names of the dictionaries that hold what it stores, built empty and emptied by ``reset``;
- ``readings``: where the docs leave behaviour open, each reading's options, the first the default;
  ``reading`` holds the current choice (set per test), restored by ``reset``;
- ``bad_request_code``: its error code for a request it refuses (``bad_request``, ``page``).

A handler takes the ``Request`` and returns the ``Reply``; it answers an error by raising ``ServiceError``, which
the server turns into the JSON error body. Defining the subclass registers it; the emulator imports every module
of this package, so a new module is found without being listed anywhere.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Dict, Mapping, NamedTuple, Optional, Protocol, Tuple

from fgrevoke.emulator.server import Reply, Request, ServiceError

if TYPE_CHECKING:
    from fgrevoke.emulator.server import Emulator

__all__ = ["EmulatedService", "Reply", "Request", "Route", "ServiceError", "discover"]


class Route(NamedTuple):
    method: str
    template: str  # "{project_id}" and other "{name}" segments match one path segment
    name: str  # "<service>.<sdk method>": the journal's and --fault's name for it
    action: str  # the IAM action the real API requires ("": it needs none)
    handler: str  # the name of the service's method serving it


class Service(Protocol):
    def reset(self) -> None: ...


_REGISTRY: Dict[str, Callable[["Emulator"], Service]] = {}


class EmulatedService:
    name: ClassVar[str]
    routes: ClassVar[Tuple[Route, ...]] = ()
    state: ClassVar[Tuple[str, ...]] = ()
    readings: ClassVar[Mapping[str, Tuple[str, ...]]] = {}
    bad_request_code: ClassVar[str] = "EMU.BadRequest"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for route in cls.routes:  # a slip here fails at import, not on the first request
            if not route.name.startswith(cls.name + ".") or not callable(getattr(cls, route.handler, None)):
                raise TypeError(f"{cls.__name__}: route {route.name} needs the prefix {cls.name}. "
                                f"and a method {route.handler}")
        _REGISTRY[cls.name] = cls

    def __init__(self, emulator: "Emulator") -> None:
        for field in self.state:
            setattr(self, field, {})
        self.reading: Dict[str, str] = {}
        self.reset()
        for route in self.routes:
            emulator.route(route.method, route.template, route.name, getattr(self, route.handler), route.action)

    def reset(self) -> None:
        """Forget what was stored and go back to the default readings."""
        for field in self.state:
            getattr(self, field).clear()
        self.reading = {name: options[0] for name, options in self.readings.items()}

    def bad_request(self, message: str) -> ServiceError:
        """The 400 this service answers a request it refuses with: ``raise self.bad_request(...)``."""
        return ServiceError(400, self.bad_request_code, message)

    def page(self, request: Request, *, default_limit: int, max_limit: int, min_limit: int = 1,
             max_offset: Optional[int] = None) -> slice:
        """The items a listing's ``limit`` and ``offset`` select; a value that is not a whole number or is out
        of range is a ``bad_request``. Where the service has an ``offset`` reading, ``page`` makes the offset a
        page number (the start is offset x limit); otherwise it counts items."""
        try:
            limit = int(request.arg("limit") or default_limit)
            offset = int(request.arg("offset") or 0)
        except ValueError:
            raise self.bad_request("limit and offset must be integers") from None
        offsets = ">= 0" if max_offset is None else f"0..{max_offset}"
        if not min_limit <= limit <= max_limit or offset < 0 or (max_offset is not None and offset > max_offset):
            raise self.bad_request(f"limit must be {min_limit}..{max_limit} and offset {offsets}")
        start = offset * limit if self.reading.get("offset") == "page" else offset
        return slice(start, start + limit)


def discover() -> Dict[str, Callable[["Emulator"], Service]]:
    """Every emulated service by name, after importing each module of this package (defining one registers it)."""
    package = importlib.import_module("fgrevoke.emulator")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return dict(_REGISTRY)
