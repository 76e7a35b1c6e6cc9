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
        {#- through decimal(18, 4) first when it fits: the same value, rounded the same
            way, but the narrowing from decimal(38, 4) runs on 64-bit integers -#}
        case
            when abs(amount_parsed) < 100000000000000
                then cast(cast(amount_parsed as decimal(18, 4)) as decimal(18, 2))
            else cast(amount_parsed as decimal(18, 2))
        end as amount,
        amount_reporting,
        discount_amount_reporting,
        source_file
    from parsed
    where row_outcome = 'staged'

)

select * from final
