"""The installed SDK still has the generated ``__init__`` format that shared/sdk_loader.py reads.

The loader never imports a service's ``vN/__init__.py`` or ``vN/model/__init__.py``: it reads their
``from <module> import <Name>`` lines to know where each name lives. If an SDK release writes those files
another way (``import *``, several names per line, an ``__all__``, assignments), names would silently go
missing, so this fails on any line the loader would not read, naming the file and the line.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from typing import List

import pytest

from shared import clients, sdk_loader

SERVICES = [clients.MODELARTS, clients.WORKSPACE, clients.WORKSPACEAPP, clients.IAM]
ROOT = Path(__file__).resolve().parents[1]


def init_files(package: str) -> List[Path]:
    top, _, version = package.partition(".")
    spec = importlib.util.find_spec(top)  # imports only the top package, whose __init__ is empty
    assert spec is not None and spec.origin, f"{top} is not installed"
    directory = Path(spec.origin).parent / version
    return [directory / "__init__.py", directory / "model" / "__init__.py"]


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.package)
def test_every_line_of_the_generated_inits_is_one_the_loader_reads(service):
    for init in init_files(service.package):
        for number, line in enumerate(init.read_text(encoding="utf-8").splitlines(), 1):
            text = line.strip()
            if not text or text.startswith("#") or text.startswith("from __future__ import "):
                continue
            assert sdk_loader._EXPORT_LINE.fullmatch(text), (
                f"{init}:{number}: {text!r} is not 'from <module> import <Name>': shared/sdk_loader.py would "
                "miss what it defines; update the loader for this SDK release")


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.package)
def test_the_table_names_the_client_and_real_modules(service):
    package_init, model_init = init_files(service.package)
    exports = sdk_loader._exports(str(package_init.parent))
    models = sdk_loader._exports(str(model_init.parent))
    assert exports[service.client_class].startswith(service.package + ".")
    assert len(models) > 10 and set(models) <= set(exports), "every model is also exported by the package"
    root = package_init.parents[2]  # site-packages
    missing = [module for module in set(exports.values()) - {"__future__"}
               if not os.path.isfile(root / (module.replace(".", "/") + ".py"))]
    assert missing == [], f"the table points at modules that do not exist: {sorted(missing)[:5]}"


def test_every_sdk_class_the_handlers_use_is_in_a_table():
    used = {name for path in sorted((ROOT / "functions").glob("*/*.py"))
            for name in re.findall(r"\bsdk(?:\(\))?\.([A-Z]\w+)", path.read_text(encoding="utf-8"))}
    known = {name for service in SERVICES for name in sdk_loader._exports(str(init_files(service.package)[0].parent))}
    assert used and used <= known, f"not in any SDK table: {sorted(used - known)}"
