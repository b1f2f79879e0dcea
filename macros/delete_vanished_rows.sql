{#-
    Pre-hook of every target entity: remove the target rows whose legacy row is gone (hard
    deleted in the live application) or no longer belongs in the target (now quarantined, or
    merged into another row), before the upsert writes the new and changed rows, so that a row
    taking over a natural key (the next survivor of a duplicate pair, a reused discount code)
    never meets the row it replaces. `validated` is the entity's intermediate model; its rows that
    satisfy `valid_where` are what the target must hold. Children follow through their foreign
    keys (ON DELETE CASCADE for required references, SET NULL for optional ones) and are then
    reconciled by their own models. During a batched run (var cutover_batch) only the batch's
    legacy ids are considered, on both sides (the planner does not carry a range across
    the join, and an unrestricted side would be read whole for every batch).
    Only the target rows whose verdict changed or vanished since the entity's last build are
    looked at (macros/change_tracking.sql), unless `tracked` is false:
    int_treatment_plan_documents uses it that way, with its staging model as `validated`: the
    document of a plan deleted in legacy goes.

    Two parents built at once in one phase (offices and profiles) can both cascade into the
    same child rows (a task's order goes with its office, its assignee with its profile), each
    locking them in its own order: a deadlock. A model that has rows to delete therefore first
    takes one transaction-scoped advisory lock, held until its transaction commits, so such
    cascades run one after the other; models with nothing to delete never wait for it.
-#}
{% macro delete_vanished_rows(validated, valid_where='reject_reason is null', tracked=true) -%}
    {%- if execute and is_incremental() %}
    {#- read here, after check_change_watermark (the hook before this one) has voided the
        watermark for a changed definition -#}
    {%- set since = changes_since_literal(this.identifier, [validated.identifier]) if tracked else none %}
    {%- set vanished -%}
    from {{ this }} as target_row
    where not exists (
        select 1
        from {{ validated }} as validated_row
        where validated_row.legacy_id = target_row.legacy_id
            and ({{ valid_where }})
            {{- batch_condition('validated_row.legacy_id') }}
    )
    {{- batch_condition('target_row.legacy_id') }}
    {%- if since is not none %}
        and target_row.legacy_id in ({{ verdicts_changed_since(validated, since) }})
    {%- endif %}
    {%- endset %}
    select pg_advisory_xact_lock(hashtext('cutover: cascading deletes'))
    where exists (select 1 {{ vanished }});
    delete {{ vanished }}
    {%- endif %}
{%- endmacro %}
