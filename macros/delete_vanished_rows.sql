{#-
    Post-hook of every target entity: remove the target rows whose legacy row is gone (hard
    deleted in the live application) or no longer valid (now quarantined). `validated` is the
    entity's intermediate model; its rows without a reject_reason are what the target must hold.
    Children follow through their foreign keys (ON DELETE CASCADE for required references, SET
    NULL for optional ones) and are then reconciled by their own models.
-#}
{% macro delete_vanished_rows(validated) -%}
    delete from {{ this }} as target_row
    where not exists (
        select 1
        from {{ validated }} as validated_row
        where validated_row.legacy_id = target_row.legacy_id
            and validated_row.reject_reason is null
    )
{%- endmacro %}
