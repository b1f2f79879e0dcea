{#- The join condition that maps a free-text legacy code through a mapping seed whose
    legacy_value column holds the trimmed, lower-cased spellings. -#}
{% macro map_code(column, seed_alias) -%}
    lower(trim({{ column }})) = {{ seed_alias }}.legacy_value
{%- endmacro %}
