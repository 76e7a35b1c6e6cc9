{#- One row per customer and distinct purchase date (several purchases on one
    day are one purchase day), numbered in time order, with the dates the
    lifecycle rules need: the customer's first purchase date and the two
    purchase dates before this one. The state of a customer on any date d is
    that of their latest purchase day on or before d. -#}

with

orders as (

    select * from {{ ref('int_orders_sequenced') }}

),

analysis_dates as (

    select * from {{ ref('int_analysis_dates') }}

),

purchase_days as (

    select
        customer_id,
        ordered_date as purchase_date,
        count(*) as orders,
        sum(amount_reporting) as revenue
    from orders
    where is_purchase
    group by customer_id, ordered_date

),

sequenced as (

    select
        customer_id,
        purchase_date,
        orders,
        revenue,
        row_number() over (
            partition by customer_id order by purchase_date
        ) as purchase_day_number,
        first_value(purchase_date) over (
            partition by customer_id order by purchase_date
        ) as first_purchase_date,
        lag(purchase_date, 1) over (
            partition by customer_id order by purchase_date
        ) as previous_purchase_date,
        lag(purchase_date, 2) over (
            partition by customer_id order by purchase_date
        ) as purchase_date_before_previous,
        lead(purchase_date, 1) over (
            partition by customer_id order by purchase_date
        ) as next_purchase_date,
        sum(revenue) over (
            partition by customer_id order by purchase_date
            rows between unbounded preceding and current row
        ) as cumulative_revenue
    from purchase_days

),

final as (

    select
        sequenced.customer_id,
        sequenced.purchase_date,
        sequenced.purchase_day_number,
        sequenced.first_purchase_date,
        sequenced.previous_purchase_date,
        sequenced.purchase_date_before_previous,
        sequenced.next_purchase_date,
        sequenced.orders,
        cast(sequenced.revenue as decimal(18, 2)) as revenue,
        cast(sequenced.cumulative_revenue as decimal(18, 2)) as cumulative_revenue,
        analysis_dates.as_of_date
    from sequenced
    cross join analysis_dates

)

select * from final
