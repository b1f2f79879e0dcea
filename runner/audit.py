"""The one place that talks to the audit tables (schema cutover_audit in the target database)
and writes the JSON-lines log. No patient data and no secrets are ever written here: entries
carry counts, durations, entity names and dbt node names only.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from runner.config import PROJECT_DIR, Endpoint
from runner.dba import missing_provisions
from runner.errors import CutoverError, connection_reason
from runner.model import EntityRun, MigrationAuditEntry, MigrationExecution, MigrationPhase, ValidationResult

LOCK_KEY = "cutover-runner"


def now() -> datetime:
    return datetime.now(timezone.utc)


def log_folder() -> Path:
    """logs/cutover/ of the project, or CUTOVER_LOG_DIR: one JSON-lines file per execution."""
    return Path(os.environ.get("CUTOVER_LOG_DIR", PROJECT_DIR / "logs" / "cutover"))


class RunLocked(CutoverError):
    """Another runner holds the target."""


class AuditStore:
    def __init__(self, endpoint: Endpoint, log_dir: Path | None = None) -> None:
        self.endpoint = endpoint
        self.log_dir = log_dir or log_folder()
        try:
            self.conn = psycopg.connect(endpoint.conninfo(application_name="cutover-audit"), autocommit=True)
        except psycopg.OperationalError as exc:
            raise CutoverError(
                f"Cannot reach the target database at {endpoint.display()}: {connection_reason(exc)}."
            ) from exc
        self._lock_conn: psycopg.Connection | None = None

    def close(self) -> None:
        self.release_lock()
        self.conn.close()

    def __enter__(self) -> AuditStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- schema -------------------------------------------------------------------------------

    def check_provisioned(self) -> None:
        """The audit schema (owned by its own role), the wrapper and the grants exist: the
        migration role cannot create them itself, by design (runner/dba.py)."""
        missing = missing_provisions(self.conn)
        if missing:
            raise CutoverError(
                f"The target database lacks {'; '.join(missing)}: have a DBA run the statements "
                "printed by `cutover dba-script`, then try again."
            )

    def has_schema(self) -> bool:
        row = self.conn.execute("select 1 from pg_namespace where nspname = 'cutover_audit'").fetchone()
        return row is not None

    # --- the lock: one run at a time per target ------------------------------------------------

    @contextlib.contextmanager
    def locked(self, purpose: str = "run") -> Iterator[None]:
        """The target held by this process for the duration (see acquire_lock)."""
        self.acquire_lock(purpose)
        try:
            yield
        finally:
            self.release_lock()

    def acquire_lock(self, purpose: str) -> None:
        """A session-level advisory lock on its own connection: released by the server the
        moment this process dies, so a killed runner never leaves it stuck."""
        label = f"cutover-runner {purpose} pid {os.getpid()}@{socket.gethostname()}"
        conn = psycopg.connect(self.endpoint.conninfo(application_name=label[:63]), autocommit=True)
        got = conn.execute("select pg_try_advisory_lock(hashtext(%s))", (LOCK_KEY,)).fetchone()[0]
        if not got:
            conn.close()
            raise RunLocked(f"Another cutover run holds this target: {self.lock_holder()}.")
        self._lock_conn = conn

    def release_lock(self) -> None:
        if self._lock_conn is not None:
            self._lock_conn.close()
            self._lock_conn = None

    def lock_holder(self) -> str:
        row = self.conn.execute(
            """
            select a.application_name, a.client_addr::text, a.backend_start
            from pg_locks as l
            join pg_stat_activity as a on a.pid = l.pid
            where l.locktype = 'advisory' and l.granted
                and l.objid = (hashtext(%s)::bigint & 4294967295)
                and l.database = (select oid from pg_database where datname = current_database())
            limit 1
            """,
            (LOCK_KEY,),
        ).fetchone()
        if row is None:
            return "a runner that has just finished"
        name, addr, since = row
        return f"{name} (from {addr or 'a local socket'}, since {since:%Y-%m-%d %H:%M:%S %Z})"

    # --- executions ---------------------------------------------------------------------------

    def create_execution(self, execution: MigrationExecution, selection: dict[str, Any]) -> None:
        self.conn.execute(
            """
            insert into cutover_audit.executions
                (id, feature_name, profile, status, started_at, total_records_expected, selection,
                 config, runner_host, runner_pid)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            """,
            (
                execution.id,
                execution.feature_name,
                execution.profile,
                execution.status,
                execution.started_at,
                execution.total_records_expected,
                Jsonb(selection),
                Jsonb(execution.config),
                socket.gethostname(),
                os.getpid(),
            ),
        )
        for phase in execution.phases:
            self.conn.execute(
                """
                insert into cutover_audit.phases (execution_id, phase, name, status, validation_required)
                values (%s, %s, %s, %s, %s)
                """,
                (execution.id, phase.phase, phase.name, phase.status, phase.validation_required),
            )

    def update_execution(self, execution: MigrationExecution, message: str | None = None) -> None:
        self.conn.execute(
            """
            update cutover_audit.executions
            set status = %s, current_phase = %s, ended_at = %s, total_records_processed = %s,
                success_rate = %s, message = coalesce(%s, message), runner_pid = %s
            where id = %s
            """,
            (
                execution.status,
                execution.current_phase,
                execution.ended_at,
                execution.total_records_processed,
                execution.success_rate,
                message,
                os.getpid(),
                execution.id,
            ),
        )

    def update_phase(self, execution_id: str, phase: MigrationPhase) -> None:
        self.conn.execute(
            """
            update cutover_audit.phases
            set status = %s, started_at = %s, ended_at = %s, records_processed = %s,
                records_successful = %s, records_failed = %s
            where execution_id = %s and phase = %s
            """,
            (
                phase.status,
                phase.started_at,
                phase.ended_at,
                phase.records_processed,
                phase.records_successful,
                phase.records_failed,
                execution_id,
                phase.phase,
            ),
        )

    def save_entity_run(
        self, execution_id: str, run: EntityRun, merged: int = 0, data_quality: float | None = None
    ) -> None:
        rate = run.rows_written / run.seconds if run.seconds > 0 else None
        self.conn.execute(
            """
            insert into cutover_audit.entity_runs
                (execution_id, entity, phase, status, started_at, ended_at, expected_records,
                 migrated_records, quarantined_records, merged_records, rows_written, seconds,
                 rows_per_second, data_quality)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            on conflict (execution_id, entity) do update set
                status = excluded.status, started_at = excluded.started_at,
                ended_at = excluded.ended_at, expected_records = excluded.expected_records,
                migrated_records = excluded.migrated_records,
                quarantined_records = excluded.quarantined_records,
                merged_records = excluded.merged_records, rows_written = excluded.rows_written,
                seconds = excluded.seconds, rows_per_second = excluded.rows_per_second,
                data_quality = excluded.data_quality
            """,
            (
                execution_id,
                run.entity,
                run.phase,
                run.status,
                run.started_at,
                run.ended_at,
                run.expected_records,
                run.migrated_records,
                run.quarantined_records,
                merged,
                run.rows_written,
                round(run.seconds, 3),
                round(rate, 1) if rate else None,
                data_quality,
            ),
        )

    def entity_statuses(self, execution_id: str) -> dict[str, str]:
        rows = self.conn.execute(
            "select entity, status from cutover_audit.entity_runs where execution_id = %s",
            (execution_id,),
        ).fetchall()
        return dict(rows)

    def completed_records(self, execution_id: str) -> int:
        """The legacy rows migrated or merged by the phases of an execution that completed."""
        row = self.conn.execute(
            """
            select coalesce(sum(e.migrated_records + e.merged_records), 0)
            from cutover_audit.entity_runs as e
            join cutover_audit.phases as p on p.execution_id = e.execution_id and p.phase = e.phase
            where e.execution_id = %s and p.status = 'completed'
            """,
            (execution_id,),
        ).fetchone()
        return int(row[0])

    def phase_statuses(self, execution_id: str) -> dict[int, str]:
        rows = self.conn.execute(
            "select phase, status from cutover_audit.phases where execution_id = %s", (execution_id,)
        ).fetchall()
        return dict(rows)

    def execution(self, execution_id: str | None = None) -> dict[str, Any] | None:
        """An execution by id (a unique prefix will do), or the latest one."""
        if execution_id:
            rows = self.conn.execute(
                "select * from cutover_audit.executions where id::text like %s order by started_at desc",
                (execution_id + "%",),
            ).fetchall()
            if len(rows) > 1:
                raise CutoverError(f"Execution id {execution_id!r} is ambiguous: give more characters.")
        else:
            rows = self.conn.execute(
                "select * from cutover_audit.executions order by started_at desc limit 1"
            ).fetchall()
        if not rows:
            return None
        columns = [
            c.name for c in self.conn.execute("select * from cutover_audit.executions limit 0").description
        ]
        return dict(zip(columns, rows[0], strict=True))

    def recorded_execution(self, execution_id: str | None = None) -> dict[str, Any]:
        """store.execution(execution_id), or one sentence saying why there is none."""
        row = self.execution(execution_id) if self.has_schema() else None
        if row is None:
            raise CutoverError(self.no_execution(execution_id))
        return row

    def no_execution(self, execution_id: str | None) -> str:
        """Why store.execution(execution_id) found none, as one sentence."""
        recorded = (
            self.conn.execute("select count(*) from cutover_audit.executions").fetchone()[0]
            if self.has_schema()
            else 0
        )
        if not recorded or not execution_id:
            return "No execution has been recorded on this target yet: start one with `cutover run`."
        return (
            f"No execution {execution_id!r} on this target ({recorded:,} recorded; "
            "without an id, `cutover status` shows the latest)."
        )

    def rows(self, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, params or None)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def node_timings(self, execution_id: str) -> list[tuple[str, float, datetime | None]]:
        """The slowest dbt nodes each invocation of the execution logged (metadata slowest):
        name, seconds and, where recorded, when the node started."""
        timings = []
        for (entry,) in self.conn.execute(
            "select metadata -> 'slowest' from cutover_audit.audit_entries "
            "where execution_id = %s and metadata ? 'slowest'",
            (execution_id,),
        ).fetchall():
            for item in entry or []:
                started = datetime.fromisoformat(item[2]) if len(item) >= 3 and item[2] else None
                timings.append((item[0], float(item[1]), started))
        return timings

    def throughput(self) -> dict[str, float]:
        """Rows per second per entity over earlier completed runs (the plan's estimates)."""
        if not self.has_schema():
            return {}
        rows = self.conn.execute(
            """
            select entity, avg(rows_per_second)::float
            from cutover_audit.entity_runs
            where status = 'completed' and rows_written >= 1000 and rows_per_second > 0
            group by entity
            """
        ).fetchall()
        return dict(rows)

    # --- batches --------------------------------------------------------------------------------

    def record_batch(
        self,
        execution_id: str,
        entity: str,
        batch_from: int,
        batch_to: int,
        rows_written: int,
        seconds: float,
    ) -> None:
        self.conn.execute(
            """
            insert into cutover_audit.batch_checkpoints
                (execution_id, entity, batch_from, batch_to, rows_written, seconds)
            values (%s, %s, %s, %s, %s, %s)
            on conflict do nothing
            """,
            (execution_id, entity, batch_from, batch_to, rows_written, round(seconds, 3)),
        )

    def record_batch_plan(self, execution_id: str, entity: str, batches: list[tuple[int, int, int]]) -> None:
        """The ranges (from, to, rows) an execution loads an entity in, once."""
        with self.conn.transaction():
            for batch_from, batch_to, rows in batches:
                self.conn.execute(
                    """
                    insert into cutover_audit.batch_plans
                        (execution_id, entity, batch_from, batch_to, planned_rows)
                    values (%s, %s, %s, %s, %s)
                    on conflict do nothing
                    """,
                    (execution_id, entity, batch_from, batch_to, rows),
                )

    def batch_plan(self, execution_id: str, entity: str) -> list[tuple[int, int, int]]:
        """The ranges recorded for an entity in an execution, in order (none before its first batch)."""
        return self.conn.execute(
            """
            select batch_from, batch_to, planned_rows from cutover_audit.batch_plans
            where execution_id = %s and entity = %s order by batch_from
            """,
            (execution_id, entity),
        ).fetchall()

    def finished_batches(self, execution_id: str, entity: str) -> dict[int, int]:
        rows = self.conn.execute(
            """
            select batch_from, rows_written from cutover_audit.batch_checkpoints
            where execution_id = %s and entity = %s
            """,
            (execution_id, entity),
        ).fetchall()
        return dict(rows)

    # --- validation -------------------------------------------------------------------------------

    def record_validation(
        self,
        execution_id: str,
        phase: int | None,
        level: str,
        result: ValidationResult,
        issues: list[dict[str, Any]],
    ) -> None:
        self.conn.execute(
            """
            insert into cutover_audit.validation_results
                (execution_id, phase, entity, validated_at, level, overall_status,
                 record_count_match, referential_integrity, data_quality, checks, issues)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            """,
            (
                execution_id,
                phase,
                result.entity,
                result.timestamp,
                level,
                result.overall_status,
                result.record_count_match,
                result.referential_integrity,
                result.data_quality,
                Jsonb([vars(c) for c in result.checks]),
                Jsonb(issues),
            ),
        )

    # --- the trail --------------------------------------------------------------------------------

    def append(self, entry: MigrationAuditEntry) -> None:
        # the file first: a target gone mid-run still leaves the entry there
        self._write_log(
            entry.execution_id,
            {
                "timestamp": entry.timestamp.isoformat(),
                "execution_id": entry.execution_id,
                "phase": entry.phase,
                "entity": entry.entity,
                "action": entry.action,
                "message": entry.message,
                "records_affected": entry.records_affected,
                "duration": entry.duration,
                "metadata": entry.metadata,
            },
        )
        self.conn.execute(
            """
            insert into cutover_audit.audit_entries
                (logged_at, execution_id, phase, entity, action, message, records_affected,
                 duration_seconds, metadata)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s)
            """,
            (
                entry.timestamp,
                entry.execution_id,
                entry.phase,
                entry.entity,
                entry.action,
                entry.message,
                entry.records_affected,
                round(entry.duration, 3) if entry.duration is not None else None,
                Jsonb(entry.metadata),
            ),
        )

    def log_to_file(self, execution_id: str, action: str, message: str, **metadata: Any) -> None:
        """An entry for the JSON-lines log only: the target cannot take it (it is gone)."""
        self._write_log(
            execution_id,
            {
                "timestamp": now().isoformat(),
                "execution_id": execution_id,
                "action": action,
                "message": message,
                "metadata": metadata,
            },
        )

    def _write_log(self, execution_id: str, record: dict[str, Any]) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / f"{execution_id}.jsonl").open("a") as log:
            log.write(json.dumps(record, default=str) + "\n")
