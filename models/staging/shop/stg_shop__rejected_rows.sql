{#- Every raw row that could not be used, from every source, with the reason.
    Personal data is not copied here: customer rows keep only presence flags. -#}

with

orders as (

    select * from {{ ref('stg_shop__orders_parsed') }}
    where row_outcome = 'rejected'

),

customers as (

    select * from {{ ref('stg_shop__customers_parsed') }}
    where row_outcome = 'rejected'

),

rejected_orders as (

    select
        'orders' as source_table,
        source_file,
        order_id_raw as record_key,
        rejection_reason,
        rejection_detail,
        {{ json_record(['order_id_raw', 'customer_id_raw', 'ordered_at_raw', 'amount_raw',
                        'currency_raw', 'status_raw', 'discount_amount_raw']) }} as raw_record
    from orders

),

rejected_customers as (

    select
        'customers' as source_table,
        source_file,
        customer_id_raw as record_key,
        rejection_reason,
        rejection_detail,
        {{ json_record(['customer_id_raw', 'created_at_raw', 'country_raw',
                        'acquisition_channel_raw', 'has_email', 'has_phone']) }} as raw_record
    from customers

),

unioned as (

    select * from rejected_orders
    union all
    select * from rejected_customers

),

final as (

    select
        {{ row_key(['source_table', 'source_file', 'raw_record', 'copy_number']) }}
            as rejected_row_id,
        source_table,
        source_file,
        record_key,
        rejection_reason,
        rejection_detail,
        raw_record
    from (
        select
            unioned.*,
            row_number() over (
                partition by source_table, source_file, raw_record
                order by rejection_reason
            ) as copy_number
        from unioned
    ) as numbered

)

select * from final
