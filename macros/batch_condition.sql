{#-
    The legacy-id range of this model's current checkpointed batch, or none. The runner loads
    massive entities in batches, several entities in one invocation, each with its own range:
    dbt --vars '{cutover_batch: {tasks: {from: 1, to: 100000}, files: {from: 1, to: 100000}}}'.
    A single range ({cutover_batch: {from: 1, to: 100000}}) applies to every model selected.
-#}
{% macro cutover_batch() -%}
    {%- set batches = var('cutover_batch', none) -%}
    {%- if batches is none or 'from' in batches -%}
        {{- return(batches) -}}
    {%- endif -%}
    {{- return(batches.get(this.identifier)) -}}
{%- endmacro %}


{#-
    ` and <column> between <from> and <to>` while the runner loads this model in checkpointed
    batches (cutover_batch()); nothing otherwise, so that a plain `dbt build` loads the whole
    entity at once.
-#}
{% macro batch_condition(column) -%}
    {%- set batch = cutover_batch() -%}
    {%- if batch is not none %}
    and {{ column }} between {{ batch['from'] | int }} and {{ batch['to'] | int }}
    {%- endif -%}
{%- endmacro %}
