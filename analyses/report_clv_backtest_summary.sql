-- Visual report, CLV backtest captions: predicted vs actual totals, relative
-- error and per-customer correlation of purchases and value in the holdout.

select
    measure,
    n_customers,
    predicted_total,
    actual_total,
    relative_error,
    correlation
from {{ ref('fct_clv_backtest_summary') }}
order by measure asc
