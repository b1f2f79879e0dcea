{#- Post-hook of the intermediate models: statistics for a table rebuilt by this run, at once.
    An incremental one (the kept plan documents) changes little per run and is left to
    autovacuum: analysing it would read a sample of its documents for nothing. -#}
{% macro analyze_rebuilt_table() -%}
    {%- if model.config.materialized == 'table' -%}
    analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
