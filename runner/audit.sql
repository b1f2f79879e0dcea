-- The runner's audit store in the target database, schema cutover_audit: run idempotently by
-- the DBA script (runner/dba.py) as the schema's owner, never by the migration role (with
-- cutover_snapshots, the schema of the before-images, which the same role owns).
-- executions, phases and entity_runs hold the current state of each execution; audit_entries
-- is the append-only trail (a trigger refuses UPDATE and DELETE); validation_results keeps every
-- validation; batch_plans and batch_checkpoints let a resumed execution load the same batches
-- and skip the finished ones; snapshots lists the before-images that rollback restores;
-- outcomes keeps where every legacy row stood at the end of each execution.
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

-- Where every legacy row stood when an execution ended (completed or stopped at a gate): per
-- entity and legacy table, the ids the extraction read, migrated, merged, quarantined per
-- reason, and migrated with a data-quality issue per kind, as id sets. Recorded anew when a
-- resumed execution ends (the latest recording of an execution is its outcome): what the
-- rehearsal report compares between executions (rows fixed, rows broken).
create table if not exists cutover_audit.outcomes (
    execution_id uuid not null references cutover_audit.executions (id),
    recorded_at timestamptz not null,
    entity text not null,
    legacy_table text not null,
    fate text not null check (fate in ('extracted', 'migrated', 'merged', 'quarantined', 'data_quality')),
    reason text not null default '',
    row_count bigint not null,
    legacy_ids int8multirange not null,
    primary key (execution_id, recorded_at, entity, legacy_table, fate, reason)
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

-- The indexes and foreign keys a first load of a massive entity dropped, until it rebuilds them
-- (runner/deferral.py): what a crash must not lose.
create table if not exists cutover_snapshots.deferred_definitions (
    table_name text not null,
    kind text not null check (kind in ('index', 'foreign key')),
    name text not null,
    definition text not null,
    deferred_at timestamptz not null default now(),
    primary key (table_name, name)
);

-- A before-image the migration role has just copied into cutover_snapshots becomes the audit
-- owner's (in the transaction that records it in cutover_audit.snapshots): the migration role
-- keeps SELECT on it, and can no longer alter or drop it.
create or replace function cutover_audit.seal_before_image(copy_name text) returns void
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
    copy regclass := to_regclass(format('cutover_snapshots.%I', copy_name));
begin
    if copy is null then
        raise exception 'there is no before-image cutover_snapshots.%', copy_name;
    end if;
    execute format('alter table %s owner to cutover_audit_owner', copy);
    execute format('grant select on %s to %I', copy, session_user);
end
$$;

-- Drops a before-image of an execution older than the latest that took before-images (the
-- runner keeps those of the keep_before_images most recent ones), and says so in the trail.
create or replace function cutover_audit.drop_before_image(copy_name text) returns void
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
    owner_execution uuid;
    latest uuid;
begin
    select s.execution_id into owner_execution
    from cutover_audit.snapshots as s where s.snapshot_table = copy_name;
    select e.id into latest
    from cutover_audit.executions as e
    where exists (select from cutover_audit.snapshots as k where k.execution_id = e.id)
    order by e.started_at desc
    limit 1;
    if owner_execution is null or owner_execution = latest then
        raise exception 'the before-image cutover_snapshots.% belongs to the latest execution or to none: it stays',
            copy_name using errcode = 'insufficient_privilege';
    end if;
    execute format('drop table if exists cutover_snapshots.%I', copy_name);
    insert into cutover_audit.audit_entries (execution_id, action, message)
    values (owner_execution, 'progress', format('before-image cutover_snapshots.%s dropped', copy_name));
end
$$;
