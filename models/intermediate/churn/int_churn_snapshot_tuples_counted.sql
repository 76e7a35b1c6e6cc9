{#- The BTYD summaries (x, t_x, T in days) of every customer with a purchase
    at each churn cut-off c_k = as_of_date - k x churn_horizon_days
    (k = 0 .. churn_training_snapshots + 1), compressed to their distinct
    tuples per cut-off, with the number of customers in each: the BG/NBD
    baseline is fitted at each cut-off on these (the likelihood depends on a
    customer only through the tuple). From the per-customer totals, so that
    all customers count, not only the training sample of
    int_customer_snapshots_featurized. -#}

{%- set horizon_days = var('churn_horizon_days') | int -%}
{%- set last_cut_off = churn_last_cut_off() %}

with

totals as (

    select * from {{ ref('int_customers_cut_offs_totalled') }}

),

summaries as (

    {%- for k in range(last_cut_off + 1) %}

        select
            {{ k }} as cut_off_index,
            cast({{ dbt.dateadd('day', -1 * k * horizon_days, 'as_of_date') }} as date) as cut_off_date,
            cast(purchase_days_{{ k }} - 1 as bigint) as frequency_x,
            {{ dbt.datediff('first_purchase_date', 'last_purchase_date_' ~ k, 'day') }} as recency_t_x,
            {{ dbt.datediff(
                'first_purchase_date',
                dbt.dateadd('day', -1 * k * horizon_days, 'as_of_date'),
                'day'
            ) }} as age_t
        from totals
        where purchase_days_{{ k }} > 0
        {%- if not loop.last %}

            union all
        {%- endif %}
    {%- endfor %}

),

final as (

    select
        cut_off_index,
        cut_off_date,
        frequency_x,
        recency_t_x,
        age_t,
        count(*) as n_customers
    from summaries
    group by cut_off_index, cut_off_date, frequency_x, recency_t_x, age_t

)

select * from final
