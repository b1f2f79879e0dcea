{#-
    A legacy `modified` (Django's auto_now) as the target keeps it. Most rows carry the time of
    their last save through the application; a few carry none (rows imported without one) or a
    time in the future (written by an application server whose clock was wrong). Neither is
    essential, and neither is trusted for anything: changes are found by row version
    (macros/incremental_staging.sql). Client rule 4: such a value is migrated as NULL and
    reported as a data-quality issue.

    `modified` is the converted column (updated_at, macro legacy_timestamp); `staged_at` is
    when the row was read, against which "future" is judged, with var legacy_future_tolerance
    for the application servers' clocks and the repeated hour of a DST fall-back.
-#}
{% macro legacy_modified_issue(modified, staged_at='staged_at') -%}
    case
        when {{ modified }} is null then 'missing_modified'
        when {{ modified }} > {{ staged_at }} + interval '{{ var("legacy_future_tolerance") }}'
            then 'modified_in_future'
    end
{%- endmacro %}


{#- The value migrated: NULL when it lies in the future (legacy_modified_issue). -#}
{% macro legacy_modified(modified, staged_at='staged_at') -%}
    case
        when {{ modified }} <= {{ staged_at }} + interval '{{ var("legacy_future_tolerance") }}'
            then {{ modified }}
    end
{%- endmacro %}
