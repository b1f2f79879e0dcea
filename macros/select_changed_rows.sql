{#-
    The last statement of every target entity: the rows of CTE `cte` with their row_hash (MD5
    of all migrated values), and on an incremental run only those that are new or differ from
    the target, so that a re-run with no legacy change writes no row at all. Restricted to the
    current batch while the runner loads a massive entity in batches (macro batch_condition), on
    both sides of the comparison, so a batch reads its own range of the target, not all of it.

    A row is compared with the target column by column (IS NOT DISTINCT FROM, so NULLs compare
    equal), and its row_hash only where the values agree: a parent's delete may have set a
    column NULL (ON DELETE SET NULL) without touching the hash. Hashing means printing every
    value as text (at scale 1.0 the 762,000 tasks took 5 s), so it is done for the few rows a
    delta looks at (`cte` holds only the verdicts changed since the entity's last build, macro
    verdicts_changed_since_last_load), not for every row. The columns are the model's contract
    (its YAML), which the database enforces to be exactly the columns of `cte` and row_hash.

    `hash_instead` names, for a column whose printing is dear, a column of `cte` that stands for
    it in the hash: the MD5 of the legacy text it was parsed from, say. The treatment plans'
    documents (363 MB of jsonb at scale 1.0) took 3.8 s to print for the hash; their legacy
    text's MD5 is already at hand. `cte` then carries that column too, and only the model's
    columns are selected.
-#}
{% macro select_changed_rows(cte, hash_instead={}) -%}
{%- set columns = model.columns.keys() | reject('equalto', 'row_hash') | list %}
{%- set compared = columns | reject('equalto', 'legacy_id') | list %}
{%- if hash_instead %}
    {%- set hashed -%}
        md5(row(
            {%- for column in columns %}
            {{ cte }}.{{ hash_instead.get(column, column) }}{{ ',' if not loop.last }}
            {%- endfor %}
        )::text)
    {%- endset %}
{%- else %}
    {%- set hashed = 'md5(' ~ cte ~ '::text)' %}
{%- endif %}
select
    {%- if hash_instead %}
    {%- for column in columns %}
    {{ cte }}.{{ column }},
    {%- endfor %}
    {%- else %}
    {{ cte }}.*,
    {%- endif %}
    {{ hashed }} as row_hash
from {{ cte }}
where true
{%- call left_out_of_definition() %}{{ batch_condition(cte ~ '.legacy_id') }}{% endcall %}
{%- if is_incremental() %}
    {%- call left_out_of_definition() %}
    and not exists (
        select 1
        from {{ this }} as existing
        where existing.legacy_id = {{ cte }}.legacy_id
            and (
                {%- for column in compared %}
                existing.{{ column }}{{ ',' if not loop.last }}
                {%- endfor %}
            ) is not distinct from (
                {%- for column in compared %}
                {{ cte }}.{{ column }}{{ ',' if not loop.last }}
                {%- endfor %}
            )
            -- the values may agree and the hash not: a parent's delete set a column NULL
            and existing.row_hash = {{ hashed }}
            {{- batch_condition('existing.legacy_id') }}
    )
    {%- endcall %}
{%- endif %}
{%- endmacro %}
