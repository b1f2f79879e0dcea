{#-
    A target primary key derived from the entity name and the legacy key: the same legacy row
    gets the same uuid on every run, in every environment. A name-based UUID (version 3,
    MD5 of '<entity>:<legacy key>', RFC 4122 variant bits).
-#}
{% macro stable_uuid(entity, legacy_key) -%}
    (overlay(overlay(md5('{{ entity }}:' || ({{ legacy_key }})::text) placing '3' from 13)
        placing substr('89ab', (get_byte(decode(md5('{{ entity }}:' || ({{ legacy_key }})::text), 'hex'), 8) & 3) + 1, 1)
        from 17))::uuid
{%- endmacro %}
