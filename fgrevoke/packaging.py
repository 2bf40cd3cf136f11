"""``fgrevoke package``: dist/<function>.zip with the function's folder at the root (index.py, its
manifest.py and any other module of its own), shared/, and only that function's dependencies, installed
from wheels for the target runtime (Linux x86_64, the template's Python version). Builds are
reproducible: fixed timestamps, order and permissions, hash-based canonical .pyc."""

from __future__ import annotations

import contextlib
import glob
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Union

from marshalparser.magic import get_pyc_header_lenght
from marshalparser.marshalparser import MarshalParser
from packaging.requirements import Requirement

from fgrevoke.errors import ToolError
from fgrevoke.functions import FUNCTIONS_DIR, ROOT
from fgrevoke.template import FunctionSpec
from shared import manifest

DIST = ROOT / "dist"
PLATFORM = "manylinux2014_x86_64"
ZIP_LIMIT = 50 * 2**20  # code uploaded through the API
CONSOLE_LIMIT = 40 * 2**20  # code uploaded on the console
UNZIPPED_LIMIT = 1500 * 2**20
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
COMPRESS_LEVEL = 6
CODE_ROOT = "/opt/function/code"  # RUNTIME_CODE_ROOT
SOURCE_ONLY = shutil.ignore_patterns("__pycache__", "*.pyc")


@dataclass
class Package:
    function: str
    path: Path
    zip_bytes: int
    unzipped_bytes: int
    files: int
    compiled_with: Optional[str]

    @property
    def problems(self) -> List[str]:
        problems = []
        if self.zip_bytes > ZIP_LIMIT:
            problems.append(f"{self.path.name}: {mib(self.zip_bytes)} is over the {mib(ZIP_LIMIT)} upload limit")
        if self.unzipped_bytes > UNZIPPED_LIMIT:
            problems.append(f"{self.path.name}: {mib(self.unzipped_bytes)} unzipped is over {mib(UNZIPPED_LIMIT)}")
        return problems


def code_dir(spec: FunctionSpec) -> Path:
    """The function's folder (CodeUri, relative to the project root)."""
    return ROOT / str(spec.properties.get("CodeUri", ""))


def requirements(code: Union[str, Path], python_version: str = f"{sys.version_info[0]}.{sys.version_info[1]}"
                 ) -> List[str]:
    """The function's dependencies, pinned as pyproject.toml pins them for that Python (its environment
    markers applied): the core, the service SDKs its manifest declares (its own, then those its sweep reads), the
    IAM and STS SDKs (TARGETS: discovery and member accounts, loaded only when used), structlog. ``code``: the
    function's folder, or its name under functions/."""
    code = FUNCTIONS_DIR / code if isinstance(code, str) else code
    target = {"python_version": python_version, "python_full_version": f"{python_version}.0"}
    pins: Dict[str, str] = {}
    for line in re.findall(r'"([A-Za-z0-9_.-]+==[^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8")):
        pin = Requirement(line)
        if pin.marker is None or pin.marker.evaluate(target):
            pins.setdefault(pin.name, f"{pin.name}{pin.specifier}")
    wanted = list(dict.fromkeys(["huaweicloudsdkcore", *manifest.load(code).sdk_distributions, "huaweicloudsdkiam",
                                 "huaweicloudsdksts", "structlog"]))
    unpinned = [name for name in wanted if name not in pins]
    if unpinned:
        raise ToolError(f"pyproject.toml pins no {', '.join(unpinned)}: add it to [project] dependencies as "
                        "name==version")
    return [pins[name] for name in wanted]


def build(spec: FunctionSpec, dest: Path = DIST, progress: Callable[[str], None] = lambda _: None) -> Package:
    dest.mkdir(parents=True, exist_ok=True)
    code = code_dir(spec)
    reqs = requirements(code, spec.python_version)
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "tree"
        progress(f"{spec.folder}: installing {', '.join(reqs)} for Python {spec.python_version} {PLATFORM}")
        _install(reqs, tree, spec.python_version)
        for leftover in ("bin",):
            shutil.rmtree(tree / leftover, ignore_errors=True)
        # The whole folder: a handler may be split into modules of its own beside index.py.
        shutil.copytree(code, tree, dirs_exist_ok=True, ignore=SOURCE_ONLY)
        shutil.copytree(ROOT / "shared", tree / "shared", ignore=SOURCE_ONLY)
        compiled_with = _compile(tree, spec.python_version)
        if compiled_with is None:
            progress(f"{spec.folder}: no Python {spec.python_version} here, so no .pyc: cold starts will compile")
        path = dest / f"{spec.folder}.zip"
        files, unzipped = write_zip(tree, path)
    return Package(spec.folder, path, path.stat().st_size, unzipped, files, compiled_with)


def _install(reqs: List[str], tree: Path, python_version: str) -> None:
    # pip evaluates environment markers (structlog needs typing-extensions below 3.11) against the
    # interpreter that runs it, so run the runtime's own Python when this machine has it.
    python = interpreter(python_version) or sys.executable
    command = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
               "--target", str(tree), "--platform", PLATFORM, "--implementation", "cp",
               "--python-version", python_version, "--only-binary=:all:", *reqs]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ToolError(f"pip could not install {' '.join(reqs)} for Python {python_version} ({last}); check the "
                        "network to the package index and the pins in pyproject.toml")


def interpreter(python_version: str) -> Optional[str]:
    """A Python of exactly the runtime's version: on PATH, or under pyenv."""
    candidates = [shutil.which(f"python{python_version}") or ""]
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(f"{root}/versions/{python_version}.*/bin/python{python_version}"), reverse=True)
    for candidate in filter(None, candidates):
        done = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip() == python_version:
            return candidate
    return None


def _compile(tree: Path, python_version: str) -> Optional[str]:
    python = interpreter(python_version)
    if python is None:
        return None
    # Checked-hash .pyc files embed no mtime, and -s/-p give each file the name it has on FunctionGraph.
    subprocess.run([python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "checked-hash",
                    "-s", str(tree), "-p", CODE_ROOT, str(tree)], check=True,
                   env={"PATH": os.environ.get("PATH", ""), "PYTHONHASHSEED": "0"})
    # marshal flags an object as shareable whenever something else in the compiling process happens to hold it,
    # so about one build in three gave some .pyc a different byte; clearing the flags nothing refers back to
    # (as Fedora does for its packages) leaves one canonical form.
    with contextlib.redirect_stdout(io.StringIO()):  # the fixer reports every file it rewrites
        for pyc in sorted(tree.rglob("*.pyc")):
            parser = _FlagRefFixer(pyc)
            parser.parse()
            parser.clear_unused_ref_flags(overwrite=True)
    return python


class _FlagRefFixer(MarshalParser):
    """marshalparser without its human-readable transcript, whose string building costs 5 s per zip, and with
    linear-time byte reads and renumbering (its own are quadratic: 7 s of CPU per zip). Same output, byte for
    byte: tests/test_packaging.py compares the two."""

    def record_object_start(self, i: int, b: int, ref_id: Optional[int]) -> None:
        pass

    def record_object_result(self, result: object) -> None:
        pass

    def record_object_info(self, info: str) -> None:
        pass

    def __init__(self, filename: Path) -> None:
        super().__init__(filename)
        header = get_pyc_header_lenght(self.python_version) if self.python_version else 0
        self.cursor = self.iterator = _Cursor(self.bytes, header)

    def read_bytes(self, count: int = 1) -> bytes:
        return self.cursor.take(count)

    def clear_unused_ref_flags(self, overwrite: bool = False) -> None:
        """Clear the FLAG_REF bit of objects no TYPE_REF points to, and renumber the references: a reference
        to flagged object n becomes n minus the unused flags before it (flags are numbered in file order)."""
        content = bytearray(self.bytes)
        unused_before, unused = [], 0
        for flag in self.flag_refs:
            unused_before.append(unused)
            if flag.usages == 0:
                content[flag.byte] &= 0x7F
                unused += 1
        for reference in self.references:
            content[reference.byte + 1:reference.byte + 5] = \
                (reference.index - unused_before[reference.index]).to_bytes(4, "little")
        if content != self.bytes:
            (self.filename if overwrite else self.filename.with_suffix(".fixed" + self.filename.suffix)).write_bytes(
                content)


class _Cursor:
    """What marshalparser reads through, ``(position, byte)`` per ``next()``, with slices for byte runs."""

    def __init__(self, data: bytes, position: int) -> None:
        self.data, self.position = data, position

    def __iter__(self) -> "_Cursor":
        return self

    def __next__(self) -> "tuple[int, int]":
        position = self.position
        if position >= len(self.data):
            raise StopIteration
        self.position += 1
        return position, self.data[position]

    def take(self, count: int) -> bytes:
        run = self.data[self.position:self.position + count]
        if len(run) != count:
            raise RuntimeError("truncated marshal data")
        self.position += count
        return run


def write_zip(tree: Path, path: Path) -> "tuple[int, int]":
    """Written beside ``path`` and moved into place whole: a build killed half-way leaves no broken zip."""
    files = sorted(p for p in tree.rglob("*") if p.is_file())
    unzipped = 0
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    # zlib's default level: level 9 took 3.2 s per zip where 6 takes 1.0 s, for a zip 0.6 % smaller (2026-12-04).
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as archive:
        for file in files:
            info = zipfile.ZipInfo(file.relative_to(tree).as_posix(), date_time=FIXED_TIME)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = file.read_bytes()
            unzipped += len(data)
            archive.writestr(info, data, compresslevel=COMPRESS_LEVEL)
    os.replace(partial, path)
    return len(files), unzipped


def mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"
