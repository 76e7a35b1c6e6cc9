{#- Per customer with a purchase: what every customer's churn snapshots and
    BTYD summaries need, totalled on or before the churn cut-offs
    c_k = as_of_date - k x h (h = churn_horizon_days), side by side in one row
    (one column per cut-off), summed from the horizon buckets
    (int_purchase_days_bucketed):
    - purchase days and latest purchase date at every cut-off c_0 .. c_K
      (K = churn_training_snapshots + 1): the BTYD summaries of every customer
      (int_churn_snapshot_tuples_counted) and the customers per cut-off that
      size the training sample;
    - purchase days and spend 4 horizons further back than the validation
      cut-off, and orders, previous purchase date and squared gaps at c_0 and
      c_1: the features of the scoring and validation snapshots, which every
      customer gets (int_customer_snapshots_featurized).
    The training snapshots (k >= 2) are a sample: their wider totals are
    summed for the sampled customers only, by the snapshot model. -#}

{%- set last_cut_off = churn_last_cut_off() -%}
{#- the scoring (0) and validation (1) cut-offs and their feature windows -#}
{%- set every_customer_cut_offs = range(2) -%}
{%- set every_customer_reach = 1 + (churn_window_horizons() | max) %}

with

buckets as (

    select * from {{ ref('int_purchase_days_bucketed') }}

),

final as (

    select
        customer_id,
        max(as_of_date) as as_of_date,
        min(first_purchase_date) as first_purchase_date,
        {%- for j in range([last_cut_off, every_customer_reach] | max + 1) %}
            {{ churn_cut_off_total('purchase_days', j) }},
        {%- endfor %}
        {%- for k in range(last_cut_off + 1) %}
            {{ churn_cut_off_total('last_purchase_date', k) }},
        {%- endfor %}
        {%- for j in range(every_customer_reach + 1) %}
            {{ churn_cut_off_total('revenue', j) }},
        {%- endfor %}
        {%- for k in every_customer_cut_offs %}
            {{ churn_cut_off_total('orders', k) }},
            {{ churn_cut_off_total('previous_purchase_date', k) }},
            {{ churn_cut_off_total('gap_days_squared', k) }},
        {%- endfor %}
        count(*) as buckets_with_purchases
    from buckets
    group by customer_id

)

select * from final
