"""Load only the Huawei Cloud SDK modules a call needs.

A service package's ``vN/__init__.py`` imports every model class (1,278 for ModelArts) and the
client imports the ``model`` package again (docs/reference/sdk.md §5). Registering both
packages as plain modules whose names resolve on first use skips that work without editing the
installed SDK. The name -> module table is read from the real ``__init__`` files, so a new SDK
release brings its own table.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import threading
import types
from typing import Dict

from shared.deferred_imports import deferred_imports

_EXPORT_LINE = re.compile(r"^from (\S+) import (\w+)\s*$", re.MULTILINE)
_lock = threading.Lock()
# Names resolve one at a time: a thread must never get a model module another thread is still running.
_resolving = threading.RLock()


def service_package(name: str) -> types.ModuleType:
    """Return the SDK package ``name`` (e.g. ``huaweicloudsdkmodelarts.v1``), loading lazily."""
    with _lock:
        loaded = sys.modules.get(name)
        if loaded is not None:
            return loaded
        _import_core_without_home()
        top_name, _, version = name.partition(".")
        top = importlib.import_module(top_name)  # its __init__ is empty
        directory = os.path.join(os.path.dirname(top.__file__ or ""), version)
        package = _lazy_package(name, directory, _exports(directory))
        _lazy_package(name + ".model", os.path.join(directory, "model"),
                      _exports(os.path.join(directory, "model")))
        return package


def _import_core_without_home() -> None:
    # The core writes $HOME/.huaweicloud/application_id when first imported (docs/reference/sdk.md §7.10);
    # without HOME it writes nothing and leaves the id out of the User-Agent.
    if "huaweicloudsdkcore.client" in sys.modules:
        return
    home = os.environ.pop("HOME", None)
    try:
        # What only the SM2 and ECDSA signers use, loaded if ever used (docs/reference/sdk.md §5).
        with deferred_imports("pyasn1.codec.der.encoder", "pyasn1.codec.der.decoder", "pyasn1.type.univ"):
            importlib.import_module("huaweicloudsdkcore.client")
            importlib.import_module("huaweicloudsdkcore.auth.credentials")
    finally:
        if home is not None:
            os.environ["HOME"] = home


def _exports(directory: str) -> Dict[str, str]:
    with open(os.path.join(directory, "__init__.py"), encoding="utf-8") as init_file:
        return {attr: module for module, attr in _EXPORT_LINE.findall(init_file.read())}


def _lazy_package(name: str, directory: str, exports: Dict[str, str]) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__path__ = [directory]
    module.__package__ = name

    def resolve(attr: str) -> object:
        target = exports.get(attr)
        if target is None:
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")
        with _resolving:
            value = module.__dict__.get(attr)
            if value is None:
                value = getattr(importlib.import_module(target), attr)
                setattr(module, attr, value)
        return value

    module.__getattr__ = resolve  # type: ignore[method-assign]
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, module)
    return module
