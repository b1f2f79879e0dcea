{#- entity_registry() against the project's graph: every target entity's legacy tables (its yml
    meta legacy_tables, primary first) are its pairs in the registry, in that order, and each
    pair's staging model reads that legacy table. The registry stays a literal list because the
    audit models ref() its models while dbt parses, when `graph` is still empty; this check,
    run with the reconciliation's set-up (on-run-start and prepare_target), keeps the two
    sources from drifting apart. A mismatch stops the invocation, named. -#}
{% macro check_entity_registry() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set problems = [] -%}
    {%- set registered = {} -%}
    {%- for item in entity_registry() -%}
        {%- do registered.setdefault(item.entity, []).append(item.legacy_table) -%}
        {%- set staged = graph.nodes.get('model.' ~ project_name ~ '.' ~ item.staged) -%}
        {%- set reads = [] -%}
        {%- for parent in (staged.depends_on.nodes if staged else []) if parent.startswith('source.') -%}
            {%- do reads.append(graph.sources[parent].name) -%}
        {%- endfor -%}
        {%- if item.legacy_table not in reads -%}
            {%- do problems.append(item.entity ~ ': ' ~ item.staged ~ ' does not read legacy table ' ~ item.legacy_table) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.package_name == project_name and node.config.meta.get('legacy_tables') -%}
        {%- set declared = node.config.meta.legacy_tables | list -%}
        {%- if registered.get(node.name, []) != declared -%}
            {%- do problems.append(node.name ~ ': its meta names legacy tables ' ~ declared ~ ', entity_registry() ' ~ registered.get(node.name, [])) -%}
        {%- endif -%}
        {%- do registered.pop(node.name, none) -%}
    {%- endfor -%}
    {%- for entity in registered -%}
        {%- do problems.append(entity ~ ': in entity_registry() but no model declares its legacy tables') -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error('entity_registry() disagrees with the models: ' ~ problems | join('; ')) }}
    {%- endif -%}
{% endmacro %}
