{{ config(materialized='table') }}

{#-
  One row per raw customer row, parsed, with personal data pseudonymised and
  exactly one outcome per row (staged / rejected / collapsed_duplicate), so the
  outcomes add up to the rows read. Clear-text e-mail and phone never leave
  this model: only their salted hashes do.
-#}


with

raw_text as (

    select * from {{ ref('base_shop__customers') }}

),

parsed as (

    select
        source_file,
        customer_id_raw,
        created_at_raw,
        country_raw,
        acquisition_channel_raw,
        nullif(trim(customer_id_raw), '') as customer_id,
        {{ hash_pii(normalize_email('email_raw')) }} as email_hash,
        {{ hash_pii(normalize_phone('phone_raw')) }} as phone_hash,
        {{ parse_timestamp_utc('created_at_raw') }} as created_at,
        nullif(upper(trim(country_raw)), '') as country_code,
        nullif(lower(trim(acquisition_channel_raw)), '') as acquisition_channel,
        -- presence flags survive hashing, for the rejected-row record
        nullif(trim(email_raw), '') is not null as has_email,
        nullif(trim(phone_raw), '') is not null as has_phone
    from raw_text

),

{#- only the rows of repeated customer ids need the window functions below -#}
{{ rows_by_key_repetition(
    rows='parsed',
    key='customer_id',
    single_version_rank='cast(1 as ' ~ dbt.type_bigint() ~ ')',
    keys_from='raw_text',
    key_expression="nullif(trim(customer_id_raw), '')"
) }},

versioned_repeated as (

    {#- Among rows of one customer_id, each distinct set of values is a version.
        The kept version is the most complete one (most non-null attributes),
        then the earliest sign-up, then the values themselves. -#}
    select
        *,
        case when customer_id is not null then
                dense_rank() over (
                    partition by customer_id is not null, customer_id
                    order by
                        (case when email_hash is null then 0 else 1 end)
                        + (case when phone_hash is null then 0 else 1 end)
                        + (case when created_at is null then 0 else 1 end)
                        + (case when country_code is null then 0 else 1 end)
                        + (case when acquisition_channel is null then 0 else 1 end) desc,
                        created_at asc nulls last,
                        email_hash asc nulls last,
                        phone_hash asc nulls last,
                        country_code asc nulls last,
                        acquisition_channel asc nulls last
                )
        end as version_rank,
        row_number() over (
            partition by
                customer_id,
                email_hash,
                phone_hash,
                created_at,
                country_code,
                acquisition_channel
            order by source_file, created_at_raw
        ) as copy_number
    from rows_repeated

),

versioned as (

    select * from versioned_single
    union all
    select * from versioned_repeated

),

final as (

    select
        {{ row_key(['source_file', 'customer_id_raw', 'email_hash', 'phone_hash', 'created_at_raw',
                    'country_raw', 'acquisition_channel_raw', 'copy_number']) }} as raw_row_key,
        *,
        case
            when customer_id is null then 'rejected'
            when version_rank > 1 then 'rejected'
            when copy_number > 1 then 'collapsed_duplicate'
            else 'staged'
        end as row_outcome,
        case
            when customer_id is null then 'missing_customer_id'
            when version_rank > 1 then 'conflicting_duplicate_customer_id'
        end as rejection_reason,
        case
            when customer_id is null then 'customer_id is empty'
            when version_rank > 1
                then 'customer_id appears with other values; the most complete version was kept'
        end as rejection_detail
    from versioned

)

select * from final
