{#- Repair rule for money: rounded to cents as numeric(12, 2); binary float artefacts such as
    1234.5600000000002 disappear. What numeric(12, 2) cannot hold (NaN, infinity, 10^10 or more)
    is NULL: callers quarantine it as invalid_money. Negative amounts are not repaired: callers
    quarantine them. -#}
{% macro round_money(column) -%}
    (
        case
            when abs(({{ column }})::numeric) < 9999999999.995
                then round(({{ column }})::numeric, 2)
        end
    )::numeric(12, 2)
{%- endmacro %}
