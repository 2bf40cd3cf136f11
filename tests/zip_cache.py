"""The zips one `make test` builds, kept under build/test-zips and used again by the suites and tests that follow
(the packaging tests, the runtime suites, the bench smoke): a zip built from the same sources, pins, packaging code
and Python is the same zip (tests/test_packaging.py checks that builds are reproducible)."""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import shutil
from pathlib import Path
from typing import Optional

from fgrevoke import packaging, template
from fgrevoke.functions import ROOT

ZIP_CACHE = ROOT / "build" / "test-zips"


def package(spec: template.FunctionSpec, dest: Path) -> packaging.Package:
    """The function's zip: the one kept by an earlier build of the same inputs, else built now and kept. Workers
    that want the same zip at once wait for the one building it."""
    ZIP_CACHE.mkdir(parents=True, exist_ok=True)
    with open(ZIP_CACHE / f"{spec.folder}-{build_key(spec)}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        kept = cached(spec)
        if kept is None:
            kept = keep(spec, packaging.build(spec, dest))
        return kept


def build_key(spec: template.FunctionSpec) -> str:
    """What a zip is made of: its Python, its sources, the pins for that Python and the packaging code itself."""
    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "functions" / spec.folder).rglob("*"), *(ROOT / "shared").rglob("*"),
                        ROOT / "fgrevoke" / "packaging.py", ROOT / "pyproject.toml"]):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    digest.update(f"Python {spec.python_version}: ".encode())
    digest.update(" ".join(packaging.requirements(spec.folder, spec.python_version)).encode())
    return digest.hexdigest()[:24]


def cached(spec: template.FunctionSpec) -> Optional[packaging.Package]:
    record = ZIP_CACHE / f"{spec.folder}-{build_key(spec)}.json"
    if not record.is_file():
        return None
    fields = json.loads(record.read_text())
    kept = packaging.Package(**{**fields, "path": Path(fields["path"])})
    return kept if kept.path.is_file() else None


def keep(spec: template.FunctionSpec, built: packaging.Package) -> packaging.Package:
    key = build_key(spec)
    kept = dataclasses.replace(built, path=ZIP_CACHE / f"{spec.folder}-{key}.zip")
    shutil.copyfile(built.path, kept.path)
    record = ZIP_CACHE / f"{spec.folder}-{key}.json"
    partial = record.with_suffix(".partial")  # the record last, whole: a killed run leaves no record of a half zip
    partial.write_text(json.dumps({**dataclasses.asdict(kept), "path": str(kept.path)}))
    partial.replace(record)
    return kept
