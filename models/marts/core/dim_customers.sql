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

value_grid as (

    select * from {{ ref('fct_customer_value_grid') }}

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
        lifecycle.has_churn_warning,
        value_grid.current_value,
        value_grid.potential_value,
        value_grid.loyalty_score,
        value_grid.value_grid_cell,
        value_grid.value_grid_cell_name,
        value_grid.value_grid_action,
        value_grid.value_index
    from customers
    left join clv
        on customers.customer_id = clv.customer_id
    left join lifecycle
        on customers.customer_id = lifecycle.customer_id
    left join value_grid
        on customers.customer_id = value_grid.customer_id

)

select * from final
