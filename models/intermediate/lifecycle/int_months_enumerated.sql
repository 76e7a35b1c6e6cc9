{#- One row per calendar month from the month of the earliest first purchase to
    the month of as_of_date: the snapshot dates of the lifecycle history. A
    month's snapshot is taken on its last day, except the as-of month, whose
    snapshot date is as_of_date itself (the latest date with data). -#}

{#- Upper bound on the number of months generated (200 years). -#}
{%- set max_months = 2400 -%}

with

purchase_days as (

    select * from {{ ref('int_purchase_days_sequenced') }}

),

analysis_dates as (

    select * from {{ ref('int_analysis_dates') }}

),

earliest_purchase as (

    select min(purchase_date) as first_purchase_date
    from purchase_days

),

bounds as (

    select
        analysis_dates.as_of_date,
        {{ lifecycle_month_index('earliest_purchase.first_purchase_date') }} as first_month_index,
        {{ lifecycle_month_index('analysis_dates.as_of_date') }} as as_of_month_index
    from analysis_dates
    cross join earliest_purchase

),

numbers as (

    {{ lifecycle_numbers(max_months) }}

),

months as (

    select
        bounds.as_of_month_index,
        bounds.as_of_date,
        bounds.first_month_index + numbers.generated_number - 1 as month_index
    from bounds
    cross join numbers
    where bounds.first_month_index + numbers.generated_number - 1 <= bounds.as_of_month_index

),

dated as (

    select
        month_index,
        as_of_month_index,
        as_of_date,
        {{ lifecycle_month_start('month_index') }} as month_start_date,
        {{ lifecycle_month_start('month_index + 1') }} as next_month_start_date
    from months

),

final as (

    select
        month_index,
        month_start_date,
        cast({{ dbt.dateadd('day', '-1', 'next_month_start_date') }} as date) as month_end_date,
        case
            when month_index = as_of_month_index then as_of_date
            else cast({{ dbt.dateadd('day', '-1', 'next_month_start_date') }} as date)
        end as snapshot_date,
        cast({{ dbt.dateadd('day', '-1', 'month_start_date') }} as date) as previous_month_end_date,
        month_index = as_of_month_index as is_as_of_month
    from dated

)

select * from final
