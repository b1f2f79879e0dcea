{#-
    Incremental strategy `upsert`: INSERT ... ON CONFLICT (unique_key) DO UPDATE.
    Changed rows are updated in place rather than deleted and re-inserted, so that foreign keys
    from child entities (ON DELETE CASCADE / SET NULL) never fire on a mere update, and it works
    on PostgreSQL 14 (MERGE needs 15). The unique key must carry a unique constraint (contract).
-#}
{% macro get_incremental_upsert_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='name') | list -%}
    insert into {{ target }} ({{ columns | join(', ') }})
    select {{ columns | join(', ') }}
    from {{ source }}
    on conflict ({{ unique_key }}) do update set
    {%- for column in columns if column != unique_key %}
        {{ column }} = excluded.{{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{% endmacro %}
