"""Cumulative repeat purchases over the backtest holdout, day by day: what the
BG/NBD fitted on the calibration period expects vs what happened."""

from customer_value.clv_marts import (
    ClvSettings,
    backtest_tracking_frame,
    fits_from_params,
)
from customer_value.frames import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    settings = ClvSettings.from_config(dbt.config.get("clv_settings"))
    fits = fits_from_params(to_pandas(dbt.ref("fct_clv_model_params")), "backtest")
    backtest = to_pandas(
        dbt.ref("fct_clv_backtest"), columns=["age_t", "holdout_length"]
    )
    days = to_pandas(dbt.ref("int_clv_holdout_purchase_days"), columns=["holdout_day"])
    return backtest_tracking_frame(backtest, days, fits, settings)
