{#-
    A legacy `timestamp without time zone` (the lab's wall clock, America/Chicago) as timestamptz.

    DST rule, as PostgreSQL applies it and as this project documents it: a wall-clock time that
    does not exist (inside the spring-forward gap, e.g. 2021-03-14 02:30) and a wall-clock time
    that exists twice (inside the fall-back overlap, e.g. 2021-11-07 01:30) are both read with
    the standard-time offset, UTC-6. So 02:30 in the gap becomes 08:30 UTC (03:30 CDT), and
    01:30 in the overlap becomes 07:30 UTC, the later of its two possible instants.
-#}
{% macro legacy_timestamp(column) -%}
    ({{ column }} at time zone '{{ var("legacy_timezone") }}')
{%- endmacro %}
