{#- Post-hook of the intermediate models: statistics for a table this build created (first
    load, --full-refresh, both recorded as a rebuild by check_change_watermark), at once. A
    build that only wrote the verdicts that changed leaves them to autovacuum. -#}
{% macro analyze_rebuilt_table() -%}
    {%- if execute %}
    do $analyze$
    begin
        if exists (
            select 1 from {{ change_watermarks() }}
            where model_name = {{ quote_literal(this.identifier) }} and rebuilt_at = now()
        ) then
            analyze {{ this }};
        end if;
    end
    $analyze$
    {%- endif %}
{%- endmacro %}
