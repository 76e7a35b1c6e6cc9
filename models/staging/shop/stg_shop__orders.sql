{#- Valid, de-duplicated orders: one row per order_id, typed, in UTC, with the
    amount converted to the reporting currency and the status mapped. -#}

with

parsed as (

    select * from {{ ref('stg_shop__orders_parsed') }}

),

final as (

    select
        order_id,
        customer_id,
        ordered_at,
        cast(ordered_at as date) as ordered_date,
        order_status,
        is_purchase,
        currency_code,
        cast(amount_parsed as decimal(18, 2)) as amount,
        amount_reporting,
        discount_amount_reporting,
        source_file
    from parsed
    where row_outcome = 'staged'

)

select * from final
