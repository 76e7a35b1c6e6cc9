{#- Recency, frequency and monetary value per customer with at least one
    purchase, as of as_of_date: all time and for each window in the variable
    rfm_window_days. A window of w days holds the orders of the w calendar days
    ending on as_of_date (days_before_as_of < w): an order exactly w days before
    is outside. $0 purchases count for frequency and recency but not for the
    average order value. -#}

{%- set windows = var('rfm_window_days') -%}

with

orders as (

    select * from {{ ref('int_orders_sequenced') }}

),

purchases as (

    {#- the first purchase of its day (several purchases on one day are one
        purchase day): the previous purchase, in time order, was on an earlier
        day. Counting these counts purchase days without a distinct count. -#}
    select
        *,
        coalesce(previous_purchase_date < ordered_date, true) as is_first_purchase_of_day
    from orders
    where is_purchase

),

final as (

    select
        customer_id,
        max(as_of_date) as as_of_date,
        min(ordered_date) as first_purchase_date,
        max(ordered_date) as last_purchase_date,
        min(days_before_as_of) as recency_days,
        max(days_before_as_of) as tenure_days,
        count(*) as frequency_orders,
        count(case when is_first_purchase_of_day then 1 end) as purchase_days,
        sum(amount_reporting) as monetary_total,
        {#- through decimal(38, 10): a half cent rounds alike on every engine -#}
        cast(
            cast(
                avg(case when amount_reporting > 0 then amount_reporting end)
                as decimal(38, 10)
            )
            as decimal(18, 2)
        ) as monetary_avg
        {%- for w in windows %}
            ,
            count(case when days_before_as_of < {{ w }} then 1 end)
                as frequency_orders_{{ w }}d,
            count(case when days_before_as_of < {{ w }} and is_first_purchase_of_day then 1 end)
                as purchase_days_{{ w }}d,
            coalesce(sum(case when days_before_as_of < {{ w }} then amount_reporting end), 0)
                as monetary_total_{{ w }}d,
            cast(cast(avg(case when days_before_as_of < {{ w }} and amount_reporting > 0
                    then amount_reporting
            end) as decimal(38, 10)) as decimal(18, 2)) as monetary_avg_{{ w }}d
    
        {%- endfor %}
    from purchases
    group by customer_id

)

select * from final
