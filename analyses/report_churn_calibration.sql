-- Visual report, churn calibration: predicted vs observed churn rate per decile
-- of predicted probability on the churn backtest, for the selected model and
-- the BTYD baseline (one row each when the baseline is the selected model).

select
    model,
    is_selected,
    probability_decile,
    n_customers,
    mean_predicted_probability,
    observed_churn_rate
from {{ ref('fct_churn_reliability_bins') }}
where is_selected or model = 'btyd_bgnbd'
order by is_selected desc, model asc, probability_decile asc
