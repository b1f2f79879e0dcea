{#-
    dbt-core's table materialization (1.11), for PostgreSQL, with its swap and clean-up done in
    SQL statements instead of adapter.rename_relation and adapter.drop_relation.

    Why: each of those adapter calls renders its macro in a complete new macro context, about
    40 ms of the runner's CPU (py-spy of a delta cutover: 6.5 of 77 CPU seconds in
    rename_relation alone). The staging copies, verdicts, quarantines and audit tables are 78
    tables rebuilt on every run, three such calls each: some 9 seconds per run on a two-core
    machine. Everything else is dbt's: the new table is built beside the old one, swapped in
    within the model's transaction, the old one dropped after the commit.

    The relation cache follows the swap and the drop as dbt's own calls would have it (its Python
    methods, which render nothing): a view over the table (a package's, or a later model of this
    project) is dropped with the old table by the cascade, in the cache too, and built again by
    its own model; before, the cache still listed it and its next build failed.
-#}
{% materialization table, adapter='postgres' %}

  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') %}
  {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
  {%- set preexisting_intermediate_relation = load_cached_relation(intermediate_relation) -%}
  {%- set backup_relation_type = 'table' if existing_relation is none else existing_relation.type -%}
  {%- set backup_relation = make_backup_relation(target_relation, backup_relation_type) -%}
  {%- set preexisting_backup_relation = load_cached_relation(backup_relation) -%}
  {% set grant_config = config.get('grants') %}

  {{ drop_relation_if_exists(preexisting_intermediate_relation) }}
  {{ drop_relation_if_exists(preexisting_backup_relation) }}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}

  -- `BEGIN` happens here:
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% call statement('main') -%}
    {{ get_create_table_as_sql(False, intermediate_relation, sql) }}
  {%- endcall %}

  {% do create_indexes(intermediate_relation) %}

  {% call statement('swap') -%}
    {%- if existing_relation is not none %}
    alter {{ existing_relation.type }} if exists {{ existing_relation }}
        rename to {{ adapter.quote(backup_relation.identifier) }};
    {%- endif %}
    alter table {{ intermediate_relation }} rename to {{ adapter.quote(target_relation.identifier) }}
  {%- endcall %}
  {#- dbt's relation cache follows the swap (Python calls, no macro context): a view over the old
      table stays bound to it, so the drop below cascades to the view in the cache as in the
      database, and the view's next build creates it instead of renaming a view that is gone -#}
  {%- if existing_relation is not none %}
    {% do adapter.cache_renamed(existing_relation, backup_relation) %}
  {%- endif %}
  {% do adapter.cache_added(target_relation) %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}

  {% set should_revoke = should_revoke(existing_relation, full_refresh_mode=True) %}
  {% do apply_grants(target_relation, grant_config, should_revoke=should_revoke) %}

  {% do persist_docs(target_relation, model) %}

  -- `COMMIT` happens here
  {{ adapter.commit() }}

  {% call statement('drop_backup') -%}
    drop {{ backup_relation_type }} if exists {{ backup_relation }} cascade
  {%- endcall %}
  {% do adapter.cache_dropped(backup_relation) %}

  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
