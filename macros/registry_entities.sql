{#- The target entities of entity_registry(), each once, in phase order. -#}
{% macro registry_entities() %}
    {%- set entities = [] -%}
    {%- for item in entity_registry() if item.entity not in entities -%}
        {%- do entities.append(item.entity) -%}
    {%- endfor -%}
    {{ return(entities) }}
{% endmacro %}
