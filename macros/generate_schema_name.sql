{#- Schemas are named exactly as configured (staging, app, quarantine, ...), not prefixed with
    the target's default schema: the new application reads `app`, whatever the environment. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
