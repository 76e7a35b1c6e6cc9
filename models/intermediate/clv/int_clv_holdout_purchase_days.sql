{#- One row per purchase period (customer and purchase date) in the backtest
    holdout, for customers whose first purchase is on or before the calibration
    end: the actual repeat purchases the backtest tracking curve counts. -#}

with

backtest_summary as (

    select * from {{ ref('int_customers_clv_backtest_summarized') }}

),

orders as (

    select * from {{ ref('int_orders_sequenced') }}

),

purchase_days as (

    select distinct
        customer_id,
        ordered_date
    from orders
    where is_purchase

),

final as (

    select
        purchase_days.customer_id,
        purchase_days.ordered_date,
        {{ dbt.datediff('backtest_summary.calibration_end_date', 'purchase_days.ordered_date', 'day') }}
            as holdout_day
    from purchase_days
    inner join backtest_summary
        on purchase_days.customer_id = backtest_summary.customer_id
    where purchase_days.ordered_date > backtest_summary.calibration_end_date

)

select * from final
