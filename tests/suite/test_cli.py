"""The command line: one clear sentence and a non-zero exit for what a user can get wrong."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from support import reset_target

from runner.audit import AuditStore
from runner.cli import main
from runner.config import target_endpoint


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def test_help_lists_the_command_groups():
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("dev", "legacy", "plan", "run", "resume", "status"):
        assert command in result.output


def test_zero_scale_is_refused_with_one_sentence(servers):
    result = invoke("legacy", "generate", "--scale", "0")
    assert result.exit_code == 1
    assert "--scale must be above 0 and at most 10" in result.output
    assert "Traceback" not in result.output


def test_non_numeric_scale_is_a_usage_error():
    result = invoke("legacy", "generate", "--scale", "lots")
    assert result.exit_code == 2
    assert "lots" in result.output


def test_unreachable_target_is_one_clear_sentence(servers):
    result = invoke("run", env={"CUTOVER_TARGET_PORT": "1"})
    assert result.exit_code == 1
    assert "Cannot reach the target database at postgresql://migrator@127.0.0.1:1/target" in result.output
    assert "Traceback" not in result.output


def test_wrong_password_is_one_clear_sentence_without_the_password(servers):
    result = invoke("run", env={"CUTOVER_LEGACY_PASSWORD": "wrong-password-123"})
    assert result.exit_code == 1
    assert "Cannot reach the legacy database" in result.output
    assert "wrong-password-123" not in result.output


def test_problems_lists_every_data_problem_with_counts(generated_legacy):
    result = invoke("legacy", "problems")
    assert result.exit_code == 0, result.output
    assert "birth_date_impossible" in result.output


def test_unknown_phase_and_entity_are_one_sentence_each(generated_legacy):
    result = invoke("run", "--phase", "9")
    assert result.exit_code == 1 and "--phase 9 is not a range of existing phases (1 to 7)" in result.output
    result = invoke("run", "--entity", "unicorns")
    assert result.exit_code == 1 and "Unknown entity 'unicorns'" in result.output


def test_entity_without_its_dependencies_is_refused(generated_legacy, target_super):
    reset_target(target_super)
    result = invoke("run", "--entity", "tasks")
    assert result.exit_code == 1
    assert "tasks depends on orders, which is not migrated yet: add --with-dependencies" in result.output


@pytest.fixture(scope="module")
def completed_execution(generated_legacy, target_super) -> str:
    """A target with one completed execution, for the commands that read one."""
    reset_target(target_super)
    assert invoke("run", "--error-tolerance", "100").exit_code == 0
    with AuditStore(target_endpoint()) as store:
        return str(store.execution()["id"])


def test_dev_servers_start_idempotently_report_status_and_stop(tmp_path):
    from cutover_dev.servers import free_port

    env = {
        "CUTOVER_DEV_DIR": str(tmp_path / "dev"),
        "CUTOVER_DEV_LEGACY_PORT": str(free_port()),
        "CUTOVER_DEV_TARGET_PORT": str(free_port()),
    }
    try:
        for _ in range(2):
            up = invoke("dev", "up", env=env)
            assert up.exit_code == 0, up.output
            assert f"127.0.0.1:{env['CUTOVER_DEV_TARGET_PORT']}/target" in up.output
        status = invoke("dev", "status", env=env)
        assert status.exit_code == 0 and status.output.count("running") == 2
        exported = invoke("dev", "env", env=env)
        assert "export CUTOVER_TARGET_PASSWORD=" in exported.output
        down = invoke("dev", "down", env=env)
        assert down.exit_code == 0
        stopped = invoke("dev", "status", env=env)
        assert stopped.exit_code == 3 and stopped.output.count("stopped") == 2
    finally:
        invoke("dev", "down", "--destroy", env=env)
    assert not (tmp_path / "dev" / "legacy").exists()


def test_missing_extension_is_one_sentence_with_the_statement_for_a_dba(generated_legacy, servers):
    """A target database without postgres_fdw, which the migration role may not create: the run
    stops before writing anything and names the statement a superuser must run."""
    import psycopg

    with psycopg.connect(servers.target.superuser_conninfo(), autocommit=True) as conn:
        conn.execute("drop database if exists bare_target")
        conn.execute("create database bare_target owner migrator")
    result = invoke("run", env={"CUTOVER_TARGET_DB": "bare_target"})
    assert result.exit_code == 1, result.output
    assert "create extension postgres_fdw" in result.output.lower()
    assert "Traceback" not in result.output
    with psycopg.connect(servers.target.superuser_conninfo("bare_target"), autocommit=True) as conn:
        schemas = conn.execute(
            "select count(*) from pg_namespace where nspname in ('app', 'staging', 'intermediate', 'legacy')"
        ).fetchone()[0]
    assert schemas == 0


def test_a_target_table_altered_by_hand_is_one_sentence_and_changes_nothing(generated_legacy, target_super):
    """Someone added a column to app.offices by hand: the run stops at that entity with one
    sentence naming it, and the table keeps its rows."""
    from support import query, reset_target

    reset_target(target_super)
    assert invoke("run", "--phase", "1").exit_code == 0
    query(target_super, "alter table app.offices add column hand_made text")
    rows = query(target_super, "select count(*) from app.offices")[0][0]
    result = invoke("run", "--phase", "1")
    assert result.exit_code == 1, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("error:") and "offices" in last
    assert "Traceback" not in result.output
    assert query(target_super, "select count(*) from app.offices")[0][0] == rows


def test_a_trail_owned_by_the_migration_role_is_refused_until_the_dba_script_runs(
    generated_legacy, target_super, servers
):
    """A target set up by hand, where the migration role created the audit schema: the run stops
    with one sentence naming `cutover dba-script`; the script printed by that command, run as
    the superuser, hands the trail over with its rows, and the run then proceeds."""
    from importlib import resources

    from support import query, reset_target

    from runner.audit import AuditStore
    from runner.config import target_endpoint

    reset_target(target_super)
    query(target_super, "drop schema cutover_audit cascade")
    with AuditStore(target_endpoint()) as store:  # the runner's own set-up before least privilege
        store.conn.execute("create schema cutover_audit")
        store.conn.execute(resources.files("runner").joinpath("audit.sql").read_text())
        store.conn.execute(
            "insert into cutover_audit.audit_entries (action, message) values ('start', 'kept')"
        )
    result = invoke("run", "--phase", "1")
    assert result.exit_code == 1, result.output
    message = result.output.strip().splitlines()[-1]
    assert "cutover dba-script" in message and "other than the migration role" in message
    script = invoke("dba-script")
    assert script.exit_code == 0 and "create role cutover_audit_owner" in script.output
    query(target_super, script.output)
    query(target_super, script.output)  # idempotent
    assert invoke("run", "--phase", "1").exit_code == 0
    kept = "select count(*) from cutover_audit.audit_entries where message = 'kept'"
    assert query(target_super, kept) == [(1,)]
    owners = query(
        target_super,
        "select distinct pg_get_userbyid(relowner) from pg_class"
        " where relnamespace = 'cutover_audit'::regnamespace and relkind = 'r'",
    )
    assert owners == [("cutover_audit_owner",)]


# Every command with arguments or settings a user can get wrong: (arguments, environment, what
# the one sentence says). Exit code 2 is click's usage error, 1 the runner's refusal.
HOSTILE = [
    (["run", "--phase", "0"], {}, "--phase 0 is not a range of existing phases"),
    (["run", "--phase", "5..2"], {}, "--phase 5..2"),
    (["run", "--phase", "one"], {}, "not 'one'"),
    (["run", "--entity", ""], {}, "Unknown entity ''"),
    (["run", "--batch-size", "0"], {}, "0 is not in the range"),
    (["run", "--batch-size", "2.5"], {}, "'2.5' is not a valid integer"),
    (["run", "--concurrency", "0"], {}, "0 is not in the range"),
    (["run", "--retries", "-1"], {}, "-1 is not in the range"),
    (["run", "--error-tolerance", "101"], {}, "101.0 is not in the range"),
    (["run", "--error-tolerance", "nan"], {}, "--error-tolerance"),
    (["run", "--validation-level", "total"], {}, "'total' is not one of"),
    (["run", "--profile", "nowhere"], {}, "nowhere"),
    (["run"], {"CUTOVER_BATCH_SIZE": "lots"}, "CUTOVER_BATCH_SIZE"),
    (["run"], {"CUTOVER_RETRY_BACKOFF_SECONDS": "-1"}, "CUTOVER_RETRY_BACKOFF_SECONDS"),
    (["run"], {"CUTOVER_SETTINGS_FILE": "/nonexistent/cutover.yml"}, "/nonexistent/cutover.yml"),
    (["run"], {"CUTOVER_TARGET_PORT": "port"}, "CUTOVER_TARGET_PORT"),
    (["run"], {"CUTOVER_LEGACY_HOST": "legacy.invalid"}, "Cannot reach the legacy database"),
    (["resume", "no-such-execution"], {}, "no-such-execution"),
    (["resume", "--phase", "1"], {}, "resume continues an execution with its own selection"),
    (["status", "no-such-execution"], {}, "no-such-execution"),
    (["report", "no-such-execution"], {}, "no-such-execution"),
    (["rollback", "--execution", "no-such-execution", "--all", "--yes"], {}, "no-such-execution"),
    (["rollback", "--entity", "unicorns", "--yes"], {}, "unicorns"),
    (["rollback", "--phase", "99", "--yes"], {}, "99"),
    (["rollback", "--yes"], {}, "--all"),
    (["validate", "--level", "total"], {}, "'total' is not one of"),
    (["validate", "--profile", "nowhere"], {}, "nowhere"),
    (["plan", "--profile", "nowhere"], {}, "nowhere"),
    (["legacy", "generate", "--scale", "-1"], {}, "--scale"),
    (["legacy", "generate", "--scale", "inf"], {}, "--scale"),
    (["legacy", "generate", "--scale", "nan"], {}, "--scale"),
    (["legacy", "generate", "--seed", "x"], {}, "'x' is not a valid integer"),
    (["legacy", "mutate", "--fraction", "2"], {}, "--fraction"),
    (["legacy", "mutate", "--fraction", "-0.1"], {}, "--fraction"),
    (["bench", "--scale", "0"], {}, "--scale"),
    (["docs", "--check", "--catalog", "/nonexistent/catalog.json"], {}, "/nonexistent/catalog.json"),
    (["dba-script", "--migration-role", ""], {}, "--migration-role needs the name of a role"),
]


@pytest.mark.parametrize(("args", "env", "expected"), HOSTILE, ids=[" ".join(h[0]) or "-" for h in HOSTILE])
def test_hostile_arguments_end_in_one_sentence(completed_execution, tmp_path, args, env, expected):
    """No traceback, nothing the catch-all had to handle (it writes errors.log), one sentence."""
    result = invoke(*args, env={"CUTOVER_LOG_DIR": str(tmp_path), **env})
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output and not (tmp_path / "errors.log").exists(), result.output
    assert "Unexpected" not in result.output and "refused a statement" not in result.output
    assert expected in result.output, result.output
    assert "\x1b[" not in result.output


def test_resume_after_a_completed_execution_says_a_stopped_run_left_nothing(completed_execution):
    """A run killed in its first second recorded no execution: resume says the latest one
    completed, and that such a run changed nothing."""
    result = invoke("resume")
    assert result.exit_code == 1
    assert f"The latest execution, {completed_execution}, completed at" in result.output
    assert "start it again with `cutover run`" in result.output
