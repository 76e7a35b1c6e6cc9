{#- BTYD calibration summary at as_of_date, per customer with a purchase:
    x, t_x, T in var clv_time_unit and the mean repeat-purchase value.
    The CLV models fit and predict from it. -#}

{{ clv_calibration_summary(
    ref('int_orders_sequenced'),
    "(select as_of_date from " ~ ref('int_analysis_dates') ~ ")"
) }}
