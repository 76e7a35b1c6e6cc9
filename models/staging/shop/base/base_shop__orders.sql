{#- The raw orders as text, one row per raw row, with every contract column
    present: optional columns the file does not carry are null. -#}

{%- set columns = source_columns('shop', 'orders') -%}

with

source as (

    select * from {{ source('shop', 'orders') }}

),

final as (

    select
        cast(filename as {{ dbt.type_string() }}) as source_file,
        cast(order_id as {{ dbt.type_string() }}) as order_id_raw,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id_raw,
        cast(ordered_at as {{ dbt.type_string() }}) as ordered_at_raw,
        cast(amount as {{ dbt.type_string() }}) as amount_raw,
        {{ optional_text_column(columns, 'currency') }} as currency_raw,
        {{ optional_text_column(columns, 'status') }} as status_raw,
        {{ optional_text_column(columns, 'discount_amount') }} as discount_amount_raw
    from source

)

select * from final
