"""The runner's settings: one environment profile of profiles/cutover.yml, overridden by
CUTOVER_<SETTING> environment variables, overridden by command-line flags. Connection settings
and secrets are not here: runner.config reads them from the environment only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from runner.config import PROJECT_DIR
from runner.errors import CutoverError

SETTINGS_FILE = PROJECT_DIR / "profiles" / "cutover.yml"
VALIDATION_LEVELS = ("basic", "standard", "comprehensive")


@dataclass(frozen=True)
class MigrationSettings:
    batch_size: int = 100_000
    max_concurrency: int = 4
    retry_attempts: int = 3
    retry_backoff_seconds: float = 1.0
    validation_level: str = "standard"
    error_tolerance: float = 10.0
    keep_before_images: int = 3  # executions whose before-image copies are kept for rollback


@dataclass(frozen=True)
class AlertingConfig:
    enabled: bool = True
    error_threshold: float = 5.0
    slow_query_threshold: float = 60.0


@dataclass(frozen=True)
class MonitoringConfig:
    progress_reporting: bool = True
    performance_metrics: bool = True
    health_checks: bool = True
    alerting: AlertingConfig = AlertingConfig()


@dataclass(frozen=True)
class EnvironmentProfile:
    name: str
    dbt_target: str
    migration: MigrationSettings
    monitoring: MonitoringConfig

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def _typed(cls, values: Mapping[str, Any], where: str):
    known = {f.name: f for f in fields(cls)}
    unknown = set(values) - set(known)
    if unknown:
        raise CutoverError(f"Unknown setting {sorted(unknown)[0]!r} in {where}.")
    converted = {}
    for name, value in values.items():
        default = getattr(cls(), name)
        if isinstance(default, AlertingConfig):
            converted[name] = _typed(AlertingConfig, value or {}, where)
        elif isinstance(default, bool):
            converted[name] = _as_bool(value, name)
        elif isinstance(default, (int, float)) and not isinstance(default, bool):
            try:
                converted[name] = type(default)(value)
            except (TypeError, ValueError) as exc:
                raise CutoverError(f"Setting {name} must be a number, not {value!r} ({where}).") from exc
        else:
            converted[name] = value
    return cls(**converted)


def _as_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise CutoverError(f"Setting {name} must be true or false, not {value!r}.")


def load_profile(
    name: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    path: Path = SETTINGS_FILE,
) -> EnvironmentProfile:
    """The named profile (CUTOVER_PROFILE, default development) with env and flag overrides."""
    env = os.environ if env is None else env
    name = name or env.get("CUTOVER_PROFILE", "development")
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CutoverError(f"Cannot read the settings file {path}: {exc}") from exc
    profiles = document.get("profiles", {})
    if name not in profiles:
        raise CutoverError(f"Unknown profile {name!r}: choose one of {', '.join(sorted(profiles))}.")
    raw = profiles[name] or {}
    migration = _typed(MigrationSettings, raw.get("migration", {}), f"profile {name}")
    monitoring = _typed(MonitoringConfig, raw.get("monitoring", {}), f"profile {name}")

    from_env = {
        f.name: env[f"CUTOVER_{f.name.upper()}"]
        for f in fields(MigrationSettings)
        if f"CUTOVER_{f.name.upper()}" in env
    }
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    changes = {**from_env, **flags}
    if changes:
        migration = _apply(migration, changes)
    _check(migration)
    return EnvironmentProfile(
        name=name,
        dbt_target=str(env.get("CUTOVER_DBT_TARGET", raw.get("dbt_target", "dev"))),
        migration=migration,
        monitoring=monitoring,
    )


def _apply(settings: MigrationSettings, changes: Mapping[str, Any]) -> MigrationSettings:
    typed = _typed(MigrationSettings, changes, "overrides")
    return replace(settings, **{name: getattr(typed, name) for name in changes})


def _check(settings: MigrationSettings) -> None:
    if settings.validation_level not in VALIDATION_LEVELS:
        raise CutoverError(
            f"Validation level must be one of {', '.join(VALIDATION_LEVELS)}, "
            f"not {settings.validation_level!r}."
        )
    if settings.batch_size < 1 or settings.max_concurrency < 1 or settings.retry_attempts < 0:
        raise CutoverError("batch_size and max_concurrency must be at least 1, retry_attempts at least 0.")
    if settings.keep_before_images < 1:
        raise CutoverError(
            "keep_before_images must be at least 1: "
            "an execution needs its own before-images to be rolled back."
        )
    if not 0 <= settings.error_tolerance <= 100:
        raise CutoverError(f"error_tolerance is a percentage, not {settings.error_tolerance}.")
