{#- The runner's set-up of the target, once per execution and in one dbt invocation: the
    foreign tables, the helper functions, the change-tracking tables and the reconciliation (what on-run-start does
    for a plain `dbt build`). -#}
{% macro prepare_target() %}
    {%- do setup_legacy_fdw() -%}
    {%- do create_helper_functions() -%}
    {%- do create_change_tracking_tables() -%}
    {%- do create_reconciliation() -%}
{% endmacro %}
