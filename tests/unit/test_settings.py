"""profiles/cutover.yml, CUTOVER_<SETTING> and the run options judged by one schema: every wrong
shape, type, range or key is refused with one sentence naming where it was set, the key and what
is expected; nothing is taken in silently. No database needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from runner.cli import main
from runner.errors import CutoverError
from runner.settings import load_profile


def migration(line: str) -> str:
    return f"profiles:\n  development:\n    migration:\n      {line}\n"


def errors(line: str) -> str:
    return f"profiles:\n  development:\n    error_classes:\n      {line}\n"


# (the settings file, what the refusal says)
BAD_FILES = [
    (
        "profiles:\n  development:\n    monitoring:\n      alerting: 5\n",
        "profiles.development.monitoring.alerting must be a mapping of settings, not 5",
    ),
    (
        "profiles:\n  development:\n    migration: 5\n",
        "profiles.development.migration must be a mapping of settings, not 5",
    ),
    (
        "profiles:\n  development:\n    migration: [1, 2]\n",
        "profiles.development.migration must be a mapping of settings, not a list",
    ),
    ("profiles:\n  development: yes\n", "profiles.development must be a mapping of settings, not true"),
    ("- development\n- staging\n", "the document must be a mapping of settings, not a list"),
    ("profiles: [development]\n", "profiles must be a mapping of settings, not a list"),
    (
        "profiles:\n  development:\n    monitorng: {}\n",
        "profiles.development.monitorng is not a known setting "
        "(expected one of: dbt_target, migration, monitoring, error_classes)",
    ),
    ("prfiles:\n  development: {}\n", "prfiles is not a known setting (expected one of: profiles)"),
    (
        "profiles:\n  development:\n    monitoring:\n      alerting:\n        slow_query: 5\n",
        "profiles.development.monitoring.alerting.slow_query is not a known setting",
    ),
    (migration("retry_backoff_seconds: .inf"), "retry_backoff_seconds must be a finite number, not inf"),
    (migration("retry_backoff_seconds: .nan"), "retry_backoff_seconds must be a finite number, not nan"),
    (migration("retry_backoff_seconds: -1"), "retry_backoff_seconds must be at least 0, not -1"),
    (migration("retry_backoff_seconds: two"), "retry_backoff_seconds must be a number, not 'two'"),
    (migration("batch_size: 2.5"), "batch_size must be a whole number, not 2.5"),
    (migration("batch_size: true"), "batch_size must be a whole number, not true"),
    (migration("batch_size: '1000'"), "batch_size must be a whole number, not '1000'"),
    (migration("batch_size: 0"), "batch_size must be at least 1, not 0"),
    (migration("batch_size: 99999999999999999999999"), "batch_size must be at most 100,000,000"),
    (migration("max_concurrency: 1000"), "max_concurrency must be at most 32, not 1000"),
    (migration("retry_attempts: -1"), "retry_attempts must be at least 0, not -1"),
    (migration("error_tolerance: 101"), "error_tolerance must be at most 100, not 101"),
    (migration("keep_before_images: 0"), "keep_before_images must be at least 1, not 0"),
    (
        migration("validation_level: strict"),
        "validation_level must be one of 'basic', 'standard' or 'comprehensive', not 'strict'",
    ),
    (migration("validation_level:"), "validation_level must be one of"),
    (
        "profiles:\n  development:\n    monitoring:\n      progress_reporting: sometimes\n",
        "progress_reporting must be true or false, not 'sometimes'",
    ),
    (
        "profiles:\n  development:\n    monitoring:\n      alerting:\n        slow_query_threshold: 0\n",
        "slow_query_threshold must be more than 0, not 0",
    ),
    ("profiles:\n  development:\n    dbt_target: ''\n", "dbt_target must not be empty"),
    ("profiles:\n  development:\n    dbt_target: 5\n", "dbt_target must be text, not 5"),
    (
        migration("batch_size: 5\n      batch_size: 6"),
        "is not valid YAML: the key 'batch_size' is written twice (line 5)",
    ),
    ("profiles:\n  development: {}\n  development: {}\n", "the key 'development' is written twice (line 3)"),
    ("profiles:\n  development: [\n", "is not valid YAML"),
    ("", "is empty"),
    (
        migration("retry_backoff: quadratic"),
        "retry_backoff must be one of 'linear' or 'exponential', not 'quadratic'",
    ),
    (
        errors("minor: [transient]"),
        "error_classes puts transient in minor: transient errors are critical (no retry) or major",
    ),
    (
        errors("major: ['severity:error']"),
        "puts 'severity:error' in major: only transient errors can be retried",
    ),
    (errors("critical: [oops]"), "puts 'oops' in critical, which names no failure (expected transient,"),
    (
        errors("critical: ['reason:x']\n      warning: ['reason:x']"),
        "puts 'reason:x' in both critical and warning",
    ),
    (errors("warning: 'severity:warn'"), "error_classes.warning must be a list, not 'severity:warn'"),
    (
        errors("fatal: []"),
        "error_classes.fatal is not a known setting (expected one of: critical, major, minor, warning)",
    ),
]


@pytest.mark.parametrize(("text", "refusal"), BAD_FILES, ids=[r for _, r in BAD_FILES])
def test_a_settings_file_of_the_wrong_shape_is_refused_naming_the_key(
    tmp_path: Path, text: str, refusal: str
):
    path = tmp_path / "cutover.yml"
    path.write_text(text)
    with pytest.raises(CutoverError) as refused:
        load_profile("development", env={}, path=path)
    message = str(refused.value)
    assert refusal in message
    assert "\n" not in message and message.endswith(".")
    assert str(path) in message


# (CUTOVER_ variable, its value, what the refusal says): the same rules as the file's
BAD_VARIABLES = [
    ("CUTOVER_BATCH_SIZE", "1.5", "CUTOVER_BATCH_SIZE must be a whole number, not '1.5'"),
    ("CUTOVER_BATCH_SIZE", "2.5", "CUTOVER_BATCH_SIZE must be a whole number"),
    ("CUTOVER_BATCH_SIZE", "true", "CUTOVER_BATCH_SIZE must be a whole number"),
    ("CUTOVER_BATCH_SIZE", "99999999999999999999999", "CUTOVER_BATCH_SIZE must be at most 100,000,000"),
    ("CUTOVER_RETRY_BACKOFF_SECONDS", "-1", "CUTOVER_RETRY_BACKOFF_SECONDS must be at least 0"),
    ("CUTOVER_RETRY_BACKOFF_SECONDS", "inf", "CUTOVER_RETRY_BACKOFF_SECONDS must be a finite number"),
    ("CUTOVER_ERROR_TOLERANCE", "nan", "CUTOVER_ERROR_TOLERANCE must be a finite number"),
    ("CUTOVER_VALIDATION_LEVEL", "strict", "CUTOVER_VALIDATION_LEVEL must be one of"),
    ("CUTOVER_KEEP_BEFORE_IMAGES", "0", "CUTOVER_KEEP_BEFORE_IMAGES must be at least 1"),
]


@pytest.mark.parametrize(("variable", "value", "refusal"), BAD_VARIABLES, ids=[r for *_, r in BAD_VARIABLES])
def test_an_environment_override_is_judged_by_the_same_rules(variable: str, value: str, refusal: str):
    with pytest.raises(CutoverError, match="^The environment variable ") as refused:
        load_profile("development", env={variable: value})
    assert refusal in str(refused.value)


def test_the_shipped_profiles_load_and_overrides_apply_in_order():
    for name in ("development", "staging", "production"):
        assert load_profile(name, env={}).name == name
    profile = load_profile(
        "staging",
        overrides={"batch_size": 7, "error_tolerance": None},
        env={
            "CUTOVER_BATCH_SIZE": "500",
            "CUTOVER_RETRY_ATTEMPTS": "2",
            "CUTOVER_RETRY_BACKOFF_SECONDS": "0.5",
        },
    )
    assert (profile.migration.batch_size, profile.migration.retry_attempts) == (7, 2)
    assert profile.migration.retry_backoff_seconds == 0.5
    assert profile.migration.error_tolerance == 5.0  # the file's, no flag given
    assert profile.as_dict()["monitoring"]["alerting"]["slow_query_threshold"] == 120
    with pytest.raises(
        CutoverError, match="Unknown profile 'qa': choose one of development, production, staging"
    ):
        load_profile("qa", env={})


@pytest.mark.parametrize(
    ("args", "env", "refusal"),
    [
        (["run", "--batch-size", "0"], {}, "Invalid value for '--batch-size'"),
        (["run"], {"CUTOVER_SETTINGS_FILE": "/nonexistent/cutover.yml"}, "Cannot read the settings file"),
        (
            ["run"],
            {"CUTOVER_RETRY_BACKOFF_SECONDS": "-1"},
            "CUTOVER_RETRY_BACKOFF_SECONDS must be at least 0",
        ),
        (["plan"], {"CUTOVER_PROFILE": "qa"}, "Unknown profile 'qa'"),
    ],
)
def test_the_commands_refuse_bad_settings_in_one_sentence_before_touching_a_server(args, env, refusal):
    env = {"CUTOVER_TARGET_HOST": "192.0.2.1", "CUTOVER_LEGACY_HOST": "192.0.2.1", **env}
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code in (1, 2), result.output
    assert refusal in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
