{#- The lifecycle features of every customer at every month's snapshot date,
    from the month of their first purchase to the as-of month (customers x
    months; a view, streamed into fct_customer_lifecycle_monthly). Each row
    holds the customer's state at the snapshot date (first, latest and
    previous purchase dates, number of purchase days), their state at the
    previous month end (the prior_* columns) and the month's purchases.

    How: each customer's last purchase day in a month fixes their state at that
    month's end; the state holds until the month before their next purchase
    month, so each such row is joined to that range of months. The state at
    the previous month end is that of the customer's previous purchase month. -#}

with

purchase_days as (

    select * from {{ ref('int_purchase_days_sequenced') }}

),

months as (

    select * from {{ ref('int_months_enumerated') }}

),

as_of_month as (

    select max(month_index) as as_of_month_index
    from months

),

purchase_days_indexed as (

    select
        customer_id,
        purchase_date,
        purchase_day_number,
        first_purchase_date,
        previous_purchase_date,
        cumulative_revenue,
        {{ lifecycle_month_index('purchase_date') }} as month_index,
        {{ lifecycle_month_index('next_purchase_date') }} as next_purchase_month_index
    from purchase_days

),

month_closing_days as (

    select * from purchase_days_indexed
    where next_purchase_month_index is null or next_purchase_month_index > month_index

),

purchase_months as (

    select
        customer_id,
        month_index,
        next_purchase_month_index,
        {{ lifecycle_month_index('first_purchase_date') }} as first_purchase_month_index,
        purchase_date as last_purchase_date,
        previous_purchase_date,
        purchase_day_number as purchase_days,
        lag(purchase_date) over (
            partition by customer_id order by month_index
        ) as prior_last_purchase_date,
        lag(previous_purchase_date) over (
            partition by customer_id order by month_index
        ) as prior_previous_purchase_date,
        coalesce(lag(purchase_day_number) over (
            partition by customer_id order by month_index
        ), 0) as prior_purchase_days,
        coalesce(lag(cumulative_revenue) over (
            partition by customer_id order by month_index
        ), 0) as prior_cumulative_revenue,
        first_purchase_date,
        cumulative_revenue
    from month_closing_days

),

state_ranges as (

    select
        purchase_months.*,
        coalesce(
            purchase_months.next_purchase_month_index,
            as_of_month.as_of_month_index + 1
        ) as state_ends_before_month_index
    from purchase_months
    cross join as_of_month

),

snapshots as (

    select
        state_ranges.customer_id,
        months.month_end_date,
        months.snapshot_date,
        months.previous_month_end_date,
        months.is_as_of_month,
        state_ranges.first_purchase_date,
        state_ranges.last_purchase_date,
        state_ranges.previous_purchase_date,
        state_ranges.purchase_days,
        state_ranges.prior_last_purchase_date,
        state_ranges.prior_previous_purchase_date,
        state_ranges.prior_purchase_days,
        cast(state_ranges.cumulative_revenue - state_ranges.prior_cumulative_revenue as decimal(18, 2))
            as revenue_in_month,
        months.month_index - state_ranges.first_purchase_month_index as months_since_first_purchase,
        months.month_index = state_ranges.month_index as has_purchase_in_month
    from state_ranges
    inner join months
        on
            state_ranges.month_index <= months.month_index
            and state_ranges.state_ends_before_month_index > months.month_index

),

final as (

    select
        customer_id,
        month_end_date,
        snapshot_date,
        is_as_of_month,
        months_since_first_purchase,
        first_purchase_date,
        last_purchase_date,
        previous_purchase_date,
        purchase_days,
        previous_month_end_date,
        case when has_purchase_in_month then prior_last_purchase_date else last_purchase_date end
            as prior_last_purchase_date,
        case when has_purchase_in_month then prior_previous_purchase_date else previous_purchase_date end
            as prior_previous_purchase_date,
        case when has_purchase_in_month then prior_purchase_days else purchase_days end
            as prior_purchase_days,
        case when has_purchase_in_month then purchase_days - prior_purchase_days else 0 end
            as purchase_days_in_month,
        case when has_purchase_in_month then revenue_in_month else 0 end as revenue_in_month
    from snapshots

)

select * from final
