{#-
    A target primary key derived from the entity name and the legacy key: the same legacy row
    gets the same uuid on every run, in every environment. A name-based UUID (version 3,
    MD5 of '<entity>:<legacy key>', RFC 4122 variant bits): hex digit 13 becomes the version
    '3', digit 17 one of 8, 9, a, b.
-#}
{% macro stable_uuid(entity, legacy_key) -%}
    {%- set hash -%} md5('{{ entity }}:' || ({{ legacy_key }})::text) {%- endset -%}
    (
        left({{ hash }}, 12)
        || '3'
        || substr({{ hash }}, 14, 3)
        || substr('89ab', (get_byte(decode({{ hash }}, 'hex'), 8) & 3) + 1, 1)
        || substr({{ hash }}, 18)
    )::uuid
{%- endmacro %}
