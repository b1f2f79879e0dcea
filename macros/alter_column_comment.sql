{#-
    dbt-postgres's column comments without its second look-up of the table's columns: dbt's
    persist_docs has just fetched them and passes only the documented columns that exist. Each
    look-up is an adapter call that renders its macro in a new macro context (about 40 ms of
    the runner's CPU), once per model and run.
-#}
{% macro postgres__alter_column_comment(relation, column_dict) %}
  {% for column_name in column_dict %}
    {% set comment = column_dict[column_name]['description'] %}
    {% set escaped_comment = postgres_escape_comment(comment) %}
    comment on column {{ relation }}.{{ adapter.quote(column_name) if column_dict[column_name]['quote'] else column_name }} is {{ escaped_comment }};
  {% endfor %}
{% endmacro %}
