-- Visual report, churn calibration legend and caption: backtest metrics of the
-- selected model and the BTYD baseline (ROC AUC, average precision, Brier
-- score, log loss, observed and mean predicted churn rate).

select
    model,
    model_role,
    is_selected,
    roc_auc,
    average_precision,
    brier_score,
    log_loss,
    base_rate,
    mean_predicted,
    n_customers,
    training_rows,
    cut_off_date
from {{ ref('fct_churn_model_metrics') }}
where is_selected or model = 'btyd_bgnbd'
order by is_selected desc, model asc
