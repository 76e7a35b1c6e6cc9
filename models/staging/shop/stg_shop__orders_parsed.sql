{#-
  One row per raw order row: every value parsed, every row given exactly one
  outcome. `staged` rows become stg_shop__orders, `rejected` rows carry a reason
  into stg_shop__rejected_rows, and `collapsed_duplicate` rows are exact copies
  of a staged row. Nothing is filtered here, so outcomes always add up to the
  rows read.

  A table by default. With `incremental_staging: true` (DuckDB) the rows are kept
  between runs and a run recomputes only the order ids that a file change can
  have touched: every outcome (version rank, copy number) is decided among the
  rows of one order id, so the ids on the rows of new, changed or removed files
  are the only ones whose rows can change. All ids are recomputed when the rule
  variables or seeds changed (a fingerprint of them is kept on every row). Each
  kept row says which file version it came from (source_loaded_at) and when it
  was parsed (parsed_at); the post-hook removes the older rows of the ids
  parsed again and the rows of file versions no longer held.
-#}

{%- set reporting_currency = var('reporting_currency') | upper | trim -%}
{%- set incremental = incremental_staging_enabled() -%}
{{ config(
    materialized=('incremental' if incremental else 'table'),
    incremental_strategy='append',
    on_schema_change='fail',
    post_hook=(["{{ delete_superseded_parsed_rows(ref('base_shop__orders_typed')) }}"] if incremental else []),
) }}

with
{% if incremental %}
    all_typed as (

        select * from {{ ref('base_shop__orders_typed') }}

    ),

    rules as (

        {#- everything besides the row itself that decides an outcome -#}
        select {{ parse_rules_fingerprint(ref('currency_rates'), ref('order_status_map')) }}
            as rules_fingerprint

    ),
    {% if is_incremental() %}
        kept_loads as (

            select distinct
                source_file,
                source_loaded_at as loaded_at
            from {{ this }}

        ),

        typed_loads as (

            select distinct
                source_file,
                loaded_at
            from all_typed

        ),

        affected_keys as (

            -- ids on the rows of file versions parsed since the kept rows
            {{ parse_keys_of_unmatched_loads('all_typed', 'all_typed', 'loaded_at', 'kept_loads') }}

            union

            -- ids on kept rows of file versions no longer held
            {{ parse_keys_of_unmatched_loads(this, 'kept', 'source_loaded_at', 'typed_loads') }}

            union

            -- every id when the rules changed since the kept rows were parsed
            select {{ parse_order_key('all_typed.order_id') }} as order_key
            from all_typed
            where exists (
                    select 1
                    from {{ this }} as kept
                    cross join rules
                    where kept.rules_fingerprint != rules.rules_fingerprint
                )

        ),
    {% endif %}
{% endif %}
typed as {{ cte_not_materialized() }} (

    {%- if incremental %}
        select * from all_typed
        {%- if is_incremental() %}
            where {{ parse_order_key('order_id') }} in (select affected_keys.order_key from affected_keys)
        {%- endif %}
    {%- else %}
        select * from {{ ref('base_shop__orders_typed') }}
    {%- endif %}

),

currency_rates as (

    select * from {{ ref('currency_rates') }}

),

status_map as (

    select * from {{ ref('order_status_map') }}

),

reporting_rate as (

    select units_per_usd as reporting_units_per_usd
    from currency_rates
    where currency_code = '{{ reporting_currency }}'

),

parsed as (

    select
        source_file,
        order_id_raw,
        customer_id_raw,
        ordered_at_raw,
        amount_raw,
        currency_raw,
        status_raw,
        discount_amount_raw,
        raw_row_hash,
        order_id,
        customer_id,
        ordered_at,
        amount_parsed,
        amount_number,
        coalesce(currency_code_read, '{{ reporting_currency }}') as currency_code,
        raw_status,
        {%- if incremental %}
            loaded_at as source_loaded_at,
        {%- endif %}
        discount_parsed,
        discount_number
    from typed

),

converted as (

    select
        parsed.*,
        status_map.order_status,
        status_map.is_purchase,
        status_map.version_precedence,
        {#- in double precision first, so that an absurd amount cannot overflow the
            decimal: it is rejected by the rules below instead -#}
        coalesce(cast(parsed.amount_parsed as double), parsed.amount_number)
        / currency_rates.units_per_usd
        * reporting_rate.reporting_units_per_usd as amount_reporting_number,
        coalesce(cast(parsed.discount_parsed as double), parsed.discount_number)
        / currency_rates.units_per_usd
        * reporting_rate.reporting_units_per_usd as discount_reporting_number,
        currency_rates.units_per_usd is not null as is_known_currency
    from parsed
    left join currency_rates
        on parsed.currency_code = currency_rates.currency_code
    left join status_map
        on parsed.raw_status = status_map.raw_status
    cross join reporting_rate

),

amounted as (

    select
        converted.*,
        {#- a finite number (x - x = 0 is false for NaN and infinity) -#}
        coalesce(amount_number - amount_number = 0, false) as is_amount_number,
        coalesce(discount_number - discount_number = 0, false) as is_discount_number,
        {#- rounded as a decimal: engines round a double's half cent differently -#}
        {{ round_money('amount_reporting_number') }} as amount_reporting,
        {{ round_money('discount_reporting_number') }} as discount_amount_reporting
    from converted

),

checked as {{ cte_not_materialized() }} (

    select
        amounted.*,
        case
            when order_id is null then 'missing_order_id'
            when customer_id is null then 'missing_customer_id'
            when ordered_at is null then 'unparseable_ordered_at'
            when
                ordered_at < cast('{{ var("min_valid_order_date") }}' as timestamp)
                or ordered_at >= cast('{{ var("max_valid_order_date") }}' as timestamp)
                then 'ordered_at_out_of_range'
            when
                not is_amount_number
                or (amount_parsed is null and abs(amount_number) < 1e30)
                then 'unparseable_amount'
            when amount_number < 0 then 'negative_amount'
            when not is_known_currency then 'unknown_currency'
            when amount_reporting_number > {{ var('max_order_amount') }} then 'amount_above_max'
            when order_status is null then 'unknown_status'
            when
                nullif(trim(discount_amount_raw), '') is not null
                and (
                    not is_discount_number
                    or discount_number < 0
                    or discount_reporting_number > {{ var('max_order_amount') }}
                )
                then 'invalid_discount_amount'
        end as validation_failure
    from amounted

),

{#- only the rows of repeated order ids need the window functions below -#}
{{ rows_by_key_repetition(
    rows='checked',
    key='order_id',
    single_version_rank='case when checked.validation_failure is null then cast(1 as '
        ~ dbt.type_bigint() ~ ') end',
    keys_from='typed',
    key_expression='order_id'
) }},

versioned_repeated as (

    {#- Among valid rows of one order_id, each distinct set of values is a
        version. The kept version prefers the later lifecycle state (refunded /
        returned > cancelled > completed > pending), then the latest timestamp,
        then the larger amount, then the values themselves: a total order, so
        the choice never depends on file or row order. -#}
    select
        *,
        case when validation_failure is null then
                dense_rank() over (
                    partition by validation_failure is null, order_id
                    order by
                        version_precedence desc,
                        ordered_at desc,
                        amount_parsed desc,
                        customer_id desc,
                        currency_code desc,
                        raw_status desc,
                        discount_parsed desc nulls last
                )
        end as version_rank,
        row_number() over (
            partition by
                validation_failure is null,
                order_id,
                customer_id,
                ordered_at,
                amount_parsed,
                currency_code,
                raw_status,
                discount_parsed,
                validation_failure
            order by source_file, ordered_at_raw, amount_raw, currency_raw, status_raw
        ) as copy_number
    from rows_repeated

),

versioned as (

    select * from versioned_single
    union all
    select * from versioned_repeated

),

outcomes as (

    select
        {#- the raw row's hash; a further copy of the same raw row adds its number #}
        case
            when copy_number = 1 then raw_row_hash
            else {{ row_key(['raw_row_hash', 'copy_number']) }}
        end as raw_row_key,
        *,
        case
            when validation_failure is not null then 'rejected'
            when version_rank > 1 then 'rejected'
            when copy_number > 1 then 'collapsed_duplicate'
            else 'staged'
        end as row_outcome,
        case
            when validation_failure is not null then validation_failure
            when version_rank > 1 then 'conflicting_duplicate_order_id'
        end as rejection_reason,
        case
            when validation_failure = 'missing_order_id'
                then 'order_id is empty'
            when validation_failure = 'missing_customer_id'
                then 'customer_id is empty'
            when validation_failure = 'unparseable_ordered_at' and nullif(trim(ordered_at_raw), '') is null
                then 'ordered_at is empty'
            when validation_failure = 'unparseable_ordered_at'
                then 'ordered_at "' || ordered_at_raw || '" is not an ISO 8601 date or timestamp'
                    || ' (write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, optionally with an offset such as +01:00)'
            when validation_failure = 'ordered_at_out_of_range'
                then 'ordered_at "'
                    || ordered_at_raw
                    || '" is outside [{{ var("min_valid_order_date") }}, {{ var("max_valid_order_date") }})'
            when validation_failure = 'unparseable_amount' and nullif(trim(amount_raw), '') is null
                then 'amount is empty'
            when validation_failure = 'unparseable_amount' and amount_raw like '%,%'
                then 'amount "' || amount_raw || '" holds a comma: write amounts as plain decimals with a'
                    || ' point and no thousands separators (1234.50, not 1,234.50 or 1234,50)'
            when validation_failure = 'unparseable_amount'
                then 'amount "' || amount_raw || '" is not a number (use a plain decimal such as 1234.50)'
            when validation_failure = 'negative_amount'
                then 'amount ' || trim(amount_raw) || ' is negative; refunds arrive as a status, not as negative orders'
            when validation_failure = 'unknown_currency'
                then 'currency "' || currency_code || '" is not in seeds/currency_rates.csv'
            when validation_failure = 'amount_above_max' and amount_reporting is null
                then 'amount ' || trim(amount_raw) || ' ' || currency_code
                    || ' is absurdly large; it exceeds max_order_amount {{ var("max_order_amount") }}'
                    || ' {{ reporting_currency }}'
            when validation_failure = 'amount_above_max'
                then 'amount '
                    || cast(amount_reporting as {{ dbt.type_string() }})
                    || ' {{ reporting_currency }} exceeds max_order_amount {{ var("max_order_amount") }}'
            when validation_failure = 'unknown_status'
                then 'status "' || raw_status || '" is not in seeds/order_status_map.csv'
            when validation_failure = 'invalid_discount_amount'
                then 'discount_amount "' || discount_amount_raw || '" is not a number from 0 to'
                    || ' max_order_amount {{ var("max_order_amount") }} {{ reporting_currency }}'
                    || ' (use a plain decimal such as 5.00, or leave it empty)'
            when version_rank > 1
                then 'order_id appears with other values; version '
                    || cast(version_rank as {{ dbt.type_string() }})
                    || ' of the order was superseded'
        end as rejection_detail
    from versioned

),

final as (

    {#- The raw text is kept for the rows that did not become an order (rejected
        rows and collapsed copies), which need it to be explained; a staged row's
        values are its parsed columns, so its raw text is not stored a second time
        (at millions of rows the text columns are most of the cost of this table). -#}
    select
        raw_row_key,
        source_file,
        {%- for column in ['order_id_raw', 'customer_id_raw', 'ordered_at_raw', 'amount_raw',
                           'currency_raw', 'status_raw', 'discount_amount_raw'] %}
            case when row_outcome != 'staged' then {{ column }} end as {{ column }},
        {%- endfor %}
        order_id,
        customer_id,
        ordered_at,
        amount_parsed,
        amount_number,
        currency_code,
        raw_status,
        discount_parsed,
        discount_number,
        order_status,
        is_purchase,
        version_precedence,
        amount_reporting_number,
        discount_reporting_number,
        is_known_currency,
        is_amount_number,
        is_discount_number,
        amount_reporting,
        discount_amount_reporting,
        validation_failure,
        version_rank,
        copy_number,
        row_outcome,
        {%- if incremental %}
            source_loaded_at,
            (select rules.rules_fingerprint from rules) as rules_fingerprint,
            current_timestamp as parsed_at,
        {%- endif %}
        rejection_reason,
        rejection_detail
    from outcomes

)

select * from final
