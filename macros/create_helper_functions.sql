{#-
    Small SQL functions the repair rules need and PostgreSQL 14 lacks, in schema `util`:
    util.try_jsonb(text) and util.try_date(text, format) return NULL instead of failing on
    input that is not JSON or not a calendar date, through an exception block.

    Both are PARALLEL UNSAFE, as PostgreSQL requires of a function with an exception block: a
    parallel worker cannot open the block's subtransaction, and the failure to open it is what
    the block then catches, so in a worker every call returned NULL. Marked parallel safe, they
    did so wherever the planner chose a parallel plan (tables of some size: at scale 1.0,
    19,000 of 66,000 valid project milestones were migrated as NULL and reported invalid).
-#}
{% macro create_helper_functions() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set sql -%}
        create schema if not exists util;
        comment on schema util is 'Helper functions of the migration (cutover).';
        -- One parse per document inside an exception block. Checking first with
        -- pg_input_is_valid parses twice (twice the time: docs/benchmark.md), and a nesting deeper than the server's stack raises there too. The block's
        -- subtransaction assigns no transaction id, since nothing is written.
        create or replace function util.try_jsonb(value text) returns jsonb
        language plpgsql immutable parallel unsafe as $fn$
        begin
            return value::jsonb;
        exception when others then
            return null;
        end
        $fn$;
        create or replace function util.try_date(value text, format text) returns date
        language plpgsql immutable parallel unsafe as $fn$
        declare
            parsed date;
        begin
            -- to_date is lenient (2021-02-30 becomes 2021-03-02): accept only a round trip
            parsed := to_date(value, format);
            if to_char(parsed, format) = value then
                return parsed;
            end if;
            return null;
        exception when others then
            return null;
        end
        $fn$;
        comment on function util.try_jsonb(text) is 'The text as jsonb, or NULL where it is not JSON.';
        comment on function util.try_date(text, text) is 'The text as a date in the given format, or NULL where it is no calendar date.';
    {%- endset -%}
    {%- do run_query(sql) -%}
    {%- do run_query('commit') -%}
    {{ return('') }}
{% endmacro %}
