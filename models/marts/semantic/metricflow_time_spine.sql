{#- The day time spine of the semantic layer: one row per calendar day from
    min_valid_order_date to max_valid_order_date (the dates an order can have),
    so MetricFlow can group any metric by day, week, month, quarter or year and
    fill periods without orders. Built from digit cross joins, which every
    warehouse supports; 100,000 days (273 years) at most, and a test checks the
    spine covers the whole range. -#}

{%- set first_day = var('min_valid_order_date') -%}
{%- set last_day = var('max_valid_order_date') -%}

with

digits as (

    select 0 as digit
    union all
    select 1 as digit
    union all
    select 2 as digit
    union all
    select 3 as digit
    union all
    select 4 as digit
    union all
    select 5 as digit
    union all
    select 6 as digit
    union all
    select 7 as digit
    union all
    select 8 as digit
    union all
    select 9 as digit

),

day_numbers as (

    select
        ones.digit
        + 10 * tens.digit
        + 100 * hundreds.digit
        + 1000 * thousands.digit
        + 10000 * ten_thousands.digit as day_number
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    cross join digits as ten_thousands

),

final as (

    select
        cast(
            {{ dbt.dateadd('day', 'day_number', "cast('" ~ first_day ~ "' as date)") }}
            as date
        ) as date_day
    from day_numbers
    where
        day_number
        <= {{ dbt.datediff("cast('" ~ first_day ~ "' as date)", "cast('" ~ last_day ~ "' as date)", 'day') }}

)

select * from final
