{#-
    Rule for duplicates: among the valid rows (reject_reason is null) that share the values of
    `partition_by`, the first one (lowest legacy id) survives and every other one is merged into
    it. The expression is the survivor's legacy id for a merged row, NULL for the others.
-#}
{% macro merged_into_legacy_id(partition_by) -%}
    case
        when reject_reason is null
            then nullif(
                first_value(legacy_id) over (
                    partition by {{ partition_by }}, reject_reason is null order by legacy_id
                ),
                legacy_id
            )
    end
{%- endmacro %}
