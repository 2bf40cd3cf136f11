"""The project config file, ``fgrevoke.toml`` (in the spirit of SAM's ``samconfig.toml``): per stage, the
project id, the region and template parameters, so ``validate``, ``deploy``, ``destroy`` and ``invoke`` need no
repeated flags. Flags override the file; the file overrides the template's defaults.

    [default]                      # the stage used without --stage
    project_id = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    region = "cn-north-4"          # sets the template's Region parameter
    [default.parameters]           # any template parameter
    DryRun = "true"

    [prod]
    project_id = "…"
    region = "ap-southeast-1"
    [prod.parameters]
    DryRun = false                 # booleans and numbers become "false", "90"
    ProtectedUserIds = "…"

The file is ``--config FILE``, else ``fgrevoke.toml`` in the current directory; stages do not inherit from
each other. An unknown stage or key is a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Optional

from fgrevoke import user_files
from fgrevoke.errors import UsageError

FILE_NAME = "fgrevoke.toml"
DEFAULT_STAGE = "default"
KEYS = ("project_id", "region", "parameters")


@dataclass(frozen=True)
class Stage:
    name: str = DEFAULT_STAGE
    path: Optional[Path] = None  # None: no config file
    project_id: Optional[str] = None
    region: Optional[str] = None
    parameters: Dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """What a command runs with, after the file and the flags."""

    stage: Stage
    parameters: Dict[str, str]  # template parameter overrides: the stage's, its region, then --param
    project_id: Optional[str]


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stage", default=DEFAULT_STAGE, help=f"stage in {FILE_NAME} (default: %(default)s)")
    parser.add_argument("--config", type=Path, default=None, help=f"project config file (default: ./{FILE_NAME} "
                                                                   "if present)")


def load(path: Optional[Path] = None, stage: str = DEFAULT_STAGE) -> Stage:
    """The stage's settings; an empty stage when no file is given or found and the stage is the default."""
    if path is None:
        found = Path.cwd() / FILE_NAME
        if not found.is_file():
            if stage != DEFAULT_STAGE:
                raise UsageError(f"--stage {stage}: there is no {FILE_NAME} here; create one or give --config FILE")
            return Stage()
        path = found
    document = _parse(path)
    table = document.get(stage)
    if not isinstance(table, dict):
        stages = ", ".join(name for name, value in document.items() if isinstance(value, dict)) or "none"
        raise UsageError(f"{path} has no stage [{stage}] (stages: {stages}); add it or give another --stage")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise UsageError(f"{path} [{stage}]: unknown key(s) {', '.join(unknown)}; the keys are {', '.join(KEYS)}")
    parameters = table.get("parameters", {})
    if not isinstance(parameters, dict):
        raise UsageError(f"{path} [{stage}].parameters must be a table of template parameters")
    return Stage(stage, path, _text(path, stage, "project_id", table.get("project_id")),
                 _text(path, stage, "region", table.get("region")),
                 {name: str(_text(path, stage, f"parameters.{name}", value)) for name, value in parameters.items()})


def resolve(args: argparse.Namespace) -> Settings:
    """The settings a command runs with: ``args`` has ``stage``, ``config`` and ``param`` (and may have
    ``project_id``). Parameters: the stage's, then its region as ``Region``, then each ``--param``."""
    from fgrevoke.template import parse_overrides

    stage = load(getattr(args, "config", None), getattr(args, "stage", DEFAULT_STAGE))
    parameters = dict(stage.parameters)
    if stage.region:
        parameters["Region"] = stage.region
    parameters.update(parse_overrides(getattr(args, "param", None) or []))
    project_id = getattr(args, "project_id", None) or stage.project_id or parameters.get("ProjectId") or \
        os.environ.get("HUAWEICLOUD_SDK_PROJECT_ID")
    return Settings(stage, parameters, project_id)


def _parse(path: Path) -> Dict[str, Any]:
    if sys.version_info >= (3, 11):  # the tooling's Python; the functions' code runs on 3.9 too
        import tomllib

        text = user_files.read_text(path, "--config")
        return user_files.parse(text, tomllib.loads, str(path), "TOML")
    raise UsageError(f"reading {path} needs Python 3.11 or later (tomllib); run fgrevoke from .venv")


def _text(path: Path, stage: str, key: str, value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise UsageError(f"{path} [{stage}] {key}: give text, a number or true/false, not {type(value).__name__}")
