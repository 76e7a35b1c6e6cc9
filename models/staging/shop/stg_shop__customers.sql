{#- Valid, de-duplicated customers: one row per customer_id. E-mail and phone
    appear only as salted SHA-256 hashes of their normalised form. Two ids with
    one e-mail stay two customers (they are two accounts of the shop); the count
    of ids sharing the e-mail shows them. -#}

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
        source_file,
        case when email_hash is not null then
                count(*) over (partition by email_hash)
        end as email_shared_customer_count
    from parsed
    where row_outcome = 'staged'

)

select * from final
