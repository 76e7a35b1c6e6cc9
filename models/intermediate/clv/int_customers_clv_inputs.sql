{#- Everything the CLV scoring needs per customer with a purchase, in one
    relation: the calibration summary at as_of_date, historical spend and order
    value, the tenure for the simple formula, and the acquisition cost. -#}

with

summary as (

    select * from {{ ref('int_customers_clv_summarized') }}

),

rfm as (

    select * from {{ ref('int_customers_rfm_windowed') }}

),

costs as (

    select * from {{ ref('int_customers_acquisition_costed') }}

),

final as (

    select
        summary.customer_id,
        summary.time_unit,
        summary.calibration_end_date,
        summary.frequency_x,
        summary.recency_t_x,
        summary.age_t,
        summary.repeat_mean_value,
        summary.repeat_periods_with_value,
        cast(rfm.monetary_total as double) as monetary_total,
        cast(rfm.monetary_avg as double) as monetary_avg,
        rfm.frequency_orders,
        rfm.tenure_days,
        costs.acquisition_cost,
        costs.cac_status
    from summary
    inner join rfm
        on summary.customer_id = rfm.customer_id
    left join costs
        on summary.customer_id = costs.customer_id

)

select * from final
