{#- The customer dimension: the profiled customer (profile, RFM windows,
    scores, segments, value class, ABC tier) with the CLV and the lifecycle
    stage joined in. One row per customer known on the analysis date. -#}

with

customers as (

    select * from {{ ref('int_customers_profiled') }}

),

clv as (

    select * from {{ ref('fct_customer_clv') }}

),

lifecycle as (

    select * from {{ ref('fct_customer_lifecycle') }}

),

final as (

    select
        customers.*,
        clv.p_alive,
        clv.expected_purchases as clv_expected_purchases,
        clv.expected_avg_spend as clv_expected_avg_spend,
        clv.clv_discounted,
        clv.historical_clv,
        clv.clv_to_cac,
        lifecycle.lifecycle_stage,
        lifecycle.days_in_stage as lifecycle_days_in_stage,
        lifecycle.has_churn_warning
    from customers
    left join clv
        on customers.customer_id = clv.customer_id
    left join lifecycle
        on customers.customer_id = lifecycle.customer_id

)

select * from final
