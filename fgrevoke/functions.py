"""Finding and loading the function handlers of this checkout (developer tooling)."""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import List

from fgrevoke.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_DIR = ROOT / "functions"
_lock = threading.Lock()  # a module half-way through import must not be handed to another thread


def names() -> List[str]:
    return sorted(p.name for p in FUNCTIONS_DIR.iterdir() if (p / "index.py").is_file())


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
        spec = importlib.util.spec_from_file_location(module_name, FUNCTIONS_DIR / name / "index.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[module_name] = module
        return module
