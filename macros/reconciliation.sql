{#-
    The client's first rule, proved by id: for every (entity, legacy table) pair, the set of
    legacy ids the extraction read (its snapshot, intermediate.legacy_snapshots, one legacy
    snapshot per staging model: macros/legacy_snapshot.sql) equals the ids migrated into the
    entity, quarantined, or merged into another row, each exactly once. Compared as sets in
    both directions, not as counts: a legacy row never staged, a migrated row deleted by hand
    in the target and a row migrated twice each show, with their ids.

    util.reconcile(entity) returns one row per legacy table of the entity (every entity when
    NULL): legacy_rows (the snapshot), migrated_rows, quarantined_rows, merged_rows,
    missing_rows (legacy ids accounted for nowhere), unexpected_rows (rows of the entity, its
    quarantine or its merges whose id the snapshot lacks), unexplained_rows (missing,
    unexpected, and ids accounted for more than once; must be 0), and the first few ids of
    each kind. A pair whose relations are not built yet, or whose legacy table has no snapshot
    recorded, has NULL figures. The runner's phase gate, the test reconciles_with_legacy,
    audit.reconciliation and `cutover validate` all call it: one definition of the proof.

    util.outcomes() returns the same pairs' id sets (extracted, migrated, merged, quarantined
    per reason) as multiranges: what the runner records at the end of each execution
    (cutover_audit.outcomes, runner/outcomes.py) and the rehearsal report compares.

    Its registry, intermediate.entity_legacy_tables, is written from entity_registry() with
    the function, at the start of every dbt invocation (on-run-start) and of every execution
    (prepare_target). A full join of the ids: dispatch_task at scale 1.0 in about 0.4 s.
-#}
{% macro create_reconciliation() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- do check_entity_registry() -%}
    {%- set registry = change_tracking_table('entity_legacy_tables') -%}
    {%- set sql -%}
        create schema if not exists util;
        create schema if not exists {{ registry.schema }};
        create table if not exists {{ registry }} (
            position integer not null,
            entity text not null,
            legacy_table text not null,
            snapshot_model text not null,
            migrated_relation text not null,
            migrated_key text not null,
            quarantine_relation text not null,
            merged_relation text,
            primary key (entity, legacy_table)
        );
        alter table {{ registry }} add column if not exists staged_relation text;
        comment on table {{ registry }} is
            'Per target entity and legacy table: where each legacy row can have gone (macros/reconciliation.sql).';
        delete from {{ registry }};
        insert into {{ registry }} values
        {%- for item in entity_registry() %}
            (
                {{ loop.index }},
                {{ quote_literal(item.entity) }},
                {{ quote_literal(item.legacy_table) }},
                {{ quote_literal(item.staged) }},
                {{ quote_literal(model_relation(item.entity)) }},
                {{ quote_literal(item.get('migrated_key', 'legacy_id')) }},
                {{ quote_literal(model_relation('quarantine_' ~ item.entity)) }},
                {{ quote_literal(model_relation('int_' ~ item.entity ~ '__validated')) if item.get('has_merges') else 'null' }},
                {{ quote_literal(model_relation(item.staged)) }}
            ){{ ',' if not loop.last }}
        {%- endfor %};

        create or replace function util.reconcile(p_entity text default null)
        returns table (
            entity text,
            legacy_table text,
            extracted_at timestamptz,
            legacy_rows bigint,
            migrated_rows bigint,
            quarantined_rows bigint,
            merged_rows bigint,
            missing_rows bigint,
            unexpected_rows bigint,
            unexplained_rows bigint,
            missing_ids bigint [],
            unexpected_ids bigint []
        )
        language plpgsql stable as $fn$
        #variable_conflict use_column
        declare
            pair record;
        begin
            for pair in
                select registry.*, snapshot.extracted_at as snapshot_at, snapshot.legacy_ids is not null as has_snapshot
                from {{ registry }} as registry
                left join {{ legacy_snapshots() }} as snapshot on snapshot.model_name = registry.snapshot_model
                where p_entity is null or registry.entity = p_entity
                order by registry.position
            loop
                if not pair.has_snapshot
                    or to_regclass(pair.migrated_relation) is null
                    or to_regclass(pair.quarantine_relation) is null
                    or (pair.merged_relation is not null and to_regclass(pair.merged_relation) is null)
                then
                    return query select
                        pair.entity, pair.legacy_table, pair.snapshot_at,
                        null::bigint, null::bigint, null::bigint, null::bigint, null::bigint, null::bigint,
                        null::bigint, null::bigint [], null::bigint [];
                    continue;
                end if;
                -- one row per id of the snapshot and per row accounted for: a legacy id
                -- accounted for twice matches two rows, so the matched rows less the legacy ids
                -- matched are the surplus
                return query execute format(
                    $query$
                    with snapshot as (
                        select extracted_at, legacy_ids from {{ legacy_snapshots() }} where model_name = $1
                    ),

                    legacy as (
                        select unnest(legacy_ids) as legacy_id from snapshot
                    ),

                    accounted as (
                        select %2$I::bigint as legacy_id, 'migrated' as fate from %1$s where %2$I is not null
                        union all
                        select legacy_id::bigint, 'quarantined' from %3$s where legacy_table = $2
                        %4$s
                    ),

                    compared as (
                        select
                            legacy.legacy_id,
                            accounted.legacy_id as accounted_id,
                            accounted.fate
                        from legacy
                        full join accounted on accounted.legacy_id = legacy.legacy_id
                    ),

                    figures as (
                        select
                            (select cardinality(legacy_ids) from snapshot)::bigint as legacy_rows,
                            count(*) filter (where fate = 'migrated') as migrated_rows,
                            count(*) filter (where fate = 'quarantined') as quarantined_rows,
                            count(*) filter (where fate = 'merged') as merged_rows,
                            count(*) filter (where accounted_id is null) as missing_rows,
                            count(*) filter (where compared.legacy_id is null) as unexpected_rows,
                            count(*) filter (where compared.legacy_id is not null and accounted_id is not null)
                                as matched_rows,
                            (array_agg(compared.legacy_id order by compared.legacy_id)
                                filter (where accounted_id is null))[1:5] as missing_ids,
                            (array_agg(accounted_id order by accounted_id)
                                filter (where compared.legacy_id is null))[1:5] as unexpected_ids
                        from compared
                    )

                    select
                        $3, $2, (select extracted_at from snapshot),
                        legacy_rows, migrated_rows, quarantined_rows, merged_rows,
                        missing_rows, unexpected_rows,
                        missing_rows + unexpected_rows + (matched_rows - (legacy_rows - missing_rows)),
                        coalesce(missing_ids, '{}'), coalesce(unexpected_ids, '{}')
                    from figures
                    $query$,
                    pair.migrated_relation,
                    pair.migrated_key,
                    pair.quarantine_relation,
                    case when pair.merged_relation is not null then format(
                        'union all select legacy_id::bigint, %L from %s where merged_into_legacy_id is not null',
                        'merged', pair.merged_relation
                    ) else '' end
                ) using pair.snapshot_model, pair.legacy_table, pair.entity;
            end loop;
        end
        $fn$;
        comment on function util.reconcile(text) is
            'Where every legacy row of the extraction went, by id, per entity and legacy table (macros/reconciliation.sql).';

        create or replace function util.outcomes()
        returns table (
            entity text,
            legacy_table text,
            fate text,
            reason text,
            row_count bigint,
            legacy_ids int8multirange
        )
        language plpgsql stable as $fn$
        #variable_conflict use_column
        declare
            pair record;
        begin
            for pair in
                select registry.*, snapshot.legacy_ids as snapshot_ids
                from {{ registry }} as registry
                left join {{ legacy_snapshots() }} as snapshot on snapshot.model_name = registry.snapshot_model
                order by registry.position
            loop
                if to_regclass(pair.migrated_relation) is null
                    or to_regclass(pair.quarantine_relation) is null
                    or (pair.merged_relation is not null and to_regclass(pair.merged_relation) is null)
                then
                    continue;
                end if;
                -- the extraction's ids as the runs of consecutive ids (an id less its rank is
                -- constant along a run): a range per run, not one per id to merge (docs/benchmark.md;
                -- on a table, its index scan costs the same either way)
                if pair.snapshot_ids is not null then
                    return query select
                        pair.entity, pair.legacy_table, 'extracted'::text, ''::text,
                        cardinality(pair.snapshot_ids)::bigint,
                        (select coalesce(range_agg(int8range(low, high, '[]')), '{}') from (
                            select min(id) as low, max(id) as high
                            from (
                                select id, id - row_number() over (order by id) as run
                                from unnest(pair.snapshot_ids) as id
                            ) as ranked
                            group by run
                        ) as runs);
                end if;
                return query execute format(
                    $query$
                    select $1, $2, 'migrated'::text, ''::text, count(*),
                        coalesce(range_agg(int8range(id, id, '[]')), '{}')
                    from (select %2$I::bigint as id from %1$s where %2$I is not null) as migrated
                    union all
                    select $1, $2, 'quarantined', reject_reason, count(*),
                        range_agg(int8range(legacy_id::bigint, legacy_id::bigint, '[]'))
                    from %3$s where legacy_table = $2
                    group by reject_reason
                    %4$s
                    $query$,
                    pair.migrated_relation,
                    pair.migrated_key,
                    pair.quarantine_relation,
                    case when pair.merged_relation is not null then format(
                        'union all select $1, $2, %L, %L, count(*), '
                        'coalesce(range_agg(int8range(legacy_id::bigint, legacy_id::bigint, %L)), %L) '
                        'from %s where merged_into_legacy_id is not null',
                        'merged', '', '[]', '{}', pair.merged_relation
                    ) else '' end
                ) using pair.entity, pair.legacy_table;
            end loop;
        end
        $fn$;
        comment on function util.outcomes() is
            'Per entity and legacy table, the ids extracted, migrated, merged and quarantined per reason, as id sets (macros/reconciliation.sql).';
    {%- endset -%}
    {%- do run_query(sql) -%}
    {%- do run_query('commit') -%}
    {{ return('') }}
{% endmacro %}


{#- The relation a model of this project builds, by name (also where ref() is not available: in
    the hooks that start a dbt invocation). -#}
{% macro model_relation(name) -%}
    {{- return(graph.nodes['model.' ~ project_name ~ '.' ~ name].relation_name) -}}
{%- endmacro %}
