{#- A customer's purchase days in horizon-long buckets counted back from
    as_of_date: bucket j holds the purchase days with as_of_date - purchase_date
    in [j x h, (j + 1) x h) (h = churn_horizon_days), the oldest bucket
    everything older. A purchase day is on or before the churn cut-off
    c_j = as_of_date - j x h exactly when its bucket is >= j, so any total on or
    before a cut-off is a sum over buckets, with no join of purchases to
    cut-offs (int_customers_cut_offs_totalled, int_customer_snapshots_featurized). -#}

{%- set horizon_days = var('churn_horizon_days') | int -%}
{%- set last_total = churn_last_total() %}

with

purchase_days as (

    select * from {{ ref('int_purchase_days_sequenced') }}

),

bucketed as (

    select
        *,
        least(
            floor({{ dbt.datediff('purchase_date', 'as_of_date', 'day') }} / {{ horizon_days }}),
            {{ last_total }}
        ) as bucket,
        {{ dbt.datediff('previous_purchase_date', 'purchase_date', 'day') }} as gap_days
    from purchase_days

),

final as (

    select
        customer_id,
        cast(bucket as int) as bucket,
        max(as_of_date) as as_of_date,
        min(first_purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        max(previous_purchase_date) as previous_purchase_date,
        count(*) as purchase_days,
        sum(orders) as orders,
        sum(revenue) as revenue,
        sum(gap_days * gap_days) as gap_days_squared
    from bucketed
    group by customer_id, bucket

)

select * from final
