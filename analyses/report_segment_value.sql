-- Visual report, segment chart: size and value of each named RFM segment.
-- Customers, all-time revenue (fct_segment_summary) and discounted CLV over
-- the horizon (dim_customers) per segment, largest revenue first.

with

segments as (

    select * from {{ ref('fct_segment_summary') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

segment_totals as (

    select
        rfm_segment,
        sum(customers) as customers,
        sum(customers_with_churn_warning) as customers_with_churn_warning,
        sum(revenue) as revenue
    from segments
    group by rfm_segment

),

segment_clv as (

    select
        rfm_segment,
        sum(coalesce(clv_discounted, 0)) as clv_total,
        avg(clv_discounted) as clv_average
    from customers
    group by rfm_segment

),

final as (

    select
        segment_totals.rfm_segment,
        segment_totals.customers,
        segment_totals.customers_with_churn_warning,
        segment_totals.revenue,
        segment_clv.clv_total,
        segment_clv.clv_average,
        cast(segment_totals.customers as double)
        / sum(segment_totals.customers) over () as share_of_customers,
        cast(segment_totals.revenue as double)
        / nullif(sum(segment_totals.revenue) over (), 0) as share_of_revenue
    from segment_totals
    left join segment_clv
        on segment_totals.rfm_segment = segment_clv.rfm_segment

)

select * from final
order by revenue desc, rfm_segment asc
