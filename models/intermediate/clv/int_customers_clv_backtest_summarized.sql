{#- BTYD calibration summary at the backtest calibration end
    (as_of_date minus var clv_backtest_holdout_days), with the purchase periods
    and spend each customer actually had in the holdout that follows, up to
    as_of_date. Same definition as int_customers_clv_summarized. -#}

{{ clv_calibration_summary(
    ref('int_orders_sequenced'),
    dbt.dateadd('day', -1 * var('clv_backtest_holdout_days'),
        "(select as_of_date from " ~ ref('int_analysis_dates') ~ ")"),
    "(select as_of_date from " ~ ref('int_analysis_dates') ~ ")"
) }}
