{#- Reliability (calibration) of each model on the churn backtest: the
    customers at the validation cut-off in ten equal-sized bins of predicted
    churn probability per model (ties broken by customer id), with the mean
    prediction and the churn rate observed in each bin. A calibrated model has
    observed_churn_rate close to mean_predicted_probability in every bin. -#}

with

backtest as (

    select * from {{ ref('fct_churn_backtest') }}

),

scores as (

    select
        'logistic_regression' as model_name,
        customer_id,
        logistic_regression_churn_probability as churn_probability,
        churned,
        selected_model = 'logistic_regression' as is_selected
    from backtest
    where logistic_regression_churn_probability is not null

    union all

    select
        'hist_gradient_boosting' as model_name,
        customer_id,
        hist_gradient_boosting_churn_probability as churn_probability,
        churned,
        selected_model = 'hist_gradient_boosting' as is_selected
    from backtest
    where hist_gradient_boosting_churn_probability is not null

    union all

    select
        'btyd_bgnbd' as model_name,
        customer_id,
        btyd_churn_probability as churn_probability,
        churned,
        selected_model = 'btyd_bgnbd' as is_selected
    from backtest

),

binned as (

    select
        *,
        ntile(10) over (partition by model_name order by churn_probability, customer_id) as probability_decile
    from scores

),

final as (

    select
        model_name as model,  -- noqa: RF04
        probability_decile,
        bool_or(is_selected) as is_selected,
        count(*) as n_customers,
        avg(churn_probability) as mean_predicted_probability,
        avg(cast(case when churned then 1 else 0 end as double)) as observed_churn_rate,
        min(churn_probability) as min_predicted_probability,
        max(churn_probability) as max_predicted_probability
    from binned
    group by model_name, probability_decile

)

select * from final
