"""Function settings: read through ``context.getUserData`` with ``os.environ`` as fallback; what each
setting is (type, default, range) is declared in shared/manifest.py."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Tuple

from shared import manifest

if TYPE_CHECKING:  # imported only where TARGETS or a request's targets are read
    from shared import scope
from shared.errors import ConfigurationError


class SettingsSource:
    """The function's environment variables as text; shared/manifest.py types them."""

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
    targets: Tuple["scope.Entry", ...] = ()  # TARGETS; empty: PROJECT_ID in REGION only
    target_concurrency: int = 4

    @property
    def scope(self) -> Tuple["scope.Entry", ...]:
        """The configured entries: TARGETS, or the function's own project."""
        from shared.scope import Entry

        return self.targets or (Entry(self.region, self.project_id),)

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
            targets=manifest.TARGETS.read(source),
            target_concurrency=manifest.TARGET_CONCURRENCY.read(source),
        )
