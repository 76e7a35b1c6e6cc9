{#- Cohort retention: customers grouped by the calendar month of their first
    purchase (the cohort), followed month by month (months_since_first_purchase
    0 = the first-purchase month) up to the as-of month, from the monthly stage
    history. Shares are of the cohort's customers. The last two groups of
    columns answer "how many churned soon after their first purchase" and "how
    many who buy again do so within 12 months". -#}

with

monthly as (

    select * from {{ ref('fct_customer_lifecycle_monthly') }}

),

customers as (

    select * from {{ ref('fct_customer_lifecycle') }}

),

cohort_months as (

    select
        month_end_date,
        is_as_of_month,
        months_since_first_purchase,
        {{ lifecycle_month_index('month_end_date') }} - months_since_first_purchase
            as cohort_month_index,
        count(*) as cohort_customers,
        count(case when purchase_days_in_month > 0 then 1 end) as customers_purchasing,
        count(case when lifecycle_stage in ('new', 'active', 'reactivated') then 1 end)
            as customers_active,
        count(case when lifecycle_stage != 'churned' then 1 end) as customers_not_churned,
        count(case when purchase_days >= 2 then 1 end) as repeat_customers,
        sum(revenue_in_month) as revenue
    from monthly
    group by month_end_date, is_as_of_month, months_since_first_purchase

),

-- Each purchaser's first and last purchase month, and whether they are churned now.
customer_spans as (

    select
        {{ lifecycle_month_index('first_purchase_date') }} as cohort_month_index,
        {{ lifecycle_month_index('last_purchase_date') }}
        - {{ lifecycle_month_index('first_purchase_date') }} as last_purchase_months_since_first,
        lifecycle_stage = 'churned' as is_churned,
        purchase_days >= 2 as is_repeat_customer
    from customers
    where has_purchased

),

cohort_totals as (

    select
        cohort_month_index,
        count(case when is_churned then 1 end) as cohort_churned_customers,
        count(case when is_repeat_customer then 1 end) as cohort_repeat_customers
    from customer_spans
    group by cohort_month_index

),

lapses as (

    select
        cohort_month_index,
        last_purchase_months_since_first,
        count(*) as customers_last_purchased,
        count(case when is_churned then 1 end) as churned_customers_last_purchased
    from customer_spans
    group by cohort_month_index, last_purchase_months_since_first

),

cumulated as (

    select
        cohort_months.*,
        cast(sum(coalesce(lapses.customers_last_purchased, 0)) over (
            partition by cohort_months.cohort_month_index
            order by cohort_months.months_since_first_purchase
            rows between unbounded preceding and current row
        ) as bigint) as customers_lapsed,
        cast(sum(coalesce(lapses.churned_customers_last_purchased, 0)) over (
            partition by cohort_months.cohort_month_index
            order by cohort_months.months_since_first_purchase
            rows between unbounded preceding and current row
        ) as bigint) as churned_customers_lapsed,
        sum(cohort_months.revenue) over (
            partition by cohort_months.cohort_month_index
            order by cohort_months.months_since_first_purchase
            rows between unbounded preceding and current row
        ) as cumulative_revenue
    from cohort_months
    left join lapses
        on
            cohort_months.cohort_month_index = lapses.cohort_month_index
            and cohort_months.months_since_first_purchase = lapses.last_purchase_months_since_first

),

final as (

    select
        {{ lifecycle_month_start('cumulated.cohort_month_index') }} as first_purchase_month,
        cumulated.months_since_first_purchase,
        cumulated.month_end_date,
        cumulated.is_as_of_month,
        cumulated.cohort_customers,
        cumulated.customers_purchasing,
        cumulated.customers_active,
        cumulated.customers_not_churned,
        cumulated.repeat_customers,
        {{ lifecycle_share('cumulated.customers_purchasing', 'cumulated.cohort_customers') }} as purchasing_share,
        {{ lifecycle_share('cumulated.customers_active', 'cumulated.cohort_customers') }} as active_share,
        {{ lifecycle_share('cumulated.customers_not_churned', 'cumulated.cohort_customers') }} as retention_share,
        {{ lifecycle_share('cumulated.repeat_customers', 'cumulated.cohort_customers') }} as repeat_share,
        cumulated.revenue,
        cumulated.cumulative_revenue,
        cast(cumulated.cumulative_revenue as double) / cumulated.cohort_customers
            as cumulative_revenue_per_customer,
        cumulated.customers_lapsed,
        cohort_totals.cohort_churned_customers,
        cumulated.churned_customers_lapsed,
        {{ lifecycle_share('cumulated.churned_customers_lapsed', 'cohort_totals.cohort_churned_customers') }}
            as churned_lapsed_share,
        cohort_totals.cohort_repeat_customers,
        {{ lifecycle_share('cumulated.repeat_customers', 'cohort_totals.cohort_repeat_customers') }}
            as repeaters_repeated_share
    from cumulated
    inner join cohort_totals
        on cumulated.cohort_month_index = cohort_totals.cohort_month_index

)

select * from final
