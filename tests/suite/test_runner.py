"""The cutover runner end to end: plan, a full phased run, status, report, resume, the lock."""

from __future__ import annotations

import json

import psycopg
import pytest
from click.testing import CliRunner
from support import query, reset_target

from runner.audit import AuditStore
from runner.cli import main
from runner.config import target_endpoint


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture(scope="module")
def empty_target(generated_legacy, target_super):
    reset_target(target_super)
    return target_endpoint()


@pytest.fixture
def migrated(empty_target):
    """A target whose latest execution completed: the one an earlier test of the module left, or
    one run here, so that every test passes alone too."""
    with AuditStore(empty_target) as store:
        latest = store.execution()
    if latest is None or latest["status"] != "completed":
        result = invoke("run", "--force", "--error-tolerance", "100")
        assert result.exit_code == 0, result.output
    return empty_target


def test_plan_lists_phases_steps_critical_path_and_volumes(empty_target):
    result = invoke("plan", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert [p["phase"] for p in plan["phases"]] == [1, 2, 3, 4, 5, 6, 7]
    assert plan["criticalPath"][:5] == ["offices", "doctors", "patients", "orders", "tasks"]
    assert plan["entities"]["tasks"]["batched"] is True
    assert plan["entities"]["tasks"]["legacyRows"] == 7620
    assert plan["entities"]["tasks"]["dataVolume"] == "medium"
    phase_two = [s for s in plan["steps"] if s["phase"] == 2]
    assert [s["entities"] for s in phase_two] == [["doctors"], ["patients"], ["orders"], ["products"]]
    assert phase_two[-1]["validationCheckpoint"] and not phase_two[0]["validationCheckpoint"]
    table = invoke("plan")
    assert table.exit_code == 0 and "Critical path: offices -> doctors" in table.output


def test_a_failed_read_ahead_of_legacy_is_reported_by_its_own_phase(
    empty_target, admin, reader_role, target_super
):
    """A first load builds the legacy reads of phases 3 to 7 with phases 1 and 2; one that fails
    there (the wrapper's role may not read dispatch_plan) leaves phases 1 and 2 alone, is read
    again by phase 5, and stops the run there, naming it; `resume` then finishes."""
    query(admin, f"revoke select on dispatch_plan from {reader_role}")
    try:
        unreadable = invoke("plan")
        assert unreadable.exit_code == 1
        assert f"The legacy role {reader_role} may not read legacy table dispatch_plan" in unreadable.output
        # the id alone: the plan counts its rows, the staging model cannot read its documents
        query(admin, f"grant select (id) on dispatch_plan to {reader_role}")
        failed = invoke("run")
    finally:
        query(admin, f"grant select on dispatch_plan to {reader_role}")
    assert failed.exit_code == 1
    assert "Phase 5 failed to build: stg_legacy__plan" in failed.output, failed.output
    with AuditStore(empty_target) as store:
        execution_id = str(store.execution()["id"])
    statuses = {p: "completed" for p in range(1, 5)} | {5: "failed", 6: "pending", 7: "pending"}
    assert _phase_statuses(empty_target, execution_id) == statuses

    resumed = invoke("resume")
    assert resumed.exit_code == 0, resumed.output
    assert _phase_statuses(empty_target, execution_id) == {p: "completed" for p in range(1, 8)}
    reset_target(target_super)


def test_a_run_stopped_inside_a_massive_entity_resumes_without_redoing_batches(empty_target):
    """The batches of tasks and files load side by side, one dbt invocation per round, with the
    verdicts of later phases that read only phases 1 and 2; a run stopped before the third batch
    of tasks resumes there, redoing no batch of either."""
    failed = invoke("run", "--batch-size", "2000", env={"CUTOVER_TEST_RAISE_AT": "batch:tasks:2"})
    assert failed.exit_code == 1, failed.output
    assert "Injected failure at batch:tasks:2" in failed.output
    with AuditStore(empty_target) as store:
        execution = store.execution()
        assert execution["status"] == "failed"
        done = store.finished_batches(str(execution["id"]), "tasks")
    assert len(done) == 2

    resumed = invoke("resume", "--batch-size", "2000")
    assert resumed.exit_code == 0, resumed.output
    assert "Report:" in resumed.output
    with AuditStore(empty_target) as store:
        execution = store.execution()
        assert execution["status"] == "completed"
        eid = str(execution["id"])
        batches = store.rows(
            "select batch_from, count(*) as times from cutover_audit.batch_checkpoints "
            "where execution_id = %s and entity = 'tasks' group by 1",
            (eid,),
        )
        skipped = store.rows(
            "select message from cutover_audit.audit_entries where execution_id = %s "
            "and message like 'tasks: 2 batches already done%%'",
            (eid,),
        )
        rounds = store.rows(
            "select message from cutover_audit.audit_entries where execution_id = %s "
            "and message like 'files batch %%, tasks batch %%: %% dbt nodes in %%' order by id",
            (eid,),
        )
        files = store.rows(
            "select batch_from, count(*) as times from cutover_audit.batch_checkpoints "
            "where execution_id = %s and entity = 'files' group by 1",
            (eid,),
        )
    assert len(batches) == 4 and all(b["times"] == 1 for b in batches)
    assert skipped
    errors = query(
        empty_target,
        "select message from cutover_audit.audit_entries where execution_id = %s and action = 'error'",
        (eid,),
    )
    assert any("Injected failure at batch:tasks:2" in m for (m,) in errors)  # on the record
    assert len(files) >= 2 and all(b["times"] == 1 for b in files)
    # a round loads a batch of each: two before the stop, the rest after it, and the later
    # phases' verdicts went with them
    assert len(rounds) == min(len(files), len(batches)), rounds
    assert all(" models of phases " in r["message"] for r in rounds), rounds
    unexplained = query(empty_target, "select sum(abs(unexplained_rows)) from audit.reconciliation")[0][0]
    assert unexplained == 0


def test_batches_recorded_as_done_load_again_when_their_table_was_emptied(empty_target):
    """A stopped first load of tasks, then its table emptied before `resume` (a benchmark empties
    the target; so may a DBA): the batches the audit trail records as done are not in the table,
    so they load again instead of being skipped, and every legacy row is accounted for."""
    query(empty_target, "truncate app.tasks cascade")
    failed = invoke("run", "--batch-size", "2000", env={"CUTOVER_TEST_RAISE_AT": "batch:tasks:2"})
    assert failed.exit_code == 1, failed.output
    query(empty_target, "truncate app.tasks cascade")

    resumed = invoke("resume", "--batch-size", "2000")
    assert resumed.exit_code == 0, resumed.output
    with AuditStore(empty_target) as store:
        eid = str(store.execution()["id"])
        reloaded = store.rows(
            "select message from cutover_audit.audit_entries where execution_id = %s "
            "and message like 'tasks: the 2 batches recorded as done are not in app.tasks%%'",
            (eid,),
        )
    assert reloaded
    unexplained = query(empty_target, "select sum(abs(unexplained_rows)) from audit.reconciliation")[0][0]
    assert unexplained == 0


def test_status_shows_every_phase_and_entity(migrated):
    result = invoke("status")
    assert result.exit_code == 0, result.output
    assert "completed" in result.output and "doctor_offices" in result.output


def test_validate_runs_pre_entity_and_post_validation(migrated):
    result = invoke("validate", "--level", "basic")
    assert result.exit_code == 0, result.output
    for check in ("connectivity", "postgres_fdw", "free disk space", "reconciliation by id", "completeness"):
        assert check in result.output
    assert "0 failed" in result.output


def test_docs_are_generated_with_the_lineage(migrated):
    result = invoke("docs", "--no-serve")
    assert result.exit_code == 0, result.output
    from runner.dbt import DbtProject

    manifest = json.loads((DbtProject().target_path() / "manifest.json").read_text())
    assert "model.cutover.tasks" in manifest["parent_map"]["model.cutover.comments"] or any(
        "int_comments__validated" in p for p in manifest["parent_map"]["model.cutover.comments"]
    )
    assert (DbtProject().target_path() / "catalog.json").exists()


def test_report_has_every_entity_and_a_chart(migrated):
    from runner.report import report_dir

    with AuditStore(migrated) as store:
        eid = str(store.execution()["id"])
    html = report_dir() / f"cutover-{eid[:8]}.html"
    markdown = report_dir() / f"cutover-{eid[:8]}.md"
    assert "<svg" in html.read_text() and "doctor_offices" in html.read_text()
    assert "| tasks | 3 | completed |" in markdown.read_text()


def test_audit_trail_is_complete_and_append_only(migrated):
    with AuditStore(migrated) as store:
        eid = str(store.execution()["id"])
        actions = {
            (r["entity"], r["action"])
            for r in store.rows(
                "select entity, action from cutover_audit.audit_entries where execution_id = %s", (eid,)
            )
        }
        for entity in ("offices", "tasks", "doctor_offices"):
            assert {(entity, "start"), (entity, "validate"), (entity, "complete")} <= actions


# What the migration role must never do to its own trail; each is refused by privilege, before
# any trigger is asked (the schema belongs to cutover_audit_owner, see runner/dba.py).
TAMPERING = (
    "update cutover_audit.audit_entries set message = 'rewritten'",
    "delete from cutover_audit.audit_entries",
    "truncate cutover_audit.audit_entries",
    "update cutover_audit.validation_results set overall_status = 'passed'",
    "delete from cutover_audit.validation_results",
    "delete from cutover_audit.executions",
    "delete from cutover_audit.batch_checkpoints",
    "alter table cutover_audit.audit_entries disable trigger audit_entries_append_only",
    "drop trigger audit_entries_append_only on cutover_audit.audit_entries",
    "alter table cutover_audit.audit_entries add column note text",
    "drop table cutover_audit.audit_entries",
    "drop schema cutover_audit cascade",
    "create table cutover_audit.forged (id int)",
    "alter schema cutover_audit rename to old_audit",
    "create or replace function cutover_audit.refuse_change() returns trigger language plpgsql"
    " as 'begin return new; end'",
)


def test_the_migration_role_cannot_rewrite_or_remove_its_audit_trail(migrated, target_super):
    """15 ways of tampering, each refused to the role that runs the cutover; the trail is intact
    after them, and the owner's trigger still refuses UPDATE and DELETE to everyone else."""
    entries = query(target_super, "select count(*), max(id) from cutover_audit.audit_entries")[0]
    with AuditStore(migrated) as store:
        assert store.conn.execute("select current_user").fetchone()[0] == migrated.user
        refused = 0
        for statement in TAMPERING:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                store.conn.execute(statement)
            refused += 1
    assert refused == len(TAMPERING) == 15
    assert query(target_super, "select count(*), max(id) from cutover_audit.audit_entries")[0] == entries
    owner = query(
        target_super, "select pg_get_userbyid(nspowner) from pg_namespace where nspname = 'cutover_audit'"
    )
    assert owner == [("cutover_audit_owner",)]
    # even a role granted UPDATE and DELETE meets the trigger
    query(target_super, "grant update, delete on cutover_audit.audit_entries to public")
    try:
        with AuditStore(migrated) as store:
            for statement in TAMPERING[:2]:
                with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                    store.conn.execute(statement)
    finally:
        query(target_super, "revoke update, delete on cutover_audit.audit_entries from public")


# What the migration role may no longer do to the status tables and the before-images: change
# anything but a status column, or touch a before-image once it is taken ({copy}: the latest).
REWRITING = (
    "update cutover_audit.executions set started_at = now() - interval '1 day'",
    "update cutover_audit.executions set config = '{{}}'",
    "update cutover_audit.executions set selection = '{{}}'",
    "update cutover_audit.executions set profile = 'production'",
    "update cutover_audit.executions set total_records_expected = 0",
    "update cutover_audit.executions set id = gen_random_uuid()",
    "update cutover_audit.phases set name = 'renamed'",
    "update cutover_audit.phases set phase = phase + 10",
    "update cutover_audit.entity_runs set entity = 'renamed'",
    "update cutover_audit.entity_runs set execution_id = gen_random_uuid()",
    "update cutover_audit.snapshots set was_empty = true",
    "update cutover_audit.snapshots set snapshot_table = null",
    "update cutover_audit.snapshots set row_count = 0",
    "update cutover_audit.snapshots set taken_at = now()",
    "delete from cutover_audit.snapshots",
    "delete from cutover_audit.phases",
    "delete from cutover_audit.entity_runs",
    "delete from cutover_audit.batch_plans",
    'drop table cutover_snapshots."{copy}"',
    'alter table cutover_snapshots."{copy}" rename to renamed',
    'alter table cutover_snapshots."{copy}" add column note text',
    'delete from cutover_snapshots."{copy}"',
    'insert into cutover_snapshots."{copy}" select * from cutover_snapshots."{copy}" limit 1',
    'truncate cutover_snapshots."{copy}"',
    "select cutover_audit.drop_before_image('{copy}')",
    "drop table cutover_snapshots.deferred_definitions",
    "drop schema cutover_snapshots cascade",
    "drop function cutover_audit.drop_before_image(text)",
    "alter function cutover_audit.seal_before_image(text) security invoker",
)


def test_the_migration_role_changes_only_status_columns_and_never_a_before_image(migrated, target_super):
    """29 ways of rewriting the status tables or the before-images that rollback relies on, each
    refused to the migration role, which may still move an execution's status."""
    latest_copy = """
        select s.snapshot_table from cutover_audit.snapshots as s
        where s.snapshot_table is not null and s.execution_id = (
            select e.id from cutover_audit.executions as e
            where exists (select from cutover_audit.snapshots as k where k.execution_id = e.id)
            order by e.started_at desc limit 1
        )
        limit 1
    """
    snapshots = (
        "select md5(string_agg(s::text, ',' order by execution_id, entity)) from cutover_audit.snapshots as s"
    )
    for _ in range(2):  # alone, this test makes the copies it needs
        if query(target_super, latest_copy):
            break
        assert invoke("run", "--phase", "1", "--force").exit_code == 0
    copy = query(target_super, latest_copy)[0][0]
    before = query(target_super, snapshots)
    count = f'select count(*) from cutover_snapshots."{copy}"'
    copied = query(target_super, count)
    with AuditStore(migrated) as store:
        refused = 0
        for statement in REWRITING:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                store.conn.execute(statement.format(copy=copy))
            refused += 1
        assert refused == len(REWRITING) == 29
        # what the runner does: the status columns, reading a copy
        store.conn.execute(
            "update cutover_audit.executions set status = status, message = message, ended_at = ended_at"
        )
        assert store.conn.execute(count).fetchone() == copied[0]
    assert query(target_super, snapshots) == before
    owner = "select pg_get_userbyid(relowner) from pg_class where oid = %s::regclass"
    assert query(target_super, owner, (f'cutover_snapshots."{copy}"',)) == [("cutover_audit_owner",)]
    script = invoke("dba-script")
    assert "pg_user_mappings" in script.output and "create user mapping for public" in script.output


def test_second_run_on_the_same_target_names_the_lock_holder(empty_target):
    with AuditStore(empty_target) as holder:
        holder.acquire_lock("held-by-test")
        result = invoke("run", "--phase", "1")
    assert result.exit_code == 1
    assert "Another cutover run holds this target: cutover-runner held-by-test" in result.output


def test_quarantine_rate_above_the_tolerance_stops_the_run(migrated):
    result = invoke("run", "--phase", "4", "--error-tolerance", "1", "--force")
    assert result.exit_code == 1
    assert "Phase 4 stopped the run: " in result.output and "above the tolerance of 1%" in result.output


def test_a_lapsed_contract_constraint_stops_the_phase_gate(migrated):
    """A constraint the contract declares, dropped behind the cutover's back: the phase gate and
    `cutover validate` both name it, and the run stops."""
    name, definition = query(
        migrated,
        "select conname, pg_get_constraintdef(oid) from pg_constraint "
        "where conrelid = 'app.case_files'::regclass and contype = 'f' "
        "and pg_get_constraintdef(oid) like 'FOREIGN KEY (file_id)%%'",
    )[0]
    query(migrated, f"alter table app.case_files drop constraint {name}")
    try:
        result = invoke("run", "--phase", "7", "--force", "--error-tolerance", "100")
        assert result.exit_code == 1
        assert "Phase 7 stopped the run" in result.output and "no foreign key (file_id)" in result.output
        validated = invoke("validate")
        assert validated.exit_code == 1 and "no foreign key (file_id)" in validated.output
    finally:
        query(migrated, f"alter table app.case_files add constraint {name} {definition}")


def test_rerun_of_a_completed_cutover_changes_no_row(migrated):
    result = invoke("run")
    assert result.exit_code == 0, result.output
    with AuditStore(migrated) as store:
        written = store.rows(
            "select sum(rows_written) as rows from cutover_audit.entity_runs where execution_id = %s",
            (str(store.execution()["id"]),),
        )
    assert written[0]["rows"] == 0


def _phase_statuses(target, execution_id: str) -> dict[int, str]:
    rows = query(
        target, "select phase, status from cutover_audit.phases where execution_id = %s", (execution_id,)
    )
    return dict(rows)


def _invocations(target, execution_id: str) -> list[str]:
    rows = query(
        target,
        "select message from cutover_audit.audit_entries where execution_id = %s "
        "and message like '%% dbt nodes in %%' order by id",
        (execution_id,),
    )
    return [r[0].split(":")[0] for r in rows]


def test_a_delta_builds_its_phases_at_once_and_a_failed_gate_leaves_the_later_ones_to_resume(migrated):
    """On a loaded target the phases are one dbt build; each gate is still passed in phase order,
    and a failed one leaves the phases after it unvalidated for `cutover resume`."""
    stopped = invoke("run", "--force", "--error-tolerance", "0")
    assert stopped.exit_code == 1
    # phase 1 quarantines nothing at this scale; phase 2 is the first over a tolerance of 0%
    assert "Phase 2 stopped the run: doctors quarantined " in stopped.output, stopped.output
    with AuditStore(migrated) as store:
        execution_id = str(store.execution()["id"])
    assert _invocations(migrated, execution_id) == ["phases 1..7"]
    statuses = {1: "completed", 2: "failed"} | {p: "pending" for p in range(3, 8)}
    assert _phase_statuses(migrated, execution_id) == statuses

    resumed = invoke("resume", "--error-tolerance", "100")
    assert resumed.exit_code == 0, resumed.output
    assert _phase_statuses(migrated, execution_id) == {p: "completed" for p in range(1, 8)}
    assert _invocations(migrated, execution_id)[1:] == ["phases 2..7", "overall validation"]

    strict = invoke("run", "--phase-by-phase", "--error-tolerance", "100")
    assert strict.exit_code == 0, strict.output
    with AuditStore(migrated) as store:
        execution_id = str(store.execution()["id"])
    assert _invocations(migrated, execution_id) == [f"phase {p}" for p in range(1, 8)] + [
        "overall validation"
    ]


def test_a_model_in_error_in_a_build_of_several_phases_fails_its_own_phase(migrated, target_super):
    """The earlier phases of the build pass their gates and complete; the phase of the model in
    error fails, naming it; `resume` completes once the cause is gone."""
    query(target_super, "alter table app.case_states rename column note to note_renamed")
    try:
        failed = invoke("run", "--force", "--error-tolerance", "100")
    finally:
        query(target_super, "alter table app.case_states rename column note_renamed to note")
    assert failed.exit_code == 1
    expected = "Phase 7 failed to build: case_states: column existing.note does not exist"
    assert expected in failed.output, failed.output
    with AuditStore(migrated) as store:
        execution_id = str(store.execution()["id"])
    assert _phase_statuses(migrated, execution_id) == {p: "completed" for p in range(1, 7)} | {7: "failed"}
    resumed = invoke("resume", "--error-tolerance", "100")
    assert resumed.exit_code == 0, resumed.output
    assert _phase_statuses(migrated, execution_id) == {p: "completed" for p in range(1, 8)}


def _checksums(target, entities) -> dict[str, str]:
    return {
        entity: query(
            target, f"select md5(coalesce(string_agg(t::text, '|' order by t.id), '')) from app.{entity} t"
        )[0][0]
        for entity in entities
    }


def test_rollback_of_one_entity_and_of_one_phase_restores_the_checksums(migrated, admin):
    from cutover_dev.legacy.generator import mutate

    tables = "select table_name from information_schema.tables where table_schema = 'app'"
    everything = [r[0] for r in query(migrated, tables)]
    before = _checksums(migrated, everything)

    # A change to a leaf entity only, undone by rolling back that entity.
    query(admin, "update dispatch_comment set body = body || ' (edited)' where id % 10 = 0")
    assert invoke("run").exit_code == 0
    assert _checksums(migrated, ["comments"]) != {"comments": before["comments"]}
    one = invoke("rollback", "--entity", "comments", "--yes")
    assert one.exit_code == 0, one.output
    assert _checksums(migrated, everything) == before
    again = invoke("rollback", "--entity", "comments", "--yes")
    assert again.exit_code == 1 and "already rolled back" in again.output

    # Changes to the clinical phase only, undone by rolling back that phase (a save moves
    # `modified`, which is how the next run finds the row).
    query(
        admin,
        "update dispatch_jaw set teeth = '[11]', modified = now() where id % 7 = 0; "
        "delete from dispatch_doctornote where id % 11 = 0; "
        "update dispatch_project set status = 'done', modified = now() where id % 5 = 0",
    )
    assert invoke("run").exit_code == 0
    changed = _checksums(migrated, everything)
    assert changed["jaws"] != before["jaws"] and changed["doctor_notes"] != before["doctor_notes"]
    phase = invoke("rollback", "--phase", "5", "--yes")
    assert phase.exit_code == 0, phase.output
    assert _checksums(migrated, everything) == before

    # Changes everywhere: a child or a phase alone cannot go back to rows whose parents are
    # gone, and says so without changing anything; everything together can.
    mutate(admin, 0.05, 42, round_=3)
    assert invoke("run").exit_code == 0
    after = _checksums(migrated, everything)
    assert after["tasks"] != before["tasks"] and after["orders"] != before["orders"]
    refused = invoke("rollback", "--entity", "comments", "--yes")
    assert refused.exit_code == 1 and "Cannot roll back comments alone" in refused.output
    refused = invoke("rollback", "--phase", "2", "--yes")
    assert refused.exit_code == 1 and "refer to profiles rows" in refused.output
    assert _checksums(migrated, everything) == after  # nothing half-written
    complete = invoke("rollback", "--all", "--yes")
    assert complete.exit_code == 0, complete.output
    assert _checksums(migrated, everything) == before
    # A rollback voids the restored entities' watermarks (macros/change_tracking.sql): the next
    # run compares every verdict with them again and takes every legacy change in once more.
    assert invoke("run").exit_code == 0
    assert _checksums(migrated, everything) == after
    with AuditStore(migrated) as store:
        rollbacks = store.rows(
            "select count(*) as n from cutover_audit.audit_entries where action = 'rollback'"
        )
    assert rollbacks[0]["n"] >= 30


def test_only_the_most_recent_executions_keep_their_before_image_copies(migrated, admin):
    refused = invoke("run", env={"CUTOVER_KEEP_BEFORE_IMAGES": "0"})
    assert refused.exit_code == 1 and "CUTOVER_KEEP_BEFORE_IMAGES must be at least 1" in refused.output

    # a change to a leaf entity, so that an execution copies a table that is not empty: one
    # before this test's (when no earlier test left a copy), and this test's
    copied = (
        "select count(*) from cutover_audit.snapshots"
        " where snapshot_table is not null and restored_at is null"
    )
    if query(migrated, copied)[0][0] == 0:
        query(admin, "update dispatch_comment set body = body || ',' where id % 10 = 0")
        assert invoke("run").exit_code == 0
    query(admin, "update dispatch_comment set body = body || '.' where id % 10 = 0")
    assert invoke("run", env={"CUTOVER_KEEP_BEFORE_IMAGES": "1"}).exit_code == 0
    with AuditStore(migrated) as store:
        newest = str(store.execution()["id"])
        older = store.rows(
            "select s.execution_id::text as id, s.snapshot_table from cutover_audit.snapshots as s "
            "join cutover_audit.executions as e on e.id = s.execution_id "
            "where s.execution_id <> %s and s.snapshot_table is not null and s.restored_at is null "
            "order by e.started_at desc",
            (newest,),
        )
        dropped = store.rows(
            "select message from cutover_audit.audit_entries where execution_id = %s "
            "and message like 'before-images of execution %% dropped%%'",
            (newest,),
        )

    def copies(execution_id: str) -> list[bool]:
        """Whether each before-image copy the execution recorded still exists."""
        return [
            r[0]
            for r in query(
                migrated,
                "select to_regclass('cutover_snapshots.' || snapshot_table) is not null "
                "from cutover_audit.snapshots where execution_id = %s and snapshot_table is not null",
                (execution_id,),
            )
        ]

    assert older and dropped
    assert copies(newest) and all(copies(newest))
    assert not any(copies(older[0]["id"]))
    gone = invoke("rollback", "--all", "--execution", older[0]["id"], "--yes")
    assert gone.exit_code == 1 and "was dropped when later executions began" in gone.output
    assert invoke("rollback", "--all", "--yes").exit_code == 0  # the newest still can
