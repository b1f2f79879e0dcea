{#- A value as a SQL string literal, for DDL options that take no bind parameters. -#}
{% macro quote_literal(value) -%}
    '{{ (value | string).replace("'", "''") }}'
{%- endmacro %}
