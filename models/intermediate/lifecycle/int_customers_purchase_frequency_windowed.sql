{#- Purchase frequency of each customer with a purchase in two equal windows
    ending on as_of_date, for the frequency-drop churn warning: the recent
    window holds the w calendar days ending on as_of_date (0 <= as_of_date -
    purchase date < w), the earlier window the w days before it
    (w <= as_of_date - purchase date < 2w), w = lifecycle_frequency_window_days.
    Frequency counts purchase days (several purchases on one day count once). -#}

{%- set window_days = var('lifecycle_frequency_window_days') | int -%}

with

purchase_days as (

    select * from {{ ref('int_purchase_days_sequenced') }}

),

aged as (

    select
        customer_id,
        as_of_date,
        purchase_date,
        {{ dbt.datediff('purchase_date', 'as_of_date', 'day') }} as days_before_as_of
    from purchase_days

),

final as (

    select
        customer_id,
        max(as_of_date) as as_of_date,
        max(purchase_date) as last_purchase_date,
        {{ window_days }} as frequency_window_days,
        count(case when days_before_as_of < {{ window_days }} then 1 end)
            as recent_window_purchase_days,
        count(
            case
                when
                    days_before_as_of >= {{ window_days }}
                    and days_before_as_of < {{ 2 * window_days }}
                    then 1
            end
        ) as earlier_window_purchase_days
    from aged
    group by customer_id

)

select * from final
