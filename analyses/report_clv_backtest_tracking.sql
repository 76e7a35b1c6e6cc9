-- Visual report, CLV backtest (tracking): expected vs actual cumulative repeat
-- purchases by day of the holdout.

select
    holdout_day,
    expected_cumulative,
    actual_cumulative
from {{ ref('fct_clv_backtest_tracking') }}
order by holdout_day asc
