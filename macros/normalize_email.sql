{#- Repair rule for emails: trimmed and lower-cased; '' becomes NULL. Validity: is_valid_email. -#}
{% macro normalize_email(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}
