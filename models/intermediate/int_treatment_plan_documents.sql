-- The parsed document of every legacy treatment plan, kept between runs: only a document that
-- is new or whose text changed (data_md5) is parsed, and a plan gone from legacy takes its
-- document with it. Parsing is most of the plans' work: at scale 1.0, 67,000 documents, 363 MB,
-- about 27 CPU seconds; a delta cutover parses the few hundred that changed.
{{ config(
    materialized='incremental',
    unique_key='legacy_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ delete_vanished_rows(ref('stg_legacy__plan'), valid_where='true', tracked=false) }}",
) }}

with plans as (
    select
        legacy_id,
        data,
        data_md5
    from {{ ref('stg_legacy__plan') }}
),

to_parse as (
    select * from plans
    {% if is_incremental() %}
        where not exists (
            select 1
            from {{ this }} as parsed
            where
                parsed.legacy_id = plans.legacy_id
                and parsed.data_md5 is not distinct from plans.data_md5
        )
    {% endif %}
),

final as (
    select
        to_parse.legacy_id,
        to_parse.data_md5,
        parsed.plan_json as plan,
        jsonb_typeof(parsed.plan_json) as plan_type,
        now() as verdict_changed_at
    from to_parse
    -- a function in FROM runs once per row, where a select-list call would be copied by the
    -- planner into every later use of plan_json: each document (1 to 20 KB) is parsed once
    cross join lateral util.try_jsonb(to_parse.data) as parsed (plan_json)
)

select * from final
