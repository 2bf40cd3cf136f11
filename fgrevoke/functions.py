"""Finding and loading the function handlers of this checkout (developer tooling)."""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import List

from fgrevoke.errors import UsageError
from shared import manifest as manifests
from shared.manifest import FunctionManifest

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_DIR = ROOT / "functions"
_lock = threading.Lock()  # a module half-way through import must not be handed to another thread


def names() -> List[str]:
    return sorted(p.name for p in FUNCTIONS_DIR.iterdir() if (p / "index.py").is_file())


def manifest(name: str) -> FunctionManifest:
    return manifests.load(FUNCTIONS_DIR / name)


def service_names() -> List[str]:
    """The SDK services the functions call (their own and those they read), named as in
    HUAWEICLOUD_SDK_REGION_<SERVICE>_<REGION>."""
    return sorted({service.env_name for name in names()
                   for service in (manifest(name).service, *manifest(name).reads)})


def load(name: str) -> ModuleType:
    """Import ``functions/<name>/index.py`` under a unique module name."""
    if name not in names():
        raise UsageError(f"no function {name!r}; the functions are: {', '.join(names())}")
    module_name = f"fgrevoke_function_{name}"
    with _lock:
        if module_name in sys.modules:
            return sys.modules[module_name]
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        folder = FUNCTIONS_DIR / name
        spec = importlib.util.spec_from_file_location(module_name, folder / "index.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(folder))  # its other modules import by plain name, as from the zip's root
        try:
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(folder))
            _forget_plain_imports(folder)
        sys.modules[module_name] = module
        return module


def _forget_plain_imports(folder: Path) -> None:
    """Drop the folder's modules imported by plain name: another function may have modules of the same names."""
    for key, loaded in list(sys.modules.items()):
        path = Path(getattr(loaded, "__file__", None) or "/")
        if folder in path.parents and key.split(".")[0] == path.relative_to(folder).parts[0].removesuffix(".py"):
            del sys.modules[key]
