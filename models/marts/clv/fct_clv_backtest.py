"""Holdout backtest: the models fitted on the calibration period only
(up to as_of_date minus clv_backtest_holdout_days) predict each customer's
holdout purchases and spend, next to what actually happened."""

from customer_value.clv_marts import ClvSettings, backtest_frame, fits_from_params
from customer_value.frames import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    settings = ClvSettings.from_config(dbt.config.get("clv_settings"))
    fits = fits_from_params(to_pandas(dbt.ref("fct_clv_model_params")), "backtest")
    summary = to_pandas(dbt.ref("int_customers_clv_backtest_summarized"))
    return backtest_frame(summary, fits, settings)
