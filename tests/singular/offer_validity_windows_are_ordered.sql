-- An offer's validity window never ends before it starts (inverted windows are quarantined).
{{ config(severity='error', tags=['business_rule']) }}

select
    legacy_id,
    valid_from,
    valid_to
from {{ ref('offers') }}
where valid_to < valid_from
