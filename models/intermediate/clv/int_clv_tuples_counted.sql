{#- The calibration summaries compressed to their distinct (x, t_x, T) tuples
    with the number of customers in each, for both fits: `current` (calibration
    end = as_of_date) and `backtest` (calibration end = as_of_date minus
    clv_backtest_holdout_days). The BG/NBD and Pareto/NBD likelihoods depend on
    a customer only through the tuple, so the fit reads this small table. -#}

with

current_summary as (

    select * from {{ ref('int_customers_clv_summarized') }}

),

backtest_summary as (

    select * from {{ ref('int_customers_clv_backtest_summarized') }}

),

summaries as (

    select
        'current' as fit_scope,
        frequency_x,
        recency_t_x,
        age_t
    from current_summary
    union all
    select
        'backtest' as fit_scope,
        frequency_x,
        recency_t_x,
        age_t
    from backtest_summary

),

final as (

    select
        fit_scope,
        frequency_x,
        recency_t_x,
        age_t,
        count(*) as n_customers
    from summaries
    group by fit_scope, frequency_x, recency_t_x, age_t

)

select * from final
