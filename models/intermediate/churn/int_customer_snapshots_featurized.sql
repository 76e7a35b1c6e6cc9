{#- Churn-model features of customers at the cut-off dates
    c_k = as_of_date - k x h (h = churn_horizon_days, k = 0 .. K with
    K = churn_training_snapshots + 1): one row per customer and cut-off on or
    after the customer's first purchase, for every customer at the scoring
    cut-off (k = 0), for every customer up to churn_backtest_max_customers at
    the validation cut-off (k = 1; a fixed sample of that many beyond), and for
    a fixed sample of them at the training cut-offs (k >= 2). Features use
    only purchase days on or before the cut-off; the label only the h days
    after it: churned = no purchase in (c_k, c_k + h]. The scoring snapshot (k = 0, c_0 = as_of_date)
    has no label yet.

    From per-customer totals on or before each cut-off: a cut-off's window of
    the last m horizons is a difference of two such totals (on or before c_k
    minus on or before c_{k+m}), and its label the purchase days on or before
    c_{k-1} = c_k + h minus those on or before c_k. The scoring and validation
    rows read the totals every customer has (int_customers_cut_offs_totalled);
    the training rows the same totals at the older cut-offs, summed from the
    horizon buckets (int_purchase_days_bucketed) for the sampled customers
    only. The columns are turned into one row per customer and cut-off.

    The training sample: a training cut-off with more customers than
    q = churn_max_training_rows / churn_training_snapshots keeps the rows
    whose sample_hash (8 hex digits of the MD5 of customer id and cut-off,
    read as a number below 16^8) lies below q / customers x 16^8, about q rows
    (all its rows when it has at most q). The churn models draw their training
    rows from these by the same rule (customer_value.churn.sample_filter), so
    they see the rows they would see in all snapshots; the rest are never
    materialised. The validation cut-off keeps its rows by the same rule with
    q = churn_backtest_max_customers: the backtest scores at most about that
    many customers, and the refit's rows at k = 1 (a smaller quota) are among
    them. -#}

{%- set horizon_days = var('churn_horizon_days') | int -%}
{%- set last_cut_off = churn_last_cut_off() -%}
{%- set training_snapshots = last_cut_off - 1 -%}
{%- set last_total = churn_last_total() -%}
{#- training rows kept per training cut-off (all of a cut-off with fewer) -#}
{%- set quota = (var('churn_max_training_rows') | int) / training_snapshots -%}
{#- validation rows kept (all of them with fewer customers) -#}
{%- set backtest_quota = var('churn_backtest_max_customers') | int -%}
{%- set window_horizons = churn_window_horizons() %}

with

totals as (

    select * from {{ ref('int_customers_cut_offs_totalled') }}

),

buckets as (

    select * from {{ ref('int_purchase_days_bucketed') }}

),

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

cut_off_thresholds as (

    {#- per sampled cut-off (validation and training): the customers with a
        purchase on or before it and the sample's hash threshold (8 hex
        digits), rounded up by one so that it never falls below the one the
        models compute in Python (their rows are a subset); a cut-off with at
        most its quota keeps every row -#}
    select
        cut_off_index,
        case
            when customers <= quota then 'g'
            else lower(lpad(hex(
                    least(
                        cast(floor(quota * 4294967296 / customers) as bigint) + 1,
                        4294967295
                    )
                ), 8, '0'))
        end as sample_hash_below
    from (
        {%- for k in range(1, last_cut_off + 1) %}

            select
                {{ k }} as cut_off_index,
                cast({{ backtest_quota if k == 1 else quota }} as double) as quota,
                sum(case when purchase_days_{{ k }} > 0 then 1 else 0 end) as customers
            from totals
            {%- if not loop.last %}

                union all
            {%- endif %}
        {%- endfor %}
    ) as counted

),

sampled_customers as (

    {#- the sampled customers of each sampled cut-off (validation and
        training), drawn by the hash of customer id and cut-off before any
        feature is computed ('g' sorts after every hex digit: all rows) -#}
    {%- for k in range(1, last_cut_off + 1) %}

        select
            hashed.customer_id,
            {{ k }} as cut_off_index,
            hashed.sample_hash
        from (
            select
                customer_id,
                {{ churn_sample_hash('customer_id', k) }} as sample_hash
            from totals
            where purchase_days_{{ k }} > 0
        ) as hashed
        where hashed.sample_hash < (
                select cut_off_thresholds.sample_hash_below
                from cut_off_thresholds
                where cut_off_thresholds.cut_off_index = {{ k }}
            )
        {%- if not loop.last %}

            union all
        {%- endif %}
    {%- endfor %}

),

training_totals as (

    {#- the sampled customers' totals that only the training rows read: at
        the training cut-offs c_2 .. c_K, the label's c_{k-1} and the feature
        windows' 4 horizons further back (c_0 and c_1 are in totals) -#}
    select
        customer_id,
        {%- for j in range(1, last_total + 1) %}
            {{ churn_cut_off_total('purchase_days', j) }},
        {%- endfor %}
        {%- for j in range(2, last_total + 1) %}
            {{ churn_cut_off_total('revenue', j) }},
        {%- endfor %}
        {%- for k in range(2, last_cut_off + 1) %}
            {{ churn_cut_off_total('orders', k) }},
            {{ churn_cut_off_total('last_purchase_date', k) }},
            {{ churn_cut_off_total('previous_purchase_date', k) }},
            {{ churn_cut_off_total('gap_days_squared', k) }},
        {%- endfor %}
        max(as_of_date) as as_of_date,
        min(first_purchase_date) as first_purchase_date
    from buckets
    where customer_id in (
            select sampled_customers.customer_id
            from sampled_customers
            where sampled_customers.cut_off_index >= 2
        )
    group by customer_id

),

snapshots as (

    {#- every customer with a purchase by the cut-off at k = 0 and the
        validation sample at k = 1, from the totals of every customer; at the
        training cut-offs the training sample -#}
    {%- for k in range(last_cut_off + 1) %}

        select
            customer_id,
            {{ k }} as cut_off_index,
            cast({{ dbt.dateadd('day', -1 * k * horizon_days, 'as_of_date') }} as date) as cut_off_date,
            cast({{ dbt.dateadd('day', (1 - k) * horizon_days, 'as_of_date') }} as date) as horizon_end_date,
            as_of_date,
            sample_hash,
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
        {%- if k == 0 %}
            from (
                select
                    totals.*,
                    {{ churn_sample_hash('totals.customer_id', k) }} as sample_hash
                from totals
                where totals.purchase_days_{{ k }} > 0
            ) as hashed
        {%- else %}
            {#- the validation sample reads the totals of every customer, the
                training samples their own -#}
            {%- set sampled_totals = 'totals' if k == 1 else 'training_totals' %}
            from (
                select
                    {{ sampled_totals }}.*,
                    sampled_customers.sample_hash
                from sampled_customers
                inner join {{ sampled_totals }}
                    on sampled_customers.customer_id = {{ sampled_totals }}.customer_id
                where sampled_customers.cut_off_index = {{ k }}
            ) as sampled
        {%- endif %}
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
        snapshots.sample_hash,
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
