{#- Repair rule for money: rounded to cents as numeric(12, 2); binary float artefacts such as
    1234.5600000000002 disappear. Negative amounts are not repaired: callers quarantine them. -#}
{% macro round_money(column) -%}
    round(({{ column }})::numeric, 2)::numeric(12, 2)
{%- endmacro %}
