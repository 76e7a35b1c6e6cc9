{#- Per customer with a purchase: purchase days, orders, spend and purchase
    dates totalled on or before each churn cut-off c_k = as_of_date - k x h
    (h = churn_horizon_days), side by side in one row (one column per date).
    Shared by int_customer_snapshots_featurized (features and labels) and
    int_churn_snapshot_tuples_counted (the BTYD summaries of every customer at
    every cut-off), so that the purchase days are aggregated once.

    How (no join of purchases to cut-offs): the purchase days are summed per
    customer and horizon-long bucket counted back from as_of_date; per
    customer, the purchase days and spend on or before each of the dates
    c_0 .. c_{K+4} (K = churn_training_snapshots + 1; the feature windows reach
    4 horizons back from the oldest cut-off) are then totalled side by side,
    and the orders, latest purchase dates and squared gaps on or before each
    cut-off c_0 .. c_K. -#}

{%- set horizon_days = var('churn_horizon_days') | int -%}
{%- set last_cut_off = (var('churn_training_snapshots') | int) + 1 -%}
{%- set last_total = last_cut_off + 4 %}

with

purchase_days as (

    select * from {{ ref('int_purchase_days_sequenced') }}

),

buckets as (

    {#- purchase days in horizon-long buckets counted back from as_of_date:
        bucket j holds as_of_date - purchase_date in [j x h, (j + 1) x h),
        the oldest bucket everything older; on or before c_j <=> bucket >= j -#}
    select
        customer_id,
        least(
            floor({{ dbt.datediff('purchase_date', 'as_of_date', 'day') }} / {{ horizon_days }}),
            {{ last_total }}
        ) as bucket,
        max(as_of_date) as as_of_date,
        min(first_purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        max(previous_purchase_date) as previous_purchase_date,
        count(*) as purchase_days,
        sum(orders) as orders,
        sum(revenue) as revenue,
        sum(
            {{ dbt.datediff('previous_purchase_date', 'purchase_date', 'day') }}
            * {{ dbt.datediff('previous_purchase_date', 'purchase_date', 'day') }}
        ) as gap_days_squared
    from purchase_days
    group by
        customer_id,
        least(
            floor({{ dbt.datediff('purchase_date', 'as_of_date', 'day') }} / {{ horizon_days }}),
            {{ last_total }}
        )

),

final as (

    select
        customer_id,
        max(as_of_date) as as_of_date,
        min(first_purchase_date) as first_purchase_date,
        {%- for j in range(last_total + 1) %}
            coalesce(sum(case when bucket >= {{ j }} then purchase_days end), 0) as purchase_days_{{ j }},
            coalesce(sum(case when bucket >= {{ j }} then revenue end), 0) as revenue_{{ j }},
        {%- endfor %}
        {%- for k in range(last_cut_off + 1) %}
            coalesce(sum(case when bucket >= {{ k }} then orders end), 0) as orders_{{ k }},
            max(case when bucket >= {{ k }} then last_purchase_date end) as last_purchase_date_{{ k }},
            max(case when bucket >= {{ k }} then previous_purchase_date end) as previous_purchase_date_{{ k }},
            sum(case when bucket >= {{ k }} then gap_days_squared end) as gap_days_squared_{{ k }},
        {%- endfor %}
        count(*) as buckets_with_purchases
    from buckets
    group by customer_id

)

select * from final
