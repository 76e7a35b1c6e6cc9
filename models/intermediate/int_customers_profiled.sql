{#- One row per customer known on the analysis date: everyone in the customers
    file who had signed up by then, plus everyone with a visible order. Profile
    (personal data hashed), purchase history, RFM windows, scores, segments,
    value class and ABC tier. Customers without a purchase are prospects and
    have null scores. dim_customers adds the CLV and lifecycle columns. -#}

{%- set windows = var('rfm_window_days') -%}

with

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

orders as (

    select * from {{ ref('int_orders_sequenced') }}

),

rfm as (

    select * from {{ ref('int_customers_rfm_windowed') }}

),

scores as (

    select * from {{ ref('int_customers_rfm_scored') }}

),

analysis_dates as (

    select * from {{ ref('int_analysis_dates') }}

),

customer_spine as (

    select customers.customer_id
    from customers
    cross join analysis_dates
    where
        customers.created_at is null
        or cast(customers.created_at as date) <= analysis_dates.as_of_date

    union

    select customer_id from orders

),

order_counts as (

    select
        customer_id,
        count(*) as orders_placed,
        count(case when not is_purchase then 1 end) as orders_not_purchased
    from orders
    group by customer_id

),

final as (

    select
        customer_spine.customer_id,
        customers.email_hash,
        customers.phone_hash,
        customers.country_code,
        customers.acquisition_channel,
        customers.created_at as signed_up_at,
        customers.customer_id is not null as has_customer_record,
        rfm.customer_id is not null as has_purchased,
        coalesce(order_counts.orders_placed, 0) as orders_placed,
        coalesce(order_counts.orders_not_purchased, 0) as orders_not_purchased,
        rfm.first_purchase_date,
        rfm.last_purchase_date,
        rfm.recency_days,
        rfm.tenure_days,
        coalesce(rfm.frequency_orders, 0) as frequency_orders,
        coalesce(rfm.purchase_days, 0) as purchase_days,
        coalesce(rfm.monetary_total, 0) as monetary_total,
        rfm.monetary_avg,
        {%- for w in windows %}
            coalesce(rfm.frequency_orders_{{ w }}d, 0) as frequency_orders_{{ w }}d,
            coalesce(rfm.purchase_days_{{ w }}d, 0) as purchase_days_{{ w }}d,
            coalesce(rfm.monetary_total_{{ w }}d, 0) as monetary_total_{{ w }}d,
            rfm.monetary_avg_{{ w }}d,
        {%- endfor %}
        scores.r_score,
        scores.f_score,
        scores.m_score,
        scores.fm_score,
        scores.rfm_code,
        scores.rfm_weighted_score,
        scores.rfm_weighted_percentile,
        coalesce(scores.rfm_segment, 'Prospect') as rfm_segment,
        coalesce(scores.shopify_rfm_group, 'prospects') as shopify_rfm_group,
        scores.value_class,
        scores.abc_tier,
        scores.value_cumulative_share,
        analysis_dates.as_of_date,
        analysis_dates.reporting_currency
    from customer_spine
    cross join analysis_dates
    left join customers
        on customer_spine.customer_id = customers.customer_id
    left join rfm
        on customer_spine.customer_id = rfm.customer_id
    left join scores
        on customer_spine.customer_id = scores.customer_id
    left join order_counts
        on customer_spine.customer_id = order_counts.customer_id

)

select * from final
