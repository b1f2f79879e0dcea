{#- Repair rule for object keys: backslashes become slashes and leading slashes go, so that a
    key matches the object store's listing (storage_inventory.key). -#}
{% macro normalize_file_key(column) -%}
    ltrim(replace({{ column }}, chr(92), '/'), '/')
{%- endmacro %}
