{#- Customers, revenue and churn warnings per RFM segment x ABC value tier x
    current lifecycle stage, for BI. Prospects have the RFM segment 'Prospect'
    and the tier 'none'. Revenue is all-time purchase value (reporting
    currency); CLV is the predicted discounted CLV (null for prospects). -#}

with

customers as (

    select * from {{ ref('fct_customer_lifecycle') }}

),

summarized as (

    select
        rfm_segment,
        lifecycle_stage,
        coalesce(abc_tier, 'none') as abc_tier,
        count(*) as customers,
        count(case when has_churn_warning then 1 end) as customers_with_churn_warning,
        sum(monetary_total) as revenue,
        avg(monetary_total) as avg_monetary_total,
        -- summed as a fixed-point decimal: the same customers give the same
        -- total whatever order the engine adds them in
        sum(cast(clv_discounted as decimal(38, 6))) as total_clv,
        count(clv_discounted) as customers_with_clv
    from customers
    group by rfm_segment, lifecycle_stage, coalesce(abc_tier, 'none')

),

final as (

    select
        rfm_segment,
        abc_tier,
        lifecycle_stage,
        customers,
        {{ lifecycle_share('customers', 'sum(customers) over ()') }} as share_of_customers,
        customers_with_churn_warning,
        revenue,
        {{ lifecycle_share('revenue', 'sum(revenue) over ()') }} as share_of_revenue,
        cast(cast(avg_monetary_total as decimal(38, 10)) as decimal(18, 2)) as avg_monetary_total,
        cast(total_clv as decimal(38, 6)) as total_clv,
        cast(total_clv / nullif(customers_with_clv, 0) as decimal(38, 6)) as avg_clv
    from summarized

)

select * from final
