"""Every live legacy row accounted for in every run, whatever `modified` says and however the ids
are spread (shared/LEGACY_SOURCE.md: bulk updates, fixes in SQL, rows restored from backups,
imports, future and NULL dates, sparse ids).

After a first load, legacy changes in each of those ways (each on rows of its own) and one delta
runs; the tests then check each row where it belongs, the proof by id, and that a full pass
finds nothing the delta left behind. Then what no delta can repair fails the run naming the ids,
and a first load of ids spread from the integer limits to far-apart blocks plans its batches from
the rows and resumes them unchanged after legacy moved on.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from support import SCALE, SEED, query, reset_target

from cutover_dev.legacy.generator import generate
from runner.audit import AuditStore
from runner.cli import main
from runner.config import target_endpoint

TASK_COLUMNS = "order_id, patient_id, kind, status, assignee_id, due_date, completed_at, notes, created"


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def migrated(target, entity: str, legacy_id: int, column: str):
    rows = query(target, f"select {column} from app.{entity} where legacy_id = %s", (legacy_id,))
    return rows[0][0] if rows else "<not migrated>"


def issues(target, entity: str, legacy_id: int) -> set[str]:
    rows = query(
        target,
        "select issue_code from audit.data_quality_issues where entity = %s and legacy_id = %s",
        (entity, legacy_id),
    )
    return {row[0] for row in rows}


def unproved(target) -> list[tuple]:
    return query(
        target,
        "select entity, legacy_table, unexplained_rows, missing_ids, unexpected_ids from audit.reconciliation "
        "where unexplained_rows is distinct from 0",
    )


def first_migrated(target, entity: str, offset: int = 0) -> int:
    return query(
        target, f"select legacy_id from app.{entity} order by legacy_id offset %s limit 1", (offset,)
    )[0][0]


@pytest.fixture(scope="module")
def cases(admin, reader_role, target_super):
    """A first load, then legacy changed in every way `modified` misses, and one delta. Returns
    the target and the legacy ids of each case."""
    generate(admin, SCALE, SEED, reader_role=reader_role)
    reset_target(target_super)
    target = target_endpoint()
    # a task deleted before the first load, restored from a backup after it
    restored = query(admin, "select id from dispatch_task order by id offset 40 limit 1")[0][0]
    backup = query(admin, f"select {TASK_COLUMNS}, modified from dispatch_task where id = %s", (restored,))[0]
    query(admin, "delete from dispatch_task where id = %s", (restored,))
    first = invoke("run")
    assert first.exit_code == 0, first.output

    ids = {"restored": restored}
    ids["bulk"] = first_migrated(target, "tasks", 10)
    ids["fixed_order"] = first_migrated(target, "orders", 10)
    ids["future"] = first_migrated(target, "orders", 11)
    ids["later"] = first_migrated(target, "orders", 12)
    ids["null"] = first_migrated(target, "patients", 10)
    ids["staged_deleted"] = first_migrated(target, "orders", 13)
    ids["migrated_deleted"] = first_migrated(target, "jaws", 10)
    ids["imported"] = query(admin, "select max(id) + 1 from dispatch_task")[0][0]
    template = ids["bulk"]
    query(
        admin,
        f"""
        -- an import that set its own, old `modified`
        insert into dispatch_task (id, {TASK_COLUMNS}, modified)
        select {ids["imported"]}, order_id, patient_id, kind, status, assignee_id, due_date, completed_at,
            'imported from the old system', timestamp '2015-03-01', timestamp '2015-03-01'
        from dispatch_task where id = {template};
        -- QuerySet.update() and a DBA's fix: `modified` stays
        update dispatch_task set notes = 'bulk update' where id = {ids["bulk"]};
        update dispatch_order set notes = 'fixed in SQL' where id = {ids["fixed_order"]};
        -- a save by an application server whose clock said 2999, then a save of another row
        update dispatch_order set notes = 'saved in 2999', modified = timestamp '2999-12-31'
            where id = {ids["future"]};
        update dispatch_order set notes = 'saved after it', modified = localtimestamp where id = {ids["later"]};
        -- a save that cleared `modified`
        update dispatch_patient set phone = '555-0100', modified = null where id = {ids["null"]};
        """,
    )
    query(
        admin,
        f"insert into dispatch_task (id, {TASK_COLUMNS}, modified) values "
        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (restored, *backup),
    )
    # and by hand in the target: a staged copy and a migrated row removed
    query(target, "delete from staging.stg_legacy__order where legacy_id = %s", (ids["staged_deleted"],))
    query(target, "delete from app.jaws where legacy_id = %s", (ids["migrated_deleted"],))
    delta = invoke("run")
    assert delta.exit_code == 0, delta.output
    return target, ids


def test_a_row_imported_with_an_old_modified_is_migrated_by_the_next_delta(cases):
    target, ids = cases
    assert migrated(target, "tasks", ids["imported"], "notes") == "imported from the old system"


def test_a_row_restored_from_a_backup_with_its_old_modified_is_migrated(cases):
    target, ids = cases
    assert migrated(target, "tasks", ids["restored"], "legacy_id") == ids["restored"]


def test_changes_that_leave_modified_alone_are_migrated_by_the_next_delta(cases):
    """A bulk update and a fix in SQL give the row a new version (xmin): no full pass needed."""
    target, ids = cases
    assert migrated(target, "tasks", ids["bulk"], "notes") == "bulk update"
    assert migrated(target, "orders", ids["fixed_order"], "notes") == "fixed in SQL"


def test_a_modified_in_the_future_is_reported_and_freezes_nothing(cases):
    target, ids = cases
    assert migrated(target, "orders", ids["future"], "notes") == "saved in 2999"
    assert migrated(target, "orders", ids["future"], "updated_at") is None
    assert issues(target, "orders", ids["future"]) >= {"modified_in_future"}
    assert migrated(target, "orders", ids["later"], "notes") == "saved after it"
    assert migrated(target, "orders", ids["later"], "updated_at") is not None


def test_a_null_modified_is_reported_and_the_change_is_migrated(cases):
    target, ids = cases
    assert migrated(target, "patients", ids["null"], "phone") == "555-0100"
    assert "missing_modified" in issues(target, "patients", ids["null"])


def test_a_staged_row_deleted_by_hand_is_read_again(cases):
    target, ids = cases
    staged = query(
        target,
        "select count(*) from staging.stg_legacy__order where legacy_id = %s",
        (ids["staged_deleted"],),
    )
    assert staged == [(1,)]


def test_a_migrated_row_deleted_by_hand_is_put_back_by_the_delta(cases):
    target, ids = cases
    assert migrated(target, "jaws", ids["migrated_deleted"], "legacy_id") == ids["migrated_deleted"]


def test_the_delta_accounts_for_every_live_legacy_id_and_a_full_pass_finds_nothing_left(cases, admin):
    """The snapshot of each legacy table is the live table (nothing changed since), every id of
    it is migrated, quarantined or merged exactly once, and a pass comparing every column of
    every row of every layer writes nothing."""
    target, _ = cases
    assert unproved(target) == []
    for model, table, ids in query(
        target, "select model_name, legacy_table, legacy_ids from intermediate.legacy_snapshots"
    ):
        live = [row[0] for row in query(admin, f"select id from {table} order by id")]
        assert sorted(ids) == live, model
    full = invoke("run", "--full-pass")
    assert full.exit_code == 0, full.output
    written = [
        line for line in full.output.splitlines() if "rows written" in line and " 0 rows written" not in line
    ]
    assert written == []


def test_what_no_delta_repairs_fails_the_gate_and_validate_naming_the_ids(cases):
    """A quarantined row removed by hand (a delta writes only the quarantine of changed verdicts):
    the delta stops at the gate with one sentence naming the table, how many and the id, and
    the remedy; `cutover validate` fails the same way; the full pass repairs it."""
    target, _ = cases
    quarantined = query(
        target, "select legacy_id from quarantine.quarantine_tasks order by legacy_id limit 1"
    )[0][0]
    query(target, "delete from quarantine.quarantine_tasks where legacy_id = %s", (quarantined,))
    stopped = invoke("run")
    assert stopped.exit_code == 1
    message = " ".join(stopped.output.split())
    assert (
        f"dispatch_task: 1 legacy row neither migrated, quarantined nor merged (id {quarantined})" in message
    ), message
    assert "cutover run --full-pass" in message
    validated = invoke("validate")
    assert validated.exit_code == 1
    assert (
        f"dispatch_task: 1 legacy row neither migrated, quarantined nor merged (id {quarantined})"
        in " ".join(validated.output.split())
    ), validated.output
    repaired = invoke("run", "--full-pass")
    assert repaired.exit_code == 0, repaired.output
    assert unproved(target) == []


STRAY_JAW = """
    insert into app.jaws (id, legacy_id, patient_id, jaw, teeth, created_at, updated_at, row_hash)
    select md5('stray')::uuid, 99999999, patient_id, jaw, teeth, created_at, updated_at, row_hash
    from app.jaws order by legacy_id limit 1
"""


def test_a_target_row_no_legacy_id_explains_fails_the_gate_naming_it(cases):
    target, _ = cases
    query(target, STRAY_JAW)
    stopped = invoke("run")
    assert stopped.exit_code == 1
    message = " ".join(stopped.output.split())
    assert "dispatch_jaw: 1 row of jaws whose legacy id the extraction did not read (id 99999999)" in message
    assert invoke("run", "--full-pass").exit_code == 0
    assert unproved(target) == []
    assert migrated(target, "jaws", 99999999, "legacy_id") == "<not migrated>"


def test_after_a_stopped_run_the_audit_relations_describe_the_target(cases, admin):
    """A delta stopped at a gate has built its later phases too: the audit relations show what the
    target holds (they are views), and status names the phases not validated."""
    target, _ = cases
    query(
        admin,
        "update dispatch_task set status = 'lost?' where id in (select id from dispatch_task order by id limit 200)",
    )
    stopped = invoke("run", "--error-tolerance", "1")
    assert stopped.exit_code == 1
    assert "stopped the run" in stopped.output, stopped.output
    for entity, _table, migrated_rows in query(
        target,
        "select entity, legacy_table, migrated_rows from audit.reconciliation where legacy_table <> 'dispatch_userprofile'",
    ):
        assert migrated_rows == query(target, f"select count(*) from app.{entity}")[0][0], entity
    for (entity,) in query(target, "select distinct entity from audit.reconciliation"):
        reported = query(
            target,
            "select count(*) from audit.data_quality_issues as issue "
            f"where entity = %s and not exists (select 1 from app.{entity} as row where row.legacy_id = issue.legacy_id)",
            (entity,),
        )
        assert reported == [(0,)], entity
    # the tasks changed in legacy went to the quarantine with the build, before the gate stopped it
    lost = {row[0] for row in query(admin, "select id from dispatch_task where status = 'lost?'")}
    held = {row[0] for row in query(target, "select legacy_id from audit.quarantine where entity = 'tasks'")}
    assert lost <= held
    status = invoke("status")
    assert "pending" in status.output and "not validated" in status.output
    query(admin, "update dispatch_task set status = 'open' where status = 'lost?'")
    assert invoke("resume").exit_code == 0


@pytest.fixture(scope="module")
def sparse(admin, reader_role, target_super):
    """Legacy tasks at the limits of their integer type, below zero and in far-apart blocks."""
    generate(admin, SCALE, SEED, reader_role=reader_role)
    reset_target(target_super)
    for first, count in ((-2147483648, 1), (-5, 5), (1_500_000_000, 40), (2147483647, 1)):
        query(
            admin,
            f"insert into dispatch_task (id, {TASK_COLUMNS}, modified) "
            f"select {first} + n, {TASK_COLUMNS}, modified from dispatch_task, generate_series(0, {count - 1}) as n "
            "where id = 1",
        )
    return target_endpoint()


def test_a_first_load_plans_its_batches_from_the_rows_and_resumes_the_same_ones(sparse, admin):
    """Batches of 2,000 rows whatever the ids (the grid of 2,000 ids between the lowest and the
    highest would be over two million batches); stopped after its first batch of tasks, with
    legacy rows inserted and deleted meanwhile, the execution resumes the batches it planned."""
    tasks = query(admin, "select count(*) from dispatch_task")[0][0]
    plan = invoke("plan", "--json", env={"CUTOVER_BATCH_SIZE": "2000"})
    assert plan.exit_code == 0, plan.output
    assert json.loads(plan.output)["entities"]["tasks"]["batches"] == -(-tasks // 2000)

    failed = invoke("run", "--batch-size", "2000", env={"CUTOVER_TEST_RAISE_AT": "batch:tasks:1"})
    assert failed.exit_code == 1, failed.output
    with AuditStore(sparse) as store:
        execution_id = str(store.execution()["id"])
        planned = store.batch_plan(execution_id, "tasks")
    assert len(planned) == -(-tasks // 2000)
    assert planned[0][0] < -2147483648 and planned[-1][1] > 2147483647
    assert all(rows <= 2000 for _, _, rows in planned)

    query(admin, "delete from dispatch_task where id between 100 and 199")
    query(
        admin,
        f"insert into dispatch_task (id, {TASK_COLUMNS}, modified) "
        f"select 1000000000 + n, {TASK_COLUMNS}, modified from dispatch_task, generate_series(1, 3000) as n "
        "where id = 2",
    )
    resumed = invoke("resume", "--batch-size", "2000")
    assert resumed.exit_code == 0, resumed.output
    with AuditStore(sparse) as store:
        assert store.batch_plan(execution_id, "tasks") == planned
        done = store.finished_batches(execution_id, "tasks")
    assert sorted(done) == [low for low, _, _ in planned]
    assert unproved(sparse) == []
    assert migrated(sparse, "tasks", 2147483647, "legacy_id") == 2147483647 or query(
        sparse, "select 1 from quarantine.quarantine_tasks where legacy_id = 2147483647"
    )
