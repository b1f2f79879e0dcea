{#- An email that could be delivered to: one @, no spaces, a dot in the domain. -#}
{% macro is_valid_email(expression) -%}
    coalesce(({{ expression }}) ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$', false)
{%- endmacro %}
