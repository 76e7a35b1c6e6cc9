{#- Valid, de-duplicated customers: one row per customer_id. E-mail and phone
    appear only as salted SHA-256 hashes of their normalised form. -#}

with

parsed as (

    select * from {{ ref('stg_shop__customers_parsed') }}

),

final as (

    select
        customer_id,
        email_hash,
        phone_hash,
        created_at,
        country_code,
        acquisition_channel,
        source_file
    from parsed
    where row_outcome = 'staged'

)

select * from final
