{#-
    The last statement of every target entity: the rows of CTE `cte` with their row_hash (MD5
    of all migrated values), and on an incremental run only those that are new or differ from
    the target, so that a re-run with no legacy change writes no row at all. Restricted to the
    current batch while the runner loads a massive entity in batches (macro batch_condition), on
    both sides of the comparison, so a batch reads its own range of the target, not all of it.
-#}
{% macro select_changed_rows(cte) -%}
select
    {{ cte }}.*,
    md5({{ cte }}::text) as row_hash
from {{ cte }}
where true
{{- batch_condition(cte ~ '.legacy_id') }}
{%- if is_incremental() %}
    and not exists (
        select 1
        from {{ this }} as existing
        where existing.legacy_id = {{ cte }}.legacy_id
            and existing.row_hash = md5({{ cte }}::text)
            {{- batch_condition('existing.legacy_id') }}
    )
{%- endif %}
{%- endmacro %}
