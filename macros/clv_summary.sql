{#
  clv_calibration_summary(orders_relation, calibration_end_expression, holdout_end_expression)

  Per customer with a purchase on or before the calibration end, the summary the
  BTYD models need (Fader, Hardie & Lee 2005), computed in SQL:
    x   = repeat purchase periods: distinct purchase dates after the first one
          (several orders on one day are one purchase);
    t_x = time from the first to the last purchase date;
    T   = time from the first purchase date to the calibration end;
  in the unit of var clv_time_unit (day, or week = days / 7, fractional), and
  the mean value of the repeat purchase periods with positive value (a $0 day is
  a purchase but says nothing about spend). With a holdout end, also the
  purchase periods and spend in (calibration end, holdout end].
  One definition used by both the current summary and the backtest summary.
#}
{% macro clv_calibration_summary(orders_relation, calibration_end_expression, holdout_end_expression=none) %}
{%- set unit = var('clv_time_unit') -%}
{%- if unit not in ['day', 'week'] -%}
  {{ exceptions.raise_compiler_error("Variable error: clv_time_unit = '" ~ unit ~ "' must be 'day' or 'week'.") }}
{%- endif -%}
{%- set days_per_unit = '1.0' if unit == 'day' else '7.0' -%}

with

purchase_days as (

    {#- one row per customer and purchase date: a purchase period -#}
    select
        customer_id,
        ordered_date,
        sum(amount_reporting) as period_value
    from {{ orders_relation }}
    where is_purchase
    group by customer_id, ordered_date

),

bounds as (

    select
        cast({{ calibration_end_expression }} as date) as calibration_end_date
        {%- if holdout_end_expression is not none %},
        cast({{ holdout_end_expression }} as date) as holdout_end_date
        {%- endif %}

),

calibration as (

    select
        purchase_days.customer_id,
        min(purchase_days.ordered_date) as first_purchase_date,
        max(purchase_days.ordered_date) as last_purchase_date,
        count(*) - 1 as repeat_periods,
        max(bounds.calibration_end_date) as calibration_end_date
    from purchase_days
    cross join bounds
    where purchase_days.ordered_date <= bounds.calibration_end_date
    group by purchase_days.customer_id

),

repeat_values as (

    select
        calibration.customer_id,
        {#- six decimals, through decimal(38, 10): Spark averages decimals to six
            places, and the Gamma-Gamma fit turns a difference in the last bits
            of a mean into one in the sixth digit of its parameters -#}
        cast(
            cast(
                avg(case when purchase_days.period_value > 0 then purchase_days.period_value end)
                as decimal(38, 10)
            )
            as decimal(38, 6)
        ) as repeat_mean_value,
        count(case when purchase_days.period_value > 0 then 1 end) as repeat_periods_with_value
    from calibration
    inner join purchase_days
        on
            calibration.customer_id = purchase_days.customer_id
            and purchase_days.ordered_date > calibration.first_purchase_date
            and purchase_days.ordered_date <= calibration.calibration_end_date
    group by calibration.customer_id

),

{%- if holdout_end_expression is not none %}

holdout as (

    select
        calibration.customer_id,
        count(*) as holdout_purchases,
        sum(purchase_days.period_value) as holdout_value
    from calibration
    cross join bounds
    inner join purchase_days
        on
            calibration.customer_id = purchase_days.customer_id
            and purchase_days.ordered_date > calibration.calibration_end_date
            and purchase_days.ordered_date <= bounds.holdout_end_date
    group by calibration.customer_id

),

{%- endif %}

final as (

    select
        calibration.customer_id,
        calibration.first_purchase_date,
        calibration.last_purchase_date,
        calibration.calibration_end_date,
        '{{ unit }}' as time_unit,
        calibration.repeat_periods as frequency_x,
        {{ dbt.datediff('calibration.first_purchase_date', 'calibration.last_purchase_date', 'day') }}
        / {{ days_per_unit }} as recency_t_x,
        {{ dbt.datediff('calibration.first_purchase_date', 'calibration.calibration_end_date', 'day') }}
        / {{ days_per_unit }} as age_t,
        cast(repeat_values.repeat_mean_value as double) as repeat_mean_value,
        coalesce(repeat_values.repeat_periods_with_value, 0) as repeat_periods_with_value
        {%- if holdout_end_expression is not none %},
        coalesce(holdout.holdout_purchases, 0) as holdout_purchases,
        cast(coalesce(holdout.holdout_value, 0) as double) as holdout_value,
        {{ dbt.datediff('calibration.calibration_end_date', 'bounds.holdout_end_date', 'day') }}
        / {{ days_per_unit }} as holdout_length
        {%- endif %}
    from calibration
    left join repeat_values
        on calibration.customer_id = repeat_values.customer_id
    {%- if holdout_end_expression is not none %}
    left join holdout
        on calibration.customer_id = holdout.customer_id
    cross join bounds
    {%- endif %}

)

select * from final
{% endmacro %}
