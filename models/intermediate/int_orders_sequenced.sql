{#- Orders visible on the analysis date (ordered on or before as_of_date), with
    each customer's purchases numbered in time order and the gap to the
    previous purchase. Later orders are not yet visible and are left out. -#}

with

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

analysis_dates as (

    select * from {{ ref('int_analysis_dates') }}

),

visible as (

    select
        orders.*,
        analysis_dates.as_of_date,
        {{ dbt.datediff('orders.ordered_date', 'analysis_dates.as_of_date', 'day') }}
            as days_before_as_of
    from orders
    cross join analysis_dates
    where orders.ordered_date <= analysis_dates.as_of_date

),

sequenced as (

    select
        *,
        case when is_purchase then
                row_number() over (
                    partition by customer_id, is_purchase
                    order by ordered_at, order_id
                )
        end as purchase_sequence_number,
        case when is_purchase then
                lag(ordered_date) over (
                    partition by customer_id, is_purchase
                    order by ordered_at, order_id
                )
        end as previous_purchase_date
    from visible

),

final as (

    select
        *,
        coalesce(purchase_sequence_number = 1, false) as is_first_purchase,
        {{ dbt.datediff('previous_purchase_date', 'ordered_date', 'day') }}
            as days_since_previous_purchase
    from sequenced

)

select * from final
