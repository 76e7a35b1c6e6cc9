{#- Valid orders visible on the analysis date, one row per order, amounts in
    the reporting currency, with each customer's purchase sequence. On DuckDB
    a view: int_orders_sequenced already holds these rows, and a second copy of
    the whole order history would cost a full write per build. -#}

{{ config(materialized=reshaping_materialization()) }}

with

orders as (

    select * from {{ ref('int_orders_sequenced') }}

),

analysis_dates as (

    select * from {{ ref('int_analysis_dates') }}

),

final as (

    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.ordered_date,
        orders.order_status,
        orders.is_purchase,
        orders.currency_code,
        orders.amount,
        orders.amount_reporting,
        orders.discount_amount_reporting,
        analysis_dates.reporting_currency,
        cast(orders.purchase_sequence_number as bigint) as purchase_sequence_number,
        orders.is_first_purchase,
        orders.previous_purchase_date,
        cast(orders.days_since_previous_purchase as bigint) as days_since_previous_purchase,
        cast(orders.days_before_as_of as bigint) as days_before_as_of,
        orders.as_of_date
    from orders
    cross join analysis_dates

)

select * from final
