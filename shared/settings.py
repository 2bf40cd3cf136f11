"""Function settings: read through ``context.getUserData`` with ``os.environ`` as fallback; what each
setting is (type, default, range) is declared in shared/manifest.py."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Final, Optional, Tuple

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


# Not a dataclass: cheaper to create on a cold start (docs/performance.md); Final: read-only, checked by mypy.
class Settings:
    """The settings every function reads, validated once per invocation."""

    __slots__ = ("region", "project_id", "dry_run", "log_level", "max_concurrency", "max_attempts", "retry_base_delay",
                 "connect_timeout", "read_timeout", "targets", "target_concurrency")
    region: Final[str]
    project_id: Final[str]
    dry_run: Final[bool]
    log_level: Final[str]
    max_concurrency: Final[int]
    max_attempts: Final[int]
    retry_base_delay: Final[float]
    connect_timeout: Final[float]
    read_timeout: Final[float]
    targets: Final[Tuple["scope.Entry", ...]]  # TARGETS; empty: PROJECT_ID in REGION only
    target_concurrency: Final[int]

    def __init__(self, region: str, project_id: str, dry_run: bool, log_level: str, max_concurrency: int,
                 max_attempts: int, retry_base_delay: float, connect_timeout: float, read_timeout: float,
                 targets: Tuple["scope.Entry", ...] = (), target_concurrency: int = 4) -> None:
        self.region = region
        self.project_id = project_id
        self.dry_run = dry_run
        self.log_level = log_level
        self.max_concurrency = max_concurrency
        self.max_attempts = max_attempts
        self.retry_base_delay = retry_base_delay
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.targets = targets
        self.target_concurrency = target_concurrency

    def placed(self, region: str, project_id: str) -> "Settings":
        """The same settings for another region and project (one target of TARGETS, or where STS answers)."""
        return Settings(region, project_id, self.dry_run, self.log_level, self.max_concurrency, self.max_attempts,
                        self.retry_base_delay, self.connect_timeout, self.read_timeout, self.targets,
                        self.target_concurrency)

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
