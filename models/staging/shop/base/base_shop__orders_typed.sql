{#- The raw orders with every value that depends on nothing but its own row
    parsed: ids trimmed, ordered_at read as UTC, amounts and discounts read as
    decimals and doubles, currency and status normalised, and a hash of the raw
    row. Rules that depend on variables or seeds (currency conversion, status
    map, limits) and de-duplication stay in stg_shop__orders_parsed.

    A view by default. With `incremental_staging: true` (DuckDB) it is a table
    kept per source file: a run parses only the files that are new or changed
    since the last run (a file is known by its path, size and modification
    time), replaces the rows of a changed file and drops the rows of a file that
    no longer matches `orders_path`. `dbt build --full-refresh` re-parses every
    file. -#}

{%- set incremental = incremental_staging_enabled() -%}
{{ config(
    materialized=('incremental' if incremental else 'view'),
    incremental_strategy='delete+insert',
    unique_key='source_file',
    on_schema_change='fail',
    post_hook=([drop_rows_of_missing_files(var('orders_path'))] if incremental else []),
) }}

{%- if incremental and is_incremental() -%}
    {%- set files_to_load = source_files_to_load(var('orders_path'), this) -%}
{%- endif %}

with

raw_text as (

    {#- with incremental staging, only the files not loaded in their current version #}
    select * from {{ ref('base_shop__orders') }}
    {% if incremental and is_incremental() -%}
        where {{ source_file_filter('source_file', files_to_load) }}
    {%- endif %}

),
{% if incremental %}
    source_files as (

        select * from {{ source_file_versions(var('orders_path')) }}

    ),
{% endif %}
final as (

    select
        raw_text.source_file,
        {%- if incremental %}
            source_files.file_bytes as source_file_bytes,
            source_files.file_modified_at as source_file_modified_at,
            current_timestamp as loaded_at,
        {%- endif %}
        raw_text.order_id_raw,
        raw_text.customer_id_raw,
        raw_text.ordered_at_raw,
        raw_text.amount_raw,
        raw_text.currency_raw,
        raw_text.status_raw,
        raw_text.discount_amount_raw,
        {{ row_key(['raw_text.source_file', 'raw_text.order_id_raw', 'raw_text.customer_id_raw',
                    'raw_text.ordered_at_raw', 'raw_text.amount_raw', 'raw_text.currency_raw',
                    'raw_text.status_raw', 'raw_text.discount_amount_raw']) }} as raw_row_hash,
        nullif(trim(raw_text.order_id_raw), '') as order_id,
        nullif(trim(raw_text.customer_id_raw), '') as customer_id,
        {{ parse_timestamp_utc('raw_text.ordered_at_raw') }} as ordered_at,
        {{ try_cast_as('trim(raw_text.amount_raw)', 'decimal(38, 4)') }} as amount_parsed,
        {#- as a double too: tells a number too large for the decimal from text #}
        {{ try_cast_as('trim(raw_text.amount_raw)', 'double') }} as amount_number,
        nullif(upper(trim(raw_text.currency_raw)), '') as currency_code_read,
        coalesce(nullif(lower(trim(raw_text.status_raw)), ''), 'completed') as raw_status,
        {{ try_cast_as('trim(raw_text.discount_amount_raw)', 'decimal(38, 4)') }}
            as discount_parsed,
        {{ try_cast_as('trim(raw_text.discount_amount_raw)', 'double') }} as discount_number
    from raw_text
    {%- if incremental %}
    left join source_files  -- noqa: ST11
        on raw_text.source_file = source_files.file_path
    {%- endif %}

)

select * from final
