{#- The LRFMC inputs of the value clusters, per customer with a purchase by
    as_of_date: L = days from the first purchase to as_of_date, R = days since
    the last purchase, F = purchases, M = total spend (reporting currency), and
    C = the average discount share of the purchases, discount / (amount +
    discount), over purchases that carry a discount amount (null for every
    customer when the orders have no discount column). -#}

with

rfm as (

    select * from {{ ref('int_customers_rfm_windowed') }}

),

orders as (

    select * from {{ ref('int_orders_sequenced') }}

),

discounts as (

    select
        customer_id,
        avg(
            case
                when amount_reporting + discount_amount_reporting > 0
                    then discount_amount_reporting / (amount_reporting + discount_amount_reporting)
            end
        ) as discount_share_avg,
        count(case when amount_reporting + discount_amount_reporting > 0 then 1 end)
            as purchases_with_discount_data
    from orders
    where is_purchase
    group by customer_id

),

final as (

    select
        rfm.customer_id,
        rfm.as_of_date,
        rfm.tenure_days as length_days,
        rfm.recency_days,
        rfm.frequency_orders,
        cast(rfm.monetary_total as decimal(18, 2)) as monetary_total,
        cast(discounts.discount_share_avg as double) as discount_share_avg,
        coalesce(discounts.purchases_with_discount_data, 0) as purchases_with_discount_data
    from rfm
    left join discounts
        on rfm.customer_id = discounts.customer_id

)

select * from final
