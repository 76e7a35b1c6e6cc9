{#- The high-value customer list a CRM takes as it is: the top
    high_value_share of customers with a purchase by value index (rank 1 =
    highest; ties broken by customer_id so the list size is exact), with the
    criteria they meet, their grid cell and action, lifecycle stage and the
    hashed contact keys only. -#}

with

grid as (

    select * from {{ ref('fct_customer_value_grid') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

sized as (

    select
        grid.*,
        count(*) over () as n_buyers,
        cast(ceiling({{ var('high_value_share') }} * count(*) over ()) as integer) as list_size
    from grid

),

final as (

    select
        sized.customer_id,
        sized.value_index_rank,
        sized.value_index,
        sized.current_value,
        sized.potential_value,
        sized.loyalty_score,
        sized.is_current_value_high,
        sized.is_potential_value_high,
        sized.is_loyalty_high,
        sized.value_grid_cell,
        sized.value_grid_cell_name,
        sized.value_grid_action,
        customers.rfm_segment,
        customers.rfm_code,
        customers.abc_tier,
        customers.lifecycle_stage,
        customers.has_churn_warning,
        customers.p_alive,
        customers.email_hash,
        customers.phone_hash,
        customers.country_code,
        customers.acquisition_channel,
        customers.last_purchase_date,
        customers.as_of_date,
        customers.abc_tier = 'A' as is_abc_tier_a,
        customers.rfm_segment in ('Champions', 'Loyal') as is_top_rfm_segment
    from sized
    inner join customers
        on sized.customer_id = customers.customer_id
    where sized.value_index_rank <= sized.list_size

)

select * from final
