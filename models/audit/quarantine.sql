-- Every quarantined legacy row of every entity, with its reason code and original values.
{% for entity in registry_entities() -%}
select * from {{ ref('quarantine_' ~ entity) }}
{% if not loop.last %}union all
{% endif %}
{%- endfor %}
