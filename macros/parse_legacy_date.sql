{#- Repair rule for dates stored as text: YYYY-MM-DD or MM/DD/YYYY. Anything else ('', an
    impossible date such as 1985-02-30) is NULL; the caller reports it. -#}
{% macro parse_legacy_date(column) -%}
    coalesce(
        util.try_date(trim({{ column }}), 'YYYY-MM-DD'),
        util.try_date(trim({{ column }}), 'MM/DD/YYYY')
    )
{%- endmacro %}
