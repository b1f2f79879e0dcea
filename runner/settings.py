"""The runner's settings: one environment profile of profiles/cutover.yml (or of the file named
by CUTOVER_SETTINGS_FILE), overridden by CUTOVER_<SETTING> environment variables, overridden by
command-line flags. Connection settings and secrets are not here: runner.config reads them from
the environment only.

Every layer is judged by the same schema (pydantic, strict): each section and key known, no
float or bool where a whole number goes, ranges checked, duplicate keys refused. A setting that
breaks a rule stops the command with one sentence naming where it was set, the key and what is
expected.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from runner.config import PROJECT_DIR
from runner.errors import CutoverError

SETTINGS_FILE = PROJECT_DIR / "profiles" / "cutover.yml"
# The validation levels, in order (the tests of each: runner/gate.py LEVEL_EXCLUDES).
ValidationLevel = Literal["basic", "standard", "comprehensive"]
VALIDATION_LEVELS: tuple[str, ...] = get_args(ValidationLevel)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class MigrationSettings(_Section):
    batch_size: int = Field(100_000, ge=1, le=100_000_000)
    max_concurrency: int = Field(4, ge=1, le=32)
    retry_attempts: int = Field(3, ge=0, le=20)
    retry_backoff_seconds: float = Field(1.0, ge=0, le=3600, allow_inf_nan=False)
    # the waits between attempts: the first, then growing by it (linear) or doubling (exponential)
    retry_backoff: Literal["linear", "exponential"] = "exponential"
    validation_level: ValidationLevel = "standard"
    error_tolerance: float = Field(10.0, ge=0, le=100, allow_inf_nan=False)
    # % of rows quarantined (an entity's, or the execution's so far) above which the execution
    # rolls itself back to its before-images; none: a failed gate only stops the run
    rollback_threshold: float | None = Field(None, ge=0, le=100, allow_inf_nan=False)
    # a failed gate leaves the execution awaiting a decision: resume --accept or rollback
    manual_intervention: bool = False
    # executions whose before-image copies are kept for rollback: an execution needs its own
    keep_before_images: int = Field(3, ge=1, le=1000)


class AlertingConfig(_Section):
    enabled: bool = True
    error_threshold: float = Field(5.0, ge=0, le=100, allow_inf_nan=False)
    slow_query_threshold: float = Field(60.0, gt=0, le=86_400, allow_inf_nan=False)
    # the post-validation performance check: an entity writing fewer rows per second, or more
    # than max_slowdown % fewer than in the previous execution of the profile, earns a warning
    min_rows_per_second: float = Field(500.0, ge=0, le=100_000_000, allow_inf_nan=False)
    max_slowdown: float = Field(50.0, gt=0, le=100, allow_inf_nan=False)


class MonitoringConfig(_Section):
    progress_reporting: bool = True
    performance_metrics: bool = True
    health_checks: bool = True
    alerting: AlertingConfig = AlertingConfig()


ERROR_CLASSES = ("critical", "major", "minor", "warning")
DEFAULT_ERROR_CLASSES = {
    "critical": ["severity:error"],
    "major": ["transient"],
    "minor": ["reason:*"],
    "warning": ["severity:warn"],
}
_FAILURE = re.compile(r"transient|severity:(error|warn)|test:\S+|reason:\S+")


class ErrorClasses(_Section):
    """Which failures are critical (the run stops), major (retried with backoff), minor (logged,
    the run goes on) or warning (logged only). A failure is named by a pattern: `transient` (a
    database error the runner knows to be passing: a lost connection, a deadlock, a
    serialization failure), `severity:error` or `severity:warn` (a failed dbt test by its
    severity), `test:<name>` (a failed test by name, * and ? as wildcards; a name beats a
    severity), `reason:<code>` (rows quarantined for that reason; critical stops the run at the
    gate if there is one, minor counts against the error tolerance, warning does not). The
    defaults are the runner's behaviour before the classes existed."""

    critical: list[str] = DEFAULT_ERROR_CLASSES["critical"]
    major: list[str] = DEFAULT_ERROR_CLASSES["major"]
    minor: list[str] = DEFAULT_ERROR_CLASSES["minor"]
    warning: list[str] = DEFAULT_ERROR_CLASSES["warning"]

    @model_validator(mode="before")
    @classmethod
    def _defaults_give_way(cls, data: Any) -> Any:
        """A class the profile leaves out keeps its defaults, less what the profile put elsewhere
        (critical: [transient] alone takes transient out of major)."""
        if not isinstance(data, dict):
            return data
        placed = {p for name in ERROR_CLASSES if isinstance(data.get(name), list) for p in data[name]}
        kept = {
            name: [p for p in DEFAULT_ERROR_CLASSES[name] if p not in placed]
            for name in ERROR_CLASSES
            if name not in data
        }
        return {**kept, **data}

    @model_validator(mode="after")
    def _patterns(self) -> ErrorClasses:
        seen: dict[str, str] = {}
        for name in ERROR_CLASSES:
            for pattern in getattr(self, name):
                if not _FAILURE.fullmatch(pattern):
                    raise ValueError(
                        f"puts {pattern!r} in {name}, which names no failure (expected transient, "
                        "severity:error, severity:warn, test:<name> or reason:<code>)"
                    )
                if pattern in seen:
                    raise ValueError(f"puts {pattern!r} in both {seen[pattern]} and {name}")
                seen[pattern] = name
                if pattern == "transient" and name not in ("critical", "major"):
                    raise ValueError(
                        f"puts transient in {name}: transient errors are critical (no retry) "
                        "or major (retried)"
                    )
                if name == "major" and pattern != "transient":
                    raise ValueError(f"puts {pattern!r} in major: only transient errors can be retried")
        return self


class ProfileSection(_Section):
    """One profile as profiles/cutover.yml writes it."""

    dbt_target: str = Field("dev", min_length=1)
    migration: MigrationSettings = MigrationSettings()
    monitoring: MonitoringConfig = MonitoringConfig()
    error_classes: ErrorClasses = ErrorClasses()


class SettingsFile(_Section):
    profiles: dict[str, ProfileSection]


class EnvironmentProfile(ProfileSection):
    name: str

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump()


def load_profile(
    name: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    path: Path | None = None,
    option_names: Mapping[str, str] | None = None,
) -> EnvironmentProfile:
    """The named profile (CUTOVER_PROFILE, default development) with env and flag overrides
    (option_names: the command-line option that sets each override, for the error message)."""
    option_names = option_names or {}
    env = os.environ if env is None else env
    name = name or env.get("CUTOVER_PROFILE", "development")
    settings = read_settings_file(path or Path(env.get("CUTOVER_SETTINGS_FILE") or SETTINGS_FILE))
    if name not in settings.profiles:
        raise CutoverError(f"Unknown profile {name!r}: choose one of {', '.join(sorted(settings.profiles))}.")
    section = settings.profiles[name]

    variables = {
        f"CUTOVER_{key.upper()}": key
        for key in MigrationSettings.model_fields
        if f"CUTOVER_{key.upper()}" in env
    }
    from_env = _judged(
        lambda: MigrationSettings.model_validate_strings({key: env[var] for var, key in variables.items()}),
        lambda loc: f"The environment variable CUTOVER_{str(loc[0]).upper()}",
        MigrationSettings,
    )
    flags = {key: value for key, value in (overrides or {}).items() if value is not None}
    from_flags = _judged(
        lambda: MigrationSettings.model_validate(flags),
        lambda loc: f"The option {option_names.get(str(loc[0]), '--' + str(loc[0]).replace('_', '-'))}",
        MigrationSettings,
    )
    migration = section.migration.model_copy(
        update={
            **{key: getattr(from_env, key) for key in variables.values()},
            **{key: getattr(from_flags, key) for key in flags},
        }
    )
    dbt_target = env.get("CUTOVER_DBT_TARGET") or section.dbt_target
    threshold = migration.rollback_threshold
    if threshold is not None and threshold < migration.error_tolerance:
        raise CutoverError(
            f"The rollback threshold ({threshold:g}%) is below the error tolerance "
            f"({migration.error_tolerance:g}%): an execution would roll back before its gate could "
            "stop it; raise rollback_threshold or lower error_tolerance."
        )
    return EnvironmentProfile(
        name=name,
        dbt_target=dbt_target,
        migration=migration,
        monitoring=section.monitoring,
        error_classes=section.error_classes,
    )


def read_settings_file(path: Path = SETTINGS_FILE) -> SettingsFile:
    try:
        document = yaml.load(path.read_text(), Loader=_UniqueKeyLoader)
    except OSError as exc:
        raise CutoverError(f"Cannot read the settings file {path}: {exc.strerror}.") from exc
    except yaml.YAMLError as exc:
        raise CutoverError(f"The settings file {path} is not valid YAML: {_yaml_problem(exc)}.") from exc
    if document is None:
        raise CutoverError(
            f"The settings file {path} is empty: it must hold the profiles (profiles: development: ...)."
        )
    return _judged(
        lambda: SettingsFile.model_validate(document),
        lambda loc: f"{path}: {'.'.join(map(str, loc)) or 'the document'}",
        SettingsFile,
    )


def _judged(validate, where, model: type[BaseModel]):
    """validate(), its first error put as one sentence: where(loc) names the setting."""
    try:
        return validate()
    except ValidationError as exc:
        # a misspelt key is also a missing one: name the misspelling
        error = min(exc.errors(include_url=False), key=lambda e: e["type"] == "missing")
        loc = error["loc"]
        raise CutoverError(f"{where(loc)} {_expected(error, model)}.") from None


_EXPECTED = {
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be text",
    "string_too_short": "must not be empty",
    "list_type": "must be a list",
    "dict_type": "must be a mapping of settings",
    "model_type": "must be a mapping of settings",
    "model_attributes_type": "must be a mapping of settings",
    "missing": "is missing",
}


def _expected(error: dict, model: type[BaseModel]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error") or error["msg"])
    if kind == "extra_forbidden":
        known = _fields_at(model, error["loc"][:-1])
        return f"is not a known setting (expected one of: {', '.join(known)})"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        words = {
            "greater_than_equal": "at least",
            "greater_than": "more than",
            "less_than_equal": "at most",
            "less_than": "less than",
        }
        bound = next(iter(ctx.values()))
        text = (
            f"must be {words[kind]} {bound:g}"
            if isinstance(bound, float)
            else f"must be {words[kind]} {bound:,}"
        )
    elif kind == "literal_error":
        text = f"must be one of {ctx['expected']}"
    else:
        text = _EXPECTED.get(kind, error["msg"].replace("Input should", "must"))
    if kind == "missing":
        return text
    return f"{text}, not {_shown(error.get('input'))}"


def _shown(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "nothing"}[value]
    if isinstance(value, (dict, list)):
        return f"a {'mapping' if isinstance(value, dict) else 'list'}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys the section at loc may hold."""
    steps = list(loc)
    while steps:
        step = steps.pop(0)
        if model is SettingsFile:  # profiles.<name>
            model = ProfileSection
            del steps[:1]
        else:
            model = model.model_fields[step].annotation
    return list(model.model_fields)


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key written twice in one mapping (yaml keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is written twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    return f"{problem} (line {mark.line + 1})" if mark else problem
