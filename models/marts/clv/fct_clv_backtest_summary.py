"""How far to trust the CLV predictions: aggregate predicted vs actual
holdout purchases and value, mean absolute error and correlation."""

from customer_value.clv_marts import backtest_summary_frame
from customer_value.frames import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    return backtest_summary_frame(to_pandas(dbt.ref("fct_clv_backtest")))
