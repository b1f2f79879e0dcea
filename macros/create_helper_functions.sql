{#-
    Small SQL functions the repair rules need and PostgreSQL 14 lacks, in schema `util`:
    util.try_jsonb(text) and util.try_date(text, format) return NULL instead of failing on
    input that is not JSON or not a calendar date. On PostgreSQL 16+ they use
    pg_input_is_valid (no subtransaction per row); before that, an exception block.
-#}
{% macro create_helper_functions() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set version = run_query("select current_setting('server_version_num')::int").columns[0].values()[0] -%}
    {%- set sql -%}
        create schema if not exists util;
        comment on schema util is 'Helper functions of the migration (cutover).';
        {% if version >= 160000 %}
        create or replace function util.try_jsonb(value text) returns jsonb
        language plpgsql immutable parallel safe as $fn$
        begin
            if value is null then
                return null;
            end if;
            -- pg_input_is_valid needs no subtransaction, but a nesting deeper than the server's
            -- stack still raises: a document with many brackets takes the guarded path
            if length(value) - length(translate(value, '[{', '')) < 1000 then
                if pg_input_is_valid(value, 'jsonb') then
                    return value::jsonb;
                end if;
                return null;
            end if;
            begin
                return value::jsonb;
            exception when others then
                return null;
            end;
        end
        $fn$;
        {% else %}
        create or replace function util.try_jsonb(value text) returns jsonb
        language plpgsql immutable parallel safe as $fn$
        begin
            return value::jsonb;
        exception when others then
            return null;
        end
        $fn$;
        {% endif %}
        create or replace function util.try_date(value text, format text) returns date
        language plpgsql immutable parallel safe as $fn$
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
