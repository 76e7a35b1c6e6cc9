-- Visual report, CLV backtest (calibration): mean predicted vs actual holdout
-- purchases by calibration-period frequency (0 ... 6, 7+).

select
    frequency,
    label,
    n_customers,
    mean_predicted,
    mean_actual
from {{ ref('fct_clv_backtest_calibration') }}
order by frequency asc
