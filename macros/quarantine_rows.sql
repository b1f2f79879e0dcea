{#-
    The rejected rows of one entity, as its quarantine relation holds them: the legacy table
    and key, the reason code, and the original legacy values as jsonb (the staging row, which
    never carries secrets such as password hashes). `legacy_table` names the one legacy table
    the entity reads; pass none where the validated model has a legacy_table column.

    Kept between runs like the target entities (dbt_project.yml): a build takes in the
    rejected rows among the verdicts changed since its last one, after the pre-hook
    forget_changed_quarantine has removed every row whose verdict changed or vanished since
    then, so a row leaves the quarantine when its legacy row is repaired or deleted and
    `quarantined_at` is the run that quarantined it as it now stands. Rebuilt from every row,
    each delta rewrote every quarantined row with its original values for a few thousand
    changes (on the dev database after many mutate rounds: 380,000 rows, 171 MB, logged, 8.9 s
    of the 28 models' SQL).
-#}
{% macro quarantine_rows(validated, entity, legacy_table) -%}
    {%- set since = changes_since(model.name, [validated.identifier]) -%}
    {%- set rejected -%}
    select
        '{{ entity }}'::text as entity,
        {% if legacy_table is none -%}
            legacy_table,
        {%- else -%}
            '{{ legacy_table }}'::text as legacy_table,
        {%- endif %}
        legacy_id,
        reject_reason,
        original_values,
        now() as quarantined_at
    from {{ validated }}
    where reject_reason is not null
    {%- endset %}
    -- every rejected row on a first build (no watermark yet: the same SQL, so the same
    -- definition) ...
    {{ rejected }}
        and {{ since }} = '-infinity'
    union all
    -- ... then those of the legacy ids forget_changed_quarantine removed (an account and an
    -- orphan profile row can share one); a branch each, so that a delta reads the verdicts
    -- by index (an `or` read all 762,000 of tasks)
    {{ rejected }}
        and {{ since }} <> '-infinity'
        and legacy_id in ({{ verdicts_changed_since(validated, since) }})
{%- endmacro %}


{#- Pre-hook of the quarantine models: remove the quarantined rows whose verdict changed or
    vanished since the model's last build (all of them when it has no watermark); the build
    puts back those still rejected. The verdicts are those of the one intermediate model the
    quarantine model reads. A hook of its own after check_change_watermark: the watermark is
    read as this hook is rendered, which must be after a changed definition has voided it. -#}
{% macro forget_changed_quarantine() -%}
    {%- if execute and is_incremental() %}
    {%- set verdicts = [] %}
    {%- for node_id in model.depends_on.nodes if node_id.split('.')[-1].startswith('int_') %}
        {%- do verdicts.append(node_id.split('.')[-1]) %}
    {%- endfor %}
    {%- if verdicts | length != 1 %}
        {%- do exceptions.raise_compiler_error(
            model.name ~ " reads " ~ (verdicts | join(', ') or 'no intermediate model')
            ~ ": a quarantine model reads the verdicts of exactly one."
        ) %}
    {%- endif %}
    {%- set validated = ref(verdicts[0]) %}
    {%- set since = changes_since_literal(this.identifier, [validated.identifier]) %}
    {#- the index on legacy_id before the lookups (a quarantine table of an earlier version has
        none: without it, deleting a few hundred rows scanned the table for each, docs/benchmark.md) #}
    {{ ensure_indexes(this) }}
    delete from {{ this }}
    {%- if since is not none %}
    where legacy_id in ({{ verdicts_changed_since(validated, since) }})
    {%- endif %}
    {%- endif %}
{%- endmacro %}
