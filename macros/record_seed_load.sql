{#- Post-hook of every seed: which file (dbt's checksum of the CSV) and which column types the
    table was last loaded from, so that the runner reloads the mapping seeds only when one of
    them changed or is missing (runner/execute.py, Executor.setup). -#}
{% macro record_seed_load() -%}
    {%- if execute %}
    insert into {{ seed_loads() }} as recorded (seed_name, checksum, column_types, loaded_at)
    values (
        {{ quote_literal(model.name) }},
        {{ quote_literal(model.checksum.checksum) }},
        {{ quote_literal(tojson(model.config.column_types or {})) }}::jsonb,
        now()
    )
    on conflict (seed_name) do update
    set checksum = excluded.checksum, column_types = excluded.column_types, loaded_at = excluded.loaded_at
    {%- endif %}
{%- endmacro %}
