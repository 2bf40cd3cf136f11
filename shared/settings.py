"""Function settings: read through ``context.getUserData`` with ``os.environ`` as fallback."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Callable, FrozenSet, Optional, Tuple

from shared.errors import ConfigurationError

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_PROJECT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class SettingsSource:
    """Typed access to the function's environment variables; errors name the setting."""

    def __init__(self, context: Any) -> None:
        self._context = context

    def get(self, name: str) -> Optional[str]:
        reader = getattr(self._context, "getUserData", None)
        value = reader(name) if callable(reader) else None
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
        value = self.get(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ConfigurationError(f"setting {name} must be true or false, not {value!r}", field=name)

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        return int(self._number(name, default, low, high, int, "a whole number"))

    def seconds(self, name: str, default: float, low: float, high: float) -> float:
        return float(self._number(name, default, low, high, float, "a number of seconds"))

    def _number(self, name: str, default: float, low: float, high: float, kind: Callable[[str], float],
                what: str) -> float:
        value = self.get(name)
        if value is None:
            return default
        try:
            number = kind(value)
        except ValueError:
            number = None
        if number is None or not low <= number <= high:  # NaN fails the comparison too
            raise ConfigurationError(f"setting {name} must be {what} from {low} to {high}, not {value!r}",
                                     field=name)
        return number

    def items(self, name: str) -> Tuple[str, ...]:
        """A comma-separated list; blanks and duplicates dropped, order kept."""
        value = self.get(name) or ""
        return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))

    def item_set(self, name: str) -> FrozenSet[str]:
        return frozenset(self.items(name))


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
        region = source.required("REGION", "set it to the region of the services, e.g. cn-north-4")
        if not _REGION.match(region):
            raise ConfigurationError(f"setting REGION is not a region id like cn-north-4: {region!r}",
                                     field="REGION")
        project_id = source.text("PROJECT_ID") or source.get("RUNTIME_PROJECT_ID")
        if project_id is None:
            raise ConfigurationError(
                "setting PROJECT_ID is missing and the runtime gave no RUNTIME_PROJECT_ID: "
                "set PROJECT_ID to the project whose access is revoked", field="PROJECT_ID")
        if not _PROJECT_ID.match(project_id):
            raise ConfigurationError(f"setting PROJECT_ID is not a project id: {project_id!r}",
                                     field="PROJECT_ID")
        log_level = (source.text("LOG_LEVEL", "INFO") or "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise ConfigurationError(f"setting LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}",
                                     field="LOG_LEVEL")
        return cls(
            region=region,
            project_id=project_id,
            dry_run=source.flag("DRY_RUN", True),
            log_level=log_level,
            max_concurrency=source.integer("MAX_CONCURRENCY", 4, 1, 32),
            max_attempts=source.integer("MAX_ATTEMPTS", 4, 1, 10),
            retry_base_delay=source.seconds("RETRY_BASE_DELAY", 0.25, 0.01, 10.0),
            connect_timeout=source.seconds("HTTP_CONNECT_TIMEOUT", 3.0, 0.1, 60.0),
            read_timeout=source.seconds("HTTP_READ_TIMEOUT", 10.0, 0.1, 300.0),
        )
