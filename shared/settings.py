"""Function settings: read through ``context.getUserData`` with ``os.environ`` as fallback; what each
setting is (type, default, range) is declared in shared/manifest.py."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, FrozenSet, Optional, Tuple

from shared import manifest
from shared.errors import ConfigurationError, InvalidRequest
from shared.fields import folded


class SettingsSource:
    """Typed access to the function's environment variables; errors name the setting."""

    def __init__(self, context: Any) -> None:
        self._context = context

    def get(self, name: str) -> Optional[str]:
        reader = getattr(self._context, "getUserData", None)
        try:
            value = reader(name) if callable(reader) else None
        except Exception:  # a broken context is a configuration problem, not a crash
            raise ConfigurationError(f"setting {name} could not be read from the function's context",
                                     field=name) from None
        if isinstance(value, (bytes, bytearray)):
            value = value.decode("utf-8", "replace")
        if value in (None, ""):
            value = os.environ.get(name)
        if value is None:
            return None
        value = str(value).strip()
        return value or None

    def text(self, name: str, default: Optional[str] = None) -> Optional[str]:
        value = self.get(name)
        return default if value is None else value

    def required(self, name: str, hint: str) -> str:
        value = self.get(name)
        if value is None:
            raise ConfigurationError(f"setting {name} is missing: {hint}", field=name)
        return value

    def flag(self, name: str, default: bool) -> bool:
        return bool(manifest.flag(name, "", default).read(self))

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        return int(manifest.integer(name, "", default, low, high).read(self))

    def seconds(self, name: str, default: float, low: float, high: float) -> float:
        return float(manifest.seconds(name, "", default, low, high).read(self))

    def items(self, name: str) -> Tuple[str, ...]:
        """A comma-separated list; blanks and duplicates dropped, order kept."""
        value = self.get(name) or ""
        return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))

    def protected(self, name: str, parse: Callable[[Any, str], str]) -> FrozenSet[str]:
        """A protected list: each entry checked by the request field's own parser (a bad entry is a
        configuration error, never a silent miss), compared case-insensitively (``fields.folded``)."""
        entries = []
        for index, item in enumerate(self.items(name)):
            try:
                entries.append(parse(item, f"{name}[{index}]"))
            except InvalidRequest as problem:
                raise ConfigurationError(f"setting {problem.message}", field=name) from None
        return folded(entries)


@dataclass(frozen=True)
class Settings:
    """The settings every function reads, validated once per invocation."""

    region: str
    project_id: str
    dry_run: bool
    log_level: str
    max_concurrency: int
    max_attempts: int
    retry_base_delay: float
    connect_timeout: float
    read_timeout: float

    @classmethod
    def load(cls, source: SettingsSource) -> "Settings":
        region = manifest.REGION.read(source)
        project_id = manifest.PROJECT_ID.read(source)
        if project_id is None:
            runtime_project = source.get("RUNTIME_PROJECT_ID")
            if runtime_project is None:
                raise ConfigurationError(
                    "setting PROJECT_ID is missing and the runtime gave no RUNTIME_PROJECT_ID: "
                    "set PROJECT_ID to the project whose access is revoked", field="PROJECT_ID")
            project_id = manifest.PROJECT_ID.parse(runtime_project)
        return cls(
            region=region,
            project_id=project_id,
            dry_run=manifest.DRY_RUN.read(source),
            log_level=manifest.LOG_LEVEL.read(source),
            max_concurrency=manifest.MAX_CONCURRENCY.read(source),
            max_attempts=manifest.MAX_ATTEMPTS.read(source),
            retry_base_delay=manifest.RETRY_BASE_DELAY.read(source),
            connect_timeout=manifest.HTTP_CONNECT_TIMEOUT.read(source),
            read_timeout=manifest.HTTP_READ_TIMEOUT.read(source),
        )
