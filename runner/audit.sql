-- The runner's audit store in the target database, schema cutover_audit: run idempotently by
-- the DBA script (runner/dba.py) as the schema's owner, never by the migration role.
-- executions, phases and entity_runs hold the current state of each execution; audit_entries
-- is the append-only trail (a trigger refuses UPDATE and DELETE); validation_results keeps every
-- validation; batch_plans and batch_checkpoints let a resumed execution load the same batches
-- and skip the finished ones; snapshots lists the before-images that rollback restores.
create table if not exists cutover_audit.executions (
    id uuid primary key,
    feature_name text not null,
    profile text not null,
    status text not null,
    current_phase integer,
    started_at timestamptz not null,
    ended_at timestamptz,
    total_records_expected bigint not null default 0,
    total_records_processed bigint not null default 0,
    success_rate numeric(6, 2),
    selection jsonb not null default '{}',
    config jsonb not null default '{}',
    runner_host text,
    runner_pid integer,
    message text
);

create table if not exists cutover_audit.phases (
    execution_id uuid not null references cutover_audit.executions (id),
    phase integer not null,
    name text not null,
    status text not null,
    started_at timestamptz,
    ended_at timestamptz,
    records_processed bigint not null default 0,
    records_successful bigint not null default 0,
    records_failed bigint not null default 0,
    validation_required boolean not null default true,
    primary key (execution_id, phase)
);

create table if not exists cutover_audit.entity_runs (
    execution_id uuid not null references cutover_audit.executions (id),
    entity text not null,
    phase integer not null,
    status text not null,
    started_at timestamptz,
    ended_at timestamptz,
    expected_records bigint not null default 0,
    migrated_records bigint not null default 0,
    quarantined_records bigint not null default 0,
    merged_records bigint not null default 0,
    rows_written bigint not null default 0,
    seconds numeric(12, 3),
    rows_per_second numeric(14, 1),
    data_quality numeric(5, 1),
    primary key (execution_id, entity)
);

create table if not exists cutover_audit.batch_checkpoints (
    execution_id uuid not null references cutover_audit.executions (id),
    entity text not null,
    batch_from bigint not null,
    batch_to bigint not null,
    rows_written bigint not null,
    seconds numeric(12, 3) not null,
    finished_at timestamptz not null default now(),
    primary key (execution_id, entity, batch_from)
);

-- The batches of a massive entity, planned from its rows when the execution first loads it in
-- batches: a resumed execution loads the same ranges whatever legacy rows came or went since.
create table if not exists cutover_audit.batch_plans (
    execution_id uuid not null references cutover_audit.executions (id),
    entity text not null,
    batch_from bigint not null,
    batch_to bigint not null,
    planned_rows bigint not null,
    planned_at timestamptz not null default now(),
    primary key (execution_id, entity, batch_from)
);

create table if not exists cutover_audit.validation_results (
    id bigserial primary key,
    execution_id uuid not null references cutover_audit.executions (id),
    phase integer,
    entity text,
    validated_at timestamptz not null default now(),
    level text not null,
    overall_status text not null,
    record_count_match boolean,
    referential_integrity boolean,
    data_quality numeric(5, 1),
    checks jsonb not null default '[]',
    issues jsonb not null default '[]'
);

create table if not exists cutover_audit.audit_entries (
    id bigserial primary key,
    logged_at timestamptz not null default clock_timestamp(),
    execution_id uuid,
    phase integer,
    entity text,
    action text not null check (action in ('start', 'progress', 'complete', 'error', 'validate', 'rollback')),
    message text not null,
    records_affected bigint,
    duration_seconds numeric(12, 3),
    metadata jsonb not null default '{}'
);

create table if not exists cutover_audit.snapshots (
    execution_id uuid not null references cutover_audit.executions (id),
    entity text not null,
    snapshot_table text,
    was_empty boolean not null,
    row_count bigint not null,
    taken_at timestamptz not null default now(),
    restored_at timestamptz,
    primary key (execution_id, entity)
);

create or replace function cutover_audit.refuse_change() returns trigger
language plpgsql as $$
begin
    raise exception 'cutover_audit.% is append-only', tg_table_name;
end
$$;

do $$
begin
    if not exists (
        select 1 from pg_trigger where tgname = 'audit_entries_append_only'
    ) then
        create trigger audit_entries_append_only
            before update or delete on cutover_audit.audit_entries
            for each row execute function cutover_audit.refuse_change();
        create trigger audit_entries_no_truncate
            before truncate on cutover_audit.audit_entries
            for each statement execute function cutover_audit.refuse_change();
    end if;
end
$$;
