{#- Churn-model features of every customer at every cut-off date
    c_k = as_of_date - k x h (h = churn_horizon_days, k = 0 .. K with
    K = churn_training_snapshots + 1): one row per customer and cut-off on or
    after the customer's first purchase. Features use only purchase days on or
    before the cut-off; the label only the h days after it: churned = no
    purchase in (c_k, c_k + h]. The scoring snapshot (k = 0, c_0 = as_of_date)
    has no label yet.

    How (no join of purchases to cut-offs): the purchase days are summed per
    customer and horizon-long bucket counted back from as_of_date; per
    customer, the purchase days and spend on or before each of the dates
    c_0 .. c_{K+4} are then totalled side by side (one column per date). A
    cut-off's window of the last m horizons is a difference of two such totals
    (on or before c_k minus on or before c_{k+m}), and its label the purchase
    days on or before c_{k-1} = c_k + h minus those on or before c_k. The
    columns are finally turned into one row per customer and cut-off. -#}

{%- set horizon_days = var('churn_horizon_days') | int -%}
{%- set last_cut_off = (var('churn_training_snapshots') | int) + 1 -%}
{#- feature windows, in horizons: 1, 2 and 4 (trend: last 2 against the 2 before) -#}
{%- set window_horizons = [1, 2, 4] -%}
{%- set last_total = last_cut_off + 4 %}

with

purchase_days as (

    select * from {{ ref('int_purchase_days_sequenced') }}

),

customers as (

    select * from {{ ref('int_customers_profiled') }}

),

buckets as (

    {#- purchase days in horizon-long buckets counted back from as_of_date:
        bucket j holds as_of_date - purchase_date in [j x h, (j + 1) x h),
        the oldest bucket everything older; on or before c_j <=> bucket >= j -#}
    select
        customer_id,
        least(
            floor({{ dbt.datediff('purchase_date', 'as_of_date', 'day') }} / {{ horizon_days }}),
            {{ last_total }}
        ) as bucket,
        max(as_of_date) as as_of_date,
        min(first_purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        max(previous_purchase_date) as previous_purchase_date,
        count(*) as purchase_days,
        sum(orders) as orders,
        sum(revenue) as revenue,
        sum(
            {{ dbt.datediff('previous_purchase_date', 'purchase_date', 'day') }}
            * {{ dbt.datediff('previous_purchase_date', 'purchase_date', 'day') }}
        ) as gap_days_squared
    from purchase_days
    group by
        customer_id,
        least(
            floor({{ dbt.datediff('purchase_date', 'as_of_date', 'day') }} / {{ horizon_days }}),
            {{ last_total }}
        )

),

totals as (

    select
        customer_id,
        max(as_of_date) as as_of_date,
        min(first_purchase_date) as first_purchase_date,
        {%- for j in range(last_total + 1) %}
            coalesce(sum(case when bucket >= {{ j }} then purchase_days end), 0) as purchase_days_{{ j }},
            coalesce(sum(case when bucket >= {{ j }} then revenue end), 0) as revenue_{{ j }},
        {%- endfor %}
        {%- for k in range(last_cut_off + 1) %}
            coalesce(sum(case when bucket >= {{ k }} then orders end), 0) as orders_{{ k }},
            max(case when bucket >= {{ k }} then last_purchase_date end) as last_purchase_date_{{ k }},
            max(case when bucket >= {{ k }} then previous_purchase_date end) as previous_purchase_date_{{ k }},
            sum(case when bucket >= {{ k }} then gap_days_squared end) as gap_days_squared_{{ k }},
        {%- endfor %}
        count(*) as buckets_with_purchases
    from buckets
    group by customer_id

),

snapshots as (

    {%- for k in range(last_cut_off + 1) %}

        select
            customer_id,
            {{ k }} as cut_off_index,
            cast({{ dbt.dateadd('day', -1 * k * horizon_days, 'as_of_date') }} as date) as cut_off_date,
            cast({{ dbt.dateadd('day', (1 - k) * horizon_days, 'as_of_date') }} as date) as horizon_end_date,
            as_of_date,
            first_purchase_date,
            last_purchase_date_{{ k }} as last_purchase_date,
            previous_purchase_date_{{ k }} as previous_purchase_date,
            purchase_days_{{ k }} as purchase_days,
            orders_{{ k }} as frequency_orders,
            revenue_{{ k }} as monetary_total,
            {%- for m in window_horizons %}
                purchase_days_{{ k }} - purchase_days_{{ k + m }}
                    as purchase_days_{{ m }}_horizon{{ 's' if m > 1 }},
                revenue_{{ k }} - revenue_{{ k + m }} as monetary_total_{{ m }}_horizon{{ 's' if m > 1 }},
            {%- endfor %}
            purchase_days_{{ k + 2 }} - purchase_days_{{ k + 4 }} as earlier_window_purchase_days,
            revenue_{{ k + 2 }} - revenue_{{ k + 4 }} as earlier_window_spend,
            {#- variance of the gaps between purchase days: they sum to
                last - first, so their mean is (last - first) / (n - 1) -#}
            gap_days_squared_{{ k }} / nullif(purchase_days_{{ k }} - 1, 0)
            - power(
                {{ dbt.datediff('first_purchase_date', 'last_purchase_date_' ~ k, 'day') }}
                / nullif(purchase_days_{{ k }} - 1.0, 0),
                2
            ) as gap_days_variance,
            {%- if k == 0 %}
                cast(null as bigint) as horizon_purchase_days
            {%- else %}
                purchase_days_{{ k - 1 }} - purchase_days_{{ k }} as horizon_purchase_days
            {%- endif %}
        from totals
        where purchase_days_{{ k }} > 0
        {%- if not loop.last %}

            union all
        {%- endif %}
    {%- endfor %}

),

final as (

    select
        snapshots.customer_id,
        snapshots.cut_off_index,
        snapshots.cut_off_date,
        snapshots.horizon_end_date,
        snapshots.as_of_date,
        case
            when snapshots.cut_off_index = 0 then 'scoring'
            when snapshots.cut_off_index = 1 then 'validation'
            else 'training'
        end as snapshot_role,
        substring({{ row_key(['snapshots.customer_id', 'snapshots.cut_off_index']) }}, 1, 8) as sample_hash,
        snapshots.first_purchase_date,
        snapshots.last_purchase_date,
        snapshots.previous_purchase_date,
        {{ dbt.datediff('snapshots.last_purchase_date', 'snapshots.cut_off_date', 'day') }} as recency_days,
        {{ dbt.datediff('snapshots.first_purchase_date', 'snapshots.cut_off_date', 'day') }} as tenure_days,
        cast(snapshots.purchase_days as bigint) as purchase_days,
        cast(snapshots.frequency_orders as bigint) as frequency_orders,
        cast(snapshots.monetary_total as decimal(18, 2)) as monetary_total,
        {%- for m in window_horizons %}
            cast(snapshots.purchase_days_{{ m }}_horizon{{ 's' if m > 1 }} as bigint)
                as purchase_days_{{ m }}_horizon{{ 's' if m > 1 }},
            cast(snapshots.monetary_total_{{ m }}_horizon{{ 's' if m > 1 }} as decimal(18, 2))
                as monetary_total_{{ m }}_horizon{{ 's' if m > 1 }},
        {%- endfor %}
        cast(snapshots.purchase_days_2_horizons as bigint)
            as recent_window_purchase_days,
        cast(snapshots.earlier_window_purchase_days as bigint) as earlier_window_purchase_days,
        cast(snapshots.monetary_total_2_horizons as decimal(18, 2)) as recent_window_spend,
        cast(snapshots.earlier_window_spend as decimal(18, 2)) as earlier_window_spend,
        case
            when snapshots.purchase_days > 1 then sqrt(greatest(snapshots.gap_days_variance, 0))
        end as gap_stddev_days,
        cast(snapshots.purchase_days - 1 as bigint) as frequency_x,
        {{ dbt.datediff('snapshots.first_purchase_date', 'snapshots.last_purchase_date', 'day') }} as recency_t_x,
        {{ dbt.datediff('snapshots.first_purchase_date', 'snapshots.cut_off_date', 'day') }} as age_t,
        customers.acquisition_channel,
        customers.country_code,
        cast(snapshots.horizon_purchase_days as bigint) as horizon_purchase_days,
        case when snapshots.cut_off_index > 0 then snapshots.horizon_purchase_days = 0 end as churned
    from snapshots
    left join customers
        on snapshots.customer_id = customers.customer_id

)

select * from final
