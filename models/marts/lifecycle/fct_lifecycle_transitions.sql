{#- Stage transition matrix per month: for every month, the customers who were
    in from_stage at the previous month end and are in to_stage at this
    month's snapshot, with what they bought in the month. Customers whose first
    purchase falls in the month come from 'prospect'. Rows with from_stage =
    to_stage are customers who stayed. -#}

with

monthly as (

    select * from {{ ref('fct_customer_lifecycle_monthly') }}

),

counted as (

    select
        month_end_date,
        snapshot_date,
        is_as_of_month,
        previous_month_stage as from_stage,
        lifecycle_stage as to_stage,
        count(*) as customers,
        count(case when purchase_days_in_month > 0 then 1 end) as customers_purchasing,
        sum(revenue_in_month) as revenue
    from monthly
    group by
        month_end_date,
        snapshot_date,
        is_as_of_month,
        previous_month_stage,
        lifecycle_stage

),

final as (

    select
        month_end_date,
        snapshot_date,
        is_as_of_month,
        from_stage,
        to_stage,
        from_stage != to_stage as is_stage_change,
        customers,
        {{ lifecycle_share('customers', 'sum(customers) over (partition by month_end_date, from_stage)') }}
            as share_of_from_stage,
        customers_purchasing,
        revenue
    from counted

)

select * from final
