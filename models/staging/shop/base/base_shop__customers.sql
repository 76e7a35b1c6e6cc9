{#- The raw customers as text, one row per raw row, with every contract column
    present: optional columns the file does not carry are null. Personal data is
    still in clear text here; this view is only read by stg_shop__customers_parsed. -#}

{%- set columns = source_columns('shop', 'customers') -%}

with

source as (

    select * from {{ source('shop', 'customers') }}

),

final as (

    select
        cast(filename as {{ dbt.type_string() }}) as source_file,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id_raw,
        {{ optional_text_column(columns, 'email') }} as email_raw,
        {{ optional_text_column(columns, 'phone') }} as phone_raw,
        {{ optional_text_column(columns, 'created_at') }} as created_at_raw,
        {{ optional_text_column(columns, 'country') }} as country_raw,
        {{ optional_text_column(columns, 'acquisition_channel') }} as acquisition_channel_raw
    from source

)

select * from final
