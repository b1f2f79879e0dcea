{#-
    The staged snapshot has as many rows as the legacy table has now. A difference means the
    live application changed the table since this run read it (expected during a rehearsal,
    not during the final cutover window): a warning by default.
-#}
{% test matches_legacy_row_count(model, legacy) %}
    with staged as (
        select count(*) as row_count from {{ model }}
    ),

    live as (
        select count(*) as row_count from {{ legacy }}
    )

    select
        staged.row_count as staged_rows,
        live.row_count as legacy_rows
    from staged
    cross join live
    where staged.row_count <> live.row_count
{% endtest %}
