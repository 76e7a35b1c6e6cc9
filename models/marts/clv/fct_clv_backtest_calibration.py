"""Mean predicted vs actual holdout purchases by calibration-period frequency
(x = 0, 1, ..., 7+): the classic BG/NBD calibration check."""

from customer_value.clv_marts import backtest_calibration_frame
from customer_value.frames import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    return backtest_calibration_frame(to_pandas(dbt.ref("fct_clv_backtest")))
