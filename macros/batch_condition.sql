{#-
    ` and <column> between <from> and <to>` while the runner loads a massive entity in
    checkpointed batches (dbt --vars '{cutover_batch: {from: 1, to: 100000}}'); nothing
    otherwise, so that a plain `dbt build` loads the whole entity at once.
-#}
{% macro batch_condition(column) -%}
    {%- set batch = var('cutover_batch', none) -%}
    {%- if batch is not none %}
    and {{ column }} between {{ batch['from'] | int }} and {{ batch['to'] | int }}
    {%- endif -%}
{%- endmacro %}
