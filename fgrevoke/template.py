"""Reading template.yml: parameters resolved (defaults, then overrides), one spec per function."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import yaml

from fgrevoke import user_files
from fgrevoke.errors import UsageError
from fgrevoke.functions import ROOT

TEMPLATE = ROOT / "template.yml"
FUNCTION_TYPE = "HC::Serverless::Function"
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


class TemplateError(UsageError):
    """template.yml or a --param is wrong: a usage error (exit 2) naming the field."""


class ParameterError(TemplateError):
    """A parameter override (``--param``, fgrevoke.toml) is malformed, unknown or not an allowed value."""


@dataclass
class FunctionSpec:
    resource: str
    properties: Dict[str, Any]

    @property
    def folder(self) -> str:
        return Path(str(self.properties.get("CodeUri", ""))).name

    @property
    def name(self) -> str:
        return str(self.properties.get("Name") or self.resource)

    @property
    def variables(self) -> Dict[str, str]:
        return dict((self.properties.get("Environment") or {}).get("Variables") or {})

    @property
    def encrypted_variables(self) -> Dict[str, str]:
        return dict((self.properties.get("Environment") or {}).get("EncryptedVariables") or {})

    @property
    def triggers(self) -> List[Dict[str, Any]]:
        return list(self.properties.get("Triggers") or [])

    @property
    def enabled_triggers(self) -> List[Dict[str, Any]]:
        """The triggers deploy creates: the others are left out of the account (and removed from it)."""
        return [trigger for trigger in self.triggers if enabled(trigger)]

    @property
    def python_version(self) -> str:
        return str(self.properties.get("Runtime", "Python3.10")).replace("Python", "")


def enabled(trigger: Mapping[str, Any]) -> bool:
    """A trigger's ``Enabled`` (default true): whether it exists at all. Not ``Status``, which FunctionGraph
    accepts as DISABLED only for a few trigger types."""
    value = trigger.get("Enabled", True)
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise ValueError(f"{value!r} must be true or false")


def read(path: Path = TEMPLATE) -> Any:
    """The template file's YAML; a file that cannot be read or is not YAML is a usage error naming it."""
    text = user_files.read_text(path, "--template")
    try:
        return user_files.parse(text, yaml.safe_load, str(path), "YAML")
    except yaml.YAMLError as error:  # its later lines quote the file
        raise UsageError(f"{path} is not valid YAML: {str(error).splitlines()[0]}") from None


def load(path: Path = TEMPLATE, overrides: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    raw = read(path)
    if not isinstance(raw, dict):
        raise TemplateError(f"{path}: not a YAML mapping")
    parameters = raw.get("Parameters") or {}
    values = {name: str((spec or {}).get("Default", "")) for name, spec in parameters.items()}
    for name, value in (overrides or {}).items():
        if name not in values:
            raise ParameterError(f"unknown parameter {name!r}; the template has: {', '.join(sorted(values))}")
        values[name] = value
    for name, spec in parameters.items():
        allowed = (spec or {}).get("AllowedValues")
        if allowed and values[name] not in [str(a) for a in allowed]:
            refused = ParameterError if name in (overrides or {}) else TemplateError
            raise refused(f"Parameters.{name}: {values[name]!r} is not one of {allowed}")
    return _substitute(raw, values)


def functions(template: Dict[str, Any]) -> List[FunctionSpec]:
    return [FunctionSpec(name, dict(resource.get("Properties") or {}))
            for name, resource in (template.get("Resources") or {}).items()
            if isinstance(resource, dict) and resource.get("Type") == FUNCTION_TYPE]


def _substitute(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        def replace(match: "re.Match[str]") -> str:
            if match.group(1) not in values:
                raise TemplateError(f"${{{match.group(1)}}} names no parameter")
            return values[match.group(1)]
        return _PLACEHOLDER.sub(replace, value)
    if isinstance(value, dict):
        return {key: _substitute(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, values) for item in value]
    return value


def parse_overrides(pairs: List[str]) -> Dict[str, str]:
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"--param takes Name=value, not {pair!r}")
        overrides[name] = value
    return overrides
