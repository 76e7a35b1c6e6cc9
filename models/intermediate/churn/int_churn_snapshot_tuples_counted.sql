{#- The BTYD summaries (x, t_x, T in days) of int_customer_snapshots_featurized
    compressed to their distinct tuples per cut-off, with the number of
    customers in each: the BG/NBD baseline is fitted at each cut-off on these
    (the likelihood depends on a customer only through the tuple). -#}

with

snapshots as (

    select * from {{ ref('int_customer_snapshots_featurized') }}

),

final as (

    select
        cut_off_index,
        cut_off_date,
        frequency_x,
        recency_t_x,
        age_t,
        count(*) as n_customers
    from snapshots
    group by cut_off_index, cut_off_date, frequency_x, recency_t_x, age_t

)

select * from final
